"""Background jobs of the core app (django.tasks; enqueued by the scheduler)."""

from django.tasks import task

from guanxi.core.maintenance import database_statistics_refresh


@task()
def refresh_database_statistics() -> None:
    database_statistics_refresh()
