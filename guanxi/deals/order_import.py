"""Orders from a spreadsheet (.xlsx, .xls, .csv): read with the import machinery's reader
(guanxi/imports/reading.py: every file check, calamine, encodings), columns matched from
Chinese or English headers, each row checked like an item of `POST /orders/bulk/`, written
by the same upsert (order_sync.write) — all or nothing: a file with one bad row writes no
row, and the report lists every bad row with its reasons. The check (dry run) is the import
itself, rolled back, so its counts are exactly what the import will do.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.accounts.models import User
from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source
from guanxi.core.errors import ApplicationError
from guanxi.deals import order_sync
from guanxi.imports.mapping import FieldSpec, normalize_header
from guanxi.imports.reading import FileRejected, iter_rows, open_sheet
from guanxi.imports.rows import field_reason, join_reasons, parse_date, text

FIELDS = (
    FieldSpec("number", gettext_lazy("Order number"), ("订单号", "订单编号", "单号", "订单号码", "order_no", "order number", "order", "number"), required=True),
    FieldSpec("customer_code", gettext_lazy("Customer code"), ("客户编号", "客户代码", "customer_code", "customer code", "customer_id", "code")),
    FieldSpec("customer_external_id", gettext_lazy("Customer external id"), ("客户外部编号", "外部客户编号", "customer_external_id", "customer external id")),
    FieldSpec("customer_phone", gettext_lazy("Customer phone"), ("手机号", "手机", "手机号码", "联系电话", "电话", "客户电话", "phone", "mobile", "customer_phone")),
    FieldSpec("ordered_at", gettext_lazy("Order date"), ("下单时间", "下单日期", "订单日期", "订单时间", "成交日期", "日期", "时间", "ordered_at", "order date", "date"), required=True),
    FieldSpec("amount", gettext_lazy("Amount"), ("金额", "订单金额", "实付金额", "成交金额", "总金额", "amount", "total"), required=True),
    FieldSpec("status", gettext_lazy("Status"), ("状态", "订单状态", "status"), required=True),
    FieldSpec("items_summary", gettext_lazy("Items"), ("商品", "商品明细", "明细", "产品", "items", "items_summary", "products")),
    FieldSpec("currency", gettext_lazy("Currency"), ("币种", "货币", "currency")),
)  # fmt: skip
CUSTOMER_KEYS = ("customer_code", "customer_external_id", "customer_phone")
REPORTED_ROWS = 200


@dataclass
class ImportReport:
    rows: int
    dry_run: bool
    written: bool = False
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invalid: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (row, reasons)
    columns: dict[str, str] = field(default_factory=dict)  # header → field label

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows, "dry_run": self.dry_run, "written": self.written,
            "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
            "invalid": self.invalid,
            "problems": [{"row": row, "reason": reason} for row, reason in self.problems],
        }  # fmt: skip


def column_mapping(headers: list[str]) -> dict[int, str]:
    """Column index → field key, from the header aliases; a field goes to its first column."""
    lookup: dict[str, str] = {}
    for spec in FIELDS:
        for alias in (spec.key, *spec.aliases):
            lookup.setdefault(normalize_header(alias), spec.key)
    mapping: dict[int, str] = {}
    for index, header in enumerate(headers):
        key = lookup.get(normalize_header(header))
        if key and key not in mapping.values():
            mapping[index] = key
    return mapping


def _check_columns(mapping: dict[int, str]) -> None:
    chosen = set(mapping.values())
    missing = [str(s.label) for s in FIELDS if s.required and s.key not in chosen]
    if not chosen & set(CUSTOMER_KEYS):
        missing.append(_("a customer column (code, external id or phone)"))
    if missing:
        message = _("The file has no column for: %(fields)s.") % {"fields": ", ".join(missing)}
        raise ApplicationError(message, errors={"file": [message]})


def _raw_item(cells: list[Any], mapping: dict[int, str], source: str) -> dict[str, Any]:
    raw: dict[str, Any] = {"source": source}
    for index, key in mapping.items():
        value = cells[index] if index < len(cells) else None
        if key == "ordered_at":
            try:  # spreadsheets write dates many ways: 2024/5/1, 2024年5月1日, serials
                raw[key] = parse_date(value)
            except (ValueError, OverflowError):
                raw[key] = text(value)
        elif key == "amount" and isinstance(value, (int, float)) and not isinstance(value, bool):
            raw[key] = repr(value) if isinstance(value, float) else str(value)
        else:
            raw[key] = text(value)
    raw["external_id"] = raw.get("number", "")
    return raw


def _label(key: str) -> str:
    for spec in FIELDS:
        if spec.key == key:
            return str(spec.label)
    if key == "customer":
        return _("Customer")
    return key


def orders_import(
    *,
    actor: User,
    path: Path,
    file_name: str,
    source: str,
    dry_run: bool,
    sheet: str = "",
    encoding: str = "",
) -> ImportReport:
    """Check (dry run) or import a file of orders; FileRejected / ApplicationError for a file
    that cannot be read or lacks a column. All or nothing: any invalid row, nothing written."""
    require_perm(actor, Perm.ORDER_SYNC)
    source = (source or "").strip()
    if not source:
        raise ApplicationError(
            _("Name the source system."), errors={"source": [_("Name the source system.")]}
        )
    info = open_sheet(path, file_name=file_name, sheet=sheet, encoding=encoding)
    mapping = column_mapping(info.headers)
    _check_columns(mapping)
    numbers: list[int] = []
    raws: list[dict[str, Any]] = []
    for number, cells in iter_rows(info):
        if not any(text(c) for c in cells):
            continue  # a blank line in the sheet
        numbers.append(number)
        raws.append(_raw_item(cells, mapping, source))
    report = ImportReport(
        rows=len(raws),
        dry_run=dry_run,
        columns={info.headers[i]: _label(k) for i, k in mapping.items()},
    )
    items = order_sync.prepare(actor=actor, raws=raws)
    for item in items:
        if item.errors:
            report.invalid += 1
            if len(report.problems) < REPORTED_ROWS:
                reasons = [
                    field_reason(_label(key), message)
                    for key, messages in item.errors.items()
                    for message in messages
                ]
                report.problems.append((numbers[item.index], join_reasons(reasons)))
    if report.invalid or not items:
        return report
    with transaction.atomic():
        results = order_sync.write(actor=actor, items=items, source=Source.IMPORT)
        for item, result in zip(items, results, strict=True):
            if result["result"] != "error":
                setattr(report, result["result"], getattr(report, result["result"]) + 1)
                continue
            # An order of a customer out of the importer's scope: the whole file goes back.
            report.invalid += 1
            reasons = [field_reason(_label(k), m) for k, ms in result["errors"].items() for m in ms]
            report.problems.append((numbers[item.index], join_reasons(reasons)))
        transaction.set_rollback(dry_run or bool(report.invalid))
    report.written = not (dry_run or report.invalid)
    return report


# --- uploads kept between the check and the import ---------------------------------------


def _upload_dir() -> Path:
    return Path(settings.DATA_DIR) / "order-imports"


def upload_store(*, actor: User, upload: Any, file_name: str) -> str:
    """Keep an uploaded file for the import that follows its check; returns its token."""
    require_perm(actor, Perm.ORDER_SYNC)
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension not in ("xlsx", "xls", "csv"):
        raise FileRejected(
            _("Files of type “.%(ext)s” cannot be imported. Use .xlsx, .xls or .csv.")
            % {"ext": extension or "?"}
        )
    token = f"{actor.pk}-{secrets.token_hex(8)}.{extension}"
    folder = _upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / token).open("wb") as out:
        for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
            out.write(chunk)
    _sweep(folder)
    return token


def upload_path(*, actor: User, token: str) -> Path:
    """The stored upload of this user; NotFound-like error for any other token."""
    name = Path(token).name
    path = _upload_dir() / name
    if name != token or not name.startswith(f"{actor.pk}-") or not path.is_file():
        raise ApplicationError(_("This upload has expired; choose the file again."))
    return path


def _sweep(folder: Path, *, hours: int = 24) -> None:
    """Forget uploads nobody imported within a day."""
    limit = dt.datetime.now().timestamp() - hours * 3600
    for old in folder.iterdir():
        if old.is_file() and old.stat().st_mtime < limit:
            old.unlink(missing_ok=True)
