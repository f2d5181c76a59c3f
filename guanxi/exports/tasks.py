"""Background jobs of the exports app (django.tasks)."""

from django.tasks import task

from guanxi.exports.services import export_run, exports_expire, exports_recover


@task()
def run_export(job_id: int) -> int:
    job = export_run(job_id=job_id)
    return job.row_count if job else 0


@task()
def expire_exports() -> dict[str, int]:
    """Scheduled: delete expired files, re-run exports whose worker died."""
    return {"expired": exports_expire(), "requeued": exports_recover()}
