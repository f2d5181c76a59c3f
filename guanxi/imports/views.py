"""Import pages: upload → mapping → check result → import with live progress → result."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.core.forms import apply_errors
from guanxi.imports import selectors, services
from guanxi.imports.forms import MappingForm, UploadForm
from guanxi.imports.models import Entity, Status
from guanxi.imports.reading import open_sheet
from guanxi.imports.reports import template_file
from guanxi.imports.running import stored_file

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def job_list(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_IMPORT)
    jobs = selectors.job_list(user=request.user)[:100]
    return render(request, "imports/job_list.html", {"jobs": jobs, "entities": Entity.choices})


@login_required
def job_new(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.CUSTOMER_IMPORT)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = services.import_job_create(
                actor=request.user, upload=data["file"], file_name=data["file"].name,
                entity=data["entity"], encoding=data["encoding"], mode=data["mode"],
                automation=data["automation"], default_owner=data["default_owner"],
                template=data["template"],
            )  # fmt: skip
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("imports:mapping", pk=job.pk)
    return render(request, "imports/job_new.html", {"form": form})


@login_required
def job_mapping(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    info = open_sheet(
        stored_file(job),
        file_name=job.file_name,
        sheet=job.sheet,
        encoding=job.encoding,
        check_rows=False,
    )
    form = MappingForm(request.POST or None, job=job, sheets=info.sheets)
    if request.method == "POST" and form.is_valid():
        try:
            sheet = form.cleaned_data.get("sheet") or None
            job = services.import_job_configure(
                actor=request.user, job=job, mapping=form.mapping(), sheet=sheet
            )
            if sheet and "change_sheet" in request.POST:
                return redirect("imports:mapping", pk=job.pk)
            if form.cleaned_data["template_name"]:
                services.import_template_save(
                    actor=request.user, job=job, name=form.cleaned_data["template_name"]
                )
            services.import_job_check(actor=request.user, job=job)
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("imports:detail", pk=job.pk)
    samples = [
        [row[i] if i < len(row) else "" for row in info.samples[:3]]
        for i in range(len(job.headers))
    ]
    context = {
        "job": job,
        "form": form,
        "columns": zip(form.column_fields(), samples, strict=False),
    }
    return render(request, "imports/job_mapping.html", context)


@login_required
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    dry_run = job.status in (Status.PENDING, Status.CHECKING, Status.VALIDATED)
    context = {
        "job": job,
        "problems": selectors.job_problems(job=job, dry_run=dry_run),
        "likely": job.problems.filter(dry_run=dry_run, kind="likely").order_by("row")[:20],
    }
    if request.htmx and request.GET.get("part") == "progress":
        response = render(request, "imports/job_detail.html#progress", context)
        if not job.is_active:
            response["HX-Refresh"] = "true"  # finished: reload to show the result
        return response
    return render(request, "imports/job_detail.html", context)


@login_required
@require_POST
def job_start(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        services.import_job_start(actor=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("imports:detail", pk=job.pk)


@login_required
@require_POST
def job_undo(request: HttpRequest, pk: int) -> HttpResponse:
    job = selectors.job_get(user=request.user, pk=pk)
    try:
        counts = services.import_job_undo(actor=request.user, job=job)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Import undone: %(deleted)d deleted, %(restored)d restored, %(kept)d kept.") % counts,
        )
    return redirect("imports:detail", pk=job.pk)


@login_required
def error_report(request: HttpRequest, pk: int) -> FileResponse:
    job, path = selectors.error_report_path(user=request.user, pk=pk)
    name = f"{job.file_name.rsplit('.', 1)[0]}-errors.xlsx"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=XLSX)


@login_required
def template_download(request: HttpRequest) -> FileResponse:
    require_perm(request.user, Perm.CUSTOMER_IMPORT)
    entity = (
        request.GET.get("entity")
        if request.GET.get("entity") in Entity.values
        else Entity.CUSTOMERS
    )
    handle = template_file(entity=entity)
    return FileResponse(
        handle, as_attachment=True, filename=f"import-{entity}.xlsx", content_type=XLSX
    )
