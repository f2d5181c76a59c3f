"""A django.tasks backend that hands tasks to Celery workers over Redis.

Kept here rather than taken from a third-party package: the bridge is small, and the only
published one (django-tasks-celery 0.1.x) is young. Tasks are sent after the surrounding
transaction commits, so a worker never sees a task for data that was rolled back.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import Task, TaskResult, TaskResultStatus
from django.utils import timezone


class CeleryBackend(BaseTaskBackend):
    supports_defer = True
    supports_priority = True

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        self.validate_task(task)
        from guanxi.celery_app import app

        result_id = str(uuid.uuid4())

        def send() -> None:
            app.send_task(
                "guanxi.run_django_task",
                args=[task.module_path, list(args), dict(kwargs)],
                task_id=result_id,
                eta=task.run_after,
            )

        transaction.on_commit(send)
        return TaskResult(
            task=task,
            id=result_id,
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
