"""Background jobs of the engine (django.tasks): a tick every minute from the scheduler, and
a step run right after something enrolled customers, so a journey's first step does not
wait for the next minute."""

from __future__ import annotations

from django.db import transaction
from django.tasks import task


@task()
def automation_tick() -> dict:
    from guanxi.automation.engine import tick

    return tick().as_json()


@task()
def run_due_steps() -> dict:
    from guanxi.automation.executor import run_due

    report = run_due()
    return {"executed": report.executed, "failed": report.failed, "skipped": report.skipped}


def wake_engine() -> None:
    from guanxi.core.wake import enqueue_unless_waiting

    transaction.on_commit(lambda: enqueue_unless_waiting(run_due_steps))
