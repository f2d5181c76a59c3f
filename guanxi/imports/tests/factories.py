"""Spreadsheet files for import tests, written the way Excel and Chinese offices write them."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from guanxi.imports import services
from guanxi.imports.models import ImportJob

# Headers of the seed documents' sample tables (the shared seeds 000 and 003/004).
SEED_HEADERS = ["客户名称", "行业", "联系人", "手机号", "层级", "标签"]
SEED_ENGLISH = ["customer_id", "company_name", "industry", "contact_name", "phone", "e", "level",
                "tags", "last_contact"]  # fmt: skip
SEED_TABLE_003 = ["客户编号", "客户名称", "所属行业", "联系人", "联系电话", "需求描述", "意向等级",
                  "创建时间", "负责人"]  # fmt: skip
SEED_TABLE_004 = ["客户编号", "客户名称", "所属行业", "联系人", "职位", "联系方式", "需求描述",
                  "合作阶段", "跟进人", "最后跟进时间"]  # fmt: skip


def xlsx_bytes(rows: list[list[Any]], *, sheets: dict[str, list[list[Any]]] | None = None) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "客户"
    for row in rows:
        sheet.append(row)
    for name, extra in (sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra:
            other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], *, encoding: str = "utf-8") -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    return text.getvalue().encode(encoding)


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def job_from(actor, data: bytes, name: str = "customers.xlsx", **options) -> ImportJob:
    return services.import_job_create(
        actor=actor, upload=io.BytesIO(data), file_name=name, **options
    )


def run(actor, data: bytes, name: str = "customers.xlsx", **options) -> ImportJob:
    """Upload, check and import in one go (tasks run inline in tests)."""
    job = job_from(actor, data, name, **options)
    job = services.import_job_check(actor=actor, job=job, background=False)
    return services.import_job_start(actor=actor, job=job, background=False)
