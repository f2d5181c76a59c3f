"""Reading exported files back, as a spreadsheet program would."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from guanxi.exports import conf
from guanxi.exports.models import ExportJob


def xlsx_rows(path: Path) -> list[list]:
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = [
        ["" if v is None else v for v in row]
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    workbook.close()
    return rows


def calamine_rows(path: Path) -> list[list]:
    book = CalamineWorkbook.from_path(str(path))
    return [row for name in book.sheet_names for row in book.get_sheet_by_name(name).to_python()]


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def job_rows(job: ExportJob) -> list[list]:
    path = conf.export_dir() / job.file_path
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            return csv_rows(archive.read(archive.namelist()[0]))
    if path.suffix == ".csv":
        return csv_rows(path.read_bytes())
    return xlsx_rows(path)
