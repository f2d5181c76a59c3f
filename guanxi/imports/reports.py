"""Workbooks the import hands out: the error report and the blank import template."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from guanxi.customers.models import CustomerSource, Industry, Intent, Kind, Level, Stage
from guanxi.imports.mapping import FIELDS
from guanxi.imports.models import Entity, ImportJob, ImportProblem, ProblemKind
from guanxi.imports.reading import iter_rows, open_sheet
from guanxi.imports.rows import join_reasons


def _cell(sheet: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text that looks like a formula stays text
    return cell


def error_report_write(*, job: ImportJob) -> str:
    """The rows that were not imported, as in the file, with a reason column; returns the path
    relative to the data dir, or "" when every row went in."""
    from guanxi.imports.running import stored_file

    reasons: dict[int, list[str]] = {}
    problems = ImportProblem.objects.filter(job=job, dry_run=False).exclude(kind=ProblemKind.LIKELY)
    for row, reason in problems.values_list("row", "reason").order_by("row", "id"):
        reasons.setdefault(row, []).append(reason)
    if not reasons:
        return ""
    info = open_sheet(
        stored_file(job), file_name=job.file_name, sheet=job.sheet, encoding=job.encoding
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Rows not imported"))
    bold = Font(bold=True)
    header = [_cell(sheet, h) for h in [*info.headers, _("Reason")]]
    for cell in header:
        cell.font = bold
    sheet.append(header)
    for number, cells in iter_rows(info):
        if number in reasons:
            sheet.append(
                [_cell(sheet, c) for c in cells] + [_cell(sheet, join_reasons(reasons[number]))]
            )
    relative = Path("imports") / job.stored_path.rsplit("/", 1)[0] / f"errors-{job.pk}.xlsx"
    target = Path(settings.DATA_DIR) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return str(relative)


def template_file(*, entity: str) -> io.BytesIO:
    """The blank import workbook for an entity, in memory (a few kB)."""
    buffer = io.BytesIO()
    template_workbook(entity=entity, path=buffer)
    buffer.seek(0)
    return buffer


def template_workbook(*, entity: str, path: Path | IO[bytes]) -> None:
    """A blank import file: the header row, one example row and drop-downs for the enums."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Import")
    specs = FIELDS[entity]
    example = _examples(entity)
    sheet.append([str(s.label) + (" *" if s.required else "") for s in specs])
    sheet.append([example.get(s.key, "") for s in specs])
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
    lists = book.create_sheet("lists")
    lists.sheet_state = "hidden"  # drop-down sources; not imported (the first sheet is)
    choices = _choices(entity)
    for column, spec in enumerate(specs, start=1):
        sheet.column_dimensions[sheet.cell(1, column).column_letter].width = 16
        values = choices.get(spec.key)
        if not values:
            continue
        for n, value in enumerate(values, start=1):
            lists.cell(n, column, value)
        letter = lists.cell(1, column).column_letter
        validation = DataValidation(
            type="list", formula1=f"=lists!${letter}$1:${letter}${len(values)}", allow_blank=True
        )
        validation.error = _("Choose a value from the list.")
        sheet.add_data_validation(validation)
        validation.add(f"{sheet.cell(2, column).coordinate}:{sheet.cell(5000, column).coordinate}")
    sheet.freeze_panes = "A2"
    book.save(path)


def _choices(entity: str) -> dict[str, list[str]]:
    if entity != Entity.CUSTOMERS:
        return {}
    return {
        "kind": [str(label) for _v, label in Kind.choices],
        "industry": [str(i) for i in Industry.objects.filter(is_active=True)],
        "level": [str(level) for level in Level.objects.filter(is_active=True)],
        "intent": [str(label) for _v, label in Intent.choices],
        "stage": [str(label) for _v, label in Stage.choices],
        "source": [str(label) for _v, label in CustomerSource.choices],
    }


def _examples(entity: str) -> dict[str, str]:
    if entity == Entity.CUSTOMERS:
        return {
            "name": "上海示例科技有限公司", "industry": str(Industry.objects.first() or ""),
            "contact_name": "张经理", "contact_title": "采购总监", "phone": "13812345678",
            "email": "zhang@example.com", "level": str(Level.objects.first() or ""),
            "intent": str(Intent.HIGH.label), "tags": "关注新品,预算充足",
            "last_contact": "2024-04-15", "source": str(CustomerSource.EXHIBITION.label),
            "province": "上海市", "city": "上海市", "demand": "采购办公设备50台",
            "expected_close_date": "2024-06-30",
        }  # fmt: skip
    if entity == Entity.CONTACTS:
        return {"customer_code": "C20240501001", "contact_name": "李工", "phone": "13912345678"}
    return {
        "customer_code": "C20240501001", "occurred_at": "2024-04-15 10:00", "channel": "电话",
        "content": "介绍新品方案，客户有兴趣", "next_step": "发送报价单",
    }  # fmt: skip
