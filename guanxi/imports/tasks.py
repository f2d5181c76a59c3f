"""Background jobs of the imports app (django.tasks; run by `guanxi worker`).

Both are idempotent: the check replaces its own findings, and the import resumes after
the last committed batch, so a task delivered twice (or rerun after a killed worker)
never writes a row twice.
"""

from django.tasks import task

from guanxi.imports.models import ImportJob, Status
from guanxi.imports.running import job_check


@task()
def check_import(job_id: int) -> None:
    job = ImportJob.objects.filter(pk=job_id, status=Status.CHECKING).first()
    if job is None:
        return
    try:
        job = job_check(job)
    except Exception as exc:
        message = getattr(exc, "message", str(exc))
        ImportJob.objects.filter(pk=job_id).update(
            status=Status.PENDING, message=str(message)[:500]
        )
        raise
    if job.start_after_check:
        from guanxi.imports.services import import_job_start

        import_job_start(actor=job.created_by, job=job, background=False)


@task()
def run_import(job_id: int) -> None:
    from guanxi.imports.services import job_execute

    job = ImportJob.objects.filter(pk=job_id, status__in=[Status.QUEUED, Status.RUNNING]).first()
    if job is not None:
        job_execute(job)
