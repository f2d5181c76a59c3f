"""Background jobs of messaging (django.tasks): enqueued after a message is queued, and
every minute by the scheduler for retries and messages that waited out quiet hours."""

from django.tasks import task

from guanxi.messaging.delivery import deliver_due


@task()
def deliver_messages() -> dict:
    report = deliver_due()
    return {"sent": report.sent, "retrying": report.retrying, "failed": report.failed}


@task()
def run_reminder_policies() -> dict:
    """07:30 daily: reminder policies → follow-up tasks for owners (messaging/reminders.py)."""
    from guanxi.messaging.reminders import reminders_run

    return {"created": reminders_run()}


@task()
def send_daily_digests() -> dict:
    """08:00 daily: each user's email of open tasks due today or overdue (opt-out)."""
    from guanxi.messaging.digest import digests_send

    return {"queued": digests_send()}


@task()
def poll_reply_mailbox() -> dict:
    """Every 2 minutes: replies and bounces from the IMAP mailbox of GUANXI_IMAP_URL
    (messaging/imap_polling.py); {"skipped": "not configured"} without one."""
    from guanxi.messaging.imap_polling import mailbox_poll

    return mailbox_poll()
