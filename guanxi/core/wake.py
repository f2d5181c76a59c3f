"""Waking a worker for a loop that takes everything due when it runs (message delivery,
automation steps): one waiting wake-up is enough, so with the database task backend a second
one is not queued while the first still waits — bulk work would otherwise queue thousands."""

from __future__ import annotations

from django.conf import settings
from django.tasks import Task, TaskResultStatus


def enqueue_unless_waiting(task: Task) -> None:
    if settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend":
        from django_tasks_db.models import DBTaskResult

        waiting = DBTaskResult.objects.filter(
            status=TaskResultStatus.READY, task_path=task.module_path
        )
        if waiting.exists():
            return
    task.enqueue()
