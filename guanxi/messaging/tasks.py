"""Background jobs of messaging (django.tasks): enqueued after a message is queued, and
every minute by the scheduler for retries and messages that waited out quiet hours."""

from django.tasks import task

from guanxi.messaging.delivery import deliver_due


@task()
def deliver_messages() -> dict:
    report = deliver_due()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}
