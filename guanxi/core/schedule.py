"""The registry of periodic jobs the scheduler enqueues.

Each job names a django.tasks task by dotted path; the scheduler only enqueues it, a worker
runs it. Cron expressions are read in settings.TIME_ZONE. Apps add their jobs here, one line
each, so every periodic job of the product is visible in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.tasks import Task
from django.utils.module_loading import import_string


@dataclass(frozen=True, kw_only=True)
class Job:
    name: str
    cron: str
    task_path: str

    def task(self) -> Task:
        task = import_string(self.task_path)
        if not isinstance(task, Task):
            raise TypeError(f"{self.task_path} is not a django.tasks task")
        return task


JOBS: list[Job] = [
    Job(
        name="followups.send_task_reminders",
        cron="* * * * *",
        task_path="guanxi.followups.tasks.send_task_reminders",
    ),
    # Maintenance plans: the next occurrence's tasks (approval and done tasks also trigger it).
    Job(
        name="followups.generate_plan_tasks",
        cron="7 * * * *",
        task_path="guanxi.followups.tasks.generate_plan_tasks",
    ),
    Job(
        name="messaging.deliver_messages",
        cron="* * * * *",
        task_path="guanxi.messaging.tasks.deliver_messages",
    ),
    Job(
        name="core.refresh_database_statistics",
        cron="30 3 * * *",
        task_path="guanxi.core.tasks.refresh_database_statistics",
    ),
    Job(
        name="quality.refresh_duplicates",
        cron="0 2 * * *",
        task_path="guanxi.quality.tasks.refresh_duplicates",
    ),
    Job(
        name="exports.expire_exports",
        cron="*/15 * * * *",
        task_path="guanxi.exports.tasks.expire_exports",
    ),
    Job(
        name="automation.tick",
        cron="* * * * *",
        task_path="guanxi.automation.tasks.automation_tick",
    ),
    Job(
        name="messaging.run_reminder_policies",
        cron="30 7 * * *",
        task_path="guanxi.messaging.tasks.run_reminder_policies",
    ),
    Job(
        name="messaging.send_daily_digests",
        cron="0 8 * * *",
        task_path="guanxi.messaging.tasks.send_daily_digests",
    ),
    # Every 2 minutes, not every minute: a slow server's pass then ends before the next
    # one starts, so two workers do not read the same unseen mail.
    Job(
        name="messaging.poll_reply_mailbox",
        cron="*/2 * * * *",
        task_path="guanxi.messaging.tasks.poll_reply_mailbox",
    ),
]
