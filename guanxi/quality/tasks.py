"""Background jobs of the data-quality app (django.tasks; the scheduler and the page enqueue)."""

from django.tasks import task

from guanxi.quality.services import duplicates_refresh


@task()
def refresh_duplicates() -> dict[str, int]:
    # Idempotent: recomputes from the data and replaces the groups in one transaction.
    return duplicates_refresh()
