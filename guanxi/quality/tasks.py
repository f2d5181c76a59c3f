"""Background jobs of the data-quality app (django.tasks; the scheduler and the page enqueue)."""

from django.tasks import task

from guanxi.quality.services import checks_refresh, duplicates_refresh


@task()
def refresh_duplicates() -> dict[str, object]:
    """The nightly data-quality scan: duplicate groups, then the rows failing the checks no
    index can count (invalid phones / emails, missing required fields)."""
    # Idempotent: both recompute from the data; a killed run is redone whole by the next.
    return {"duplicates": duplicates_refresh(), "checks": checks_refresh()}
