"""Background jobs of the follow-ups app (django.tasks; enqueued by the scheduler)."""

from django.tasks import task

from guanxi.followups.services import task_reminders_send


@task()
def send_task_reminders() -> int:
    return task_reminders_send()
