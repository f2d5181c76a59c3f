"""Celery application for GUANXI_TASKS_BACKEND=celery: runs django.tasks functions."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guanxi.settings")

app = Celery("guanxi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_acks_late = True  # a killed worker's task is redelivered, not lost
app.conf.worker_prefetch_multiplier = 1


@app.task(name="guanxi.run_django_task")
def run_django_task(module_path: str, args: list, kwargs: dict) -> object:
    from django.utils.module_loading import import_string

    task = import_string(module_path)
    return task.call(*args, **kwargs)
