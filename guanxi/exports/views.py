"""Export pages: choose fields and format, watch a job's progress, download, my exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.core.errors import ApplicationError
from guanxi.customers.forms import show_service_errors
from guanxi.exports import conf, selectors, services
from guanxi.exports.entities import ENTITIES
from guanxi.exports.forms import ExportForm, parse_ids
from guanxi.exports.models import FileFormat

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
    "zip": "application/zip",
}
# Customers and their contacts are chosen by the same filter: the page offers both.
SIBLINGS = {"customers": ["customers", "contacts"], "contacts": ["customers", "contacts"]}


def _initial(request: HttpRequest, entity: str) -> dict:
    query = services.filter_query(request.GET)
    ids = parse_ids(request.GET.getlist("ids"))
    remembered = selectors.last_choice(user=request.user, entity=entity)
    fields, file_format = remembered or (ENTITIES[entity].default_keys(), FileFormat.XLSX)
    return {"query": query, "ids": ",".join(map(str, ids)), "fields": fields,
            "file_format": file_format}  # fmt: skip


def _siblings(current: str, values) -> list[dict]:
    """Tabs to switch between entities chosen by the same filter, keeping filter and ticks."""
    tabs = []
    for name in SIBLINGS.get(current, []):
        params = QueryDict(values.get("query") or "", mutable=True)
        params["entity"] = name
        if values.get("ids"):
            params["ids"] = values["ids"]
        url = f"{reverse('exports:new')}?{params.urlencode()}"
        tabs.append({"title": ENTITIES[name].title, "url": url, "active": name == current})
    return tabs


@login_required
@require_http_methods(["GET", "POST"])
def export_new(request: HttpRequest) -> HttpResponse:
    require_perm(request.user, Perm.DATA_EXPORT)
    entity = ENTITIES.get(request.GET.get("entity") or "customers")
    if entity is None:
        raise Http404
    post = request.method == "POST"
    form = ExportForm(request.POST if post else None, entity=entity,
                      initial=None if post else _initial(request, entity.name))  # fmt: skip
    if post and form.is_valid():
        try:
            job = services.export_request(actor=request.user, **form.service_kwargs())
        except ApplicationError as exc:
            if exc.status_code == 403:
                raise
            show_service_errors(form, exc)
        else:
            return redirect("exports:detail", pk=job.pk)
    values = form.data if post else form.initial
    ids = parse_ids([values.get("ids") or ""])
    summary = selectors.export_preview(user=request.user, entity=entity.name,
                                       query=values.get("query") or "", ids=ids)  # fmt: skip
    context = {"form": form, "entity": entity, "summary": summary,
               "siblings": _siblings(entity.name, values), "expiry_hours": conf.expiry_hours()}  # fmt: skip
    return render(request, "exports/export_form.html", context)


@login_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    jobs = selectors.export_list(user=request.user)[:100]
    return render(request, "exports/export_list.html", {"jobs": jobs})


@login_required
@require_GET
def export_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's page; while it runs, HTMX asks for its status part every two seconds."""
    job = selectors.export_get(user=request.user, pk=pk)
    context = {"job": job, "downloadable": selectors.is_downloadable(job)}
    partial = bool(request.htmx) and request.htmx.target == f"job-{job.pk}"
    template = "exports/export_detail.html" + ("#status" if partial else "")
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


@login_required
@require_GET
def export_download(request: HttpRequest, pk: int) -> FileResponse:
    job, path = selectors.export_file(user=request.user, pk=pk)
    extension = path.suffix.lstrip(".")
    return FileResponse(path.open("rb"), as_attachment=True, filename=job.file_name,
                        content_type=CONTENT_TYPES.get(extension))  # fmt: skip
