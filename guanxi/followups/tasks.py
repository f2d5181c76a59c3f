"""Background jobs of the follow-ups app (django.tasks; enqueued by the scheduler)."""

from django.tasks import task

from guanxi.followups.services import task_reminders_send


@task()
def send_task_reminders() -> int:
    return task_reminders_send()


@task()
def generate_plan_tasks(plan_id: int | None = None) -> int:
    """The next occurrence's tasks of one approved plan (just approved), or of all of them
    (the scheduler's hourly run)."""
    from guanxi.followups.plans.generation import plan_generate, plans_generate
    from guanxi.followups.plans.models import MaintenancePlan

    if plan_id is None:
        return plans_generate()["tasks"]
    plan = MaintenancePlan.objects.filter(pk=plan_id).first()
    return plan_generate(plan=plan) if plan is not None else 0
