"""Reading uploaded spreadsheets: .xlsx/.xls through python-calamine, .csv through the stdlib.

Everything that makes a file unusable is found here, before a single row is written: empty
files, header-only files, corrupt or password-protected workbooks, zip bombs, files over the
size or row limit, formulas, merged cells, hidden sheets and ragged CSV rows. Each raises
`FileRejected` with a message for the user.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import os
import pickle
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from xml.sax.saxutils import escape

import python_calamine
from django.conf import settings
from django.utils.translation import gettext as _

from guanxi.core.errors import ApplicationError

EXTENSIONS = ("xlsx", "xls", "csv")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030", "gbk")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_FORMULA = re.compile(rb"<(?:\w+:)?f[ >/]")
_CHUNK = 1 << 20


class FileRejected(ApplicationError):
    """The file itself cannot be imported; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message, errors={"file": [message]})


def limit(name: str) -> int:
    defaults = {
        "GUANXI_IMPORT_MAX_BYTES": 200 * 1024 * 1024,
        "GUANXI_IMPORT_MAX_ROWS": 1_000_000,
        # What a workbook may inflate to, in total and relative to its size on disk.
        "GUANXI_IMPORT_MAX_UNCOMPRESSED_BYTES": 2 * 1024 * 1024 * 1024,
        "GUANXI_IMPORT_MAX_ZIP_RATIO": 200,
    }
    return int(getattr(settings, name, defaults[name]))


@dataclass
class SheetFile:
    """What the upload/mapping pages and the job need to know about one file."""

    path: Path
    kind: str  # xlsx | xls | csv
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)  # visible sheets, in order
    hidden_sheets: list[str] = field(default_factory=list)
    encoding: str = ""
    headers: list[str] = field(default_factory=list)
    total_rows: int = 0  # data rows, header excluded, empty rows included
    samples: list[list[Any]] = field(default_factory=list)


def file_kind(name: str) -> str:
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EXTENSIONS:
        raise FileRejected(
            _("Files of type “.%(ext)s” cannot be imported. Use .xlsx, .xls or .csv.")
            % {"ext": extension or "?"}
        )
    return extension


def open_sheet(
    path: Path, *, file_name: str, sheet: str = "", encoding: str = "", check_rows: bool = True
) -> SheetFile:
    """Check the file and describe the chosen sheet (default: the first visible one)."""
    kind = file_kind(file_name)
    size = path.stat().st_size
    if size == 0:
        raise FileRejected(_("The file is empty."))
    if size > limit("GUANXI_IMPORT_MAX_BYTES"):
        raise FileRejected(
            _("The file is larger than %(mb)d MB.")
            % {"mb": limit("GUANXI_IMPORT_MAX_BYTES") // (1024 * 1024)}
        )
    info = SheetFile(path=path, kind=kind)
    if kind == "csv":
        _describe_csv(info, encoding=encoding, check_rows=check_rows)
    else:
        _describe_workbook(info, sheet=sheet)
    if not any(str(h).strip() for h in info.headers):
        raise FileRejected(_("The file is empty."))
    if info.total_rows == 0:
        raise FileRejected(_("The file has a header row but no data rows."))
    if info.total_rows > limit("GUANXI_IMPORT_MAX_ROWS"):
        raise FileRejected(
            _("The file has %(rows)s rows; at most %(max)s can be imported at once.")
            % {"rows": f"{info.total_rows:,}", "max": f"{limit('GUANXI_IMPORT_MAX_ROWS'):,}"}
        )
    return info


def iter_rows(info: SheetFile) -> Iterator[tuple[int, list[Any]]]:
    """(sheet row number, cells) for every non-empty data row; the header is row 1."""
    rows = _csv_rows(info) if info.kind == "csv" else _workbook_rows(info)
    width = len(info.headers)
    next(rows, None)  # the header
    for number, cells in enumerate(rows, start=2):
        if not any(c not in ("", None) for c in cells):
            continue
        if len(cells) < width:
            cells = [*cells, *([""] * (width - len(cells)))]
        yield number, cells


# --- CSV -------------------------------------------------------------------------------


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when every byte decodes as such, else GB18030 (a superset of
    GBK, what Excel on a Chinese Windows writes)."""
    with path.open("rb") as handle:
        head = handle.read(3)
        if head == codecs.BOM_UTF8:
            return "utf-8-sig"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def _open_text(info: SheetFile) -> io.TextIOWrapper:
    return info.path.open("r", encoding=info.encoding, errors="strict", newline="")


def _describe_csv(info: SheetFile, *, encoding: str, check_rows: bool) -> None:
    with info.path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        raise FileRejected(_("This is a workbook, not a CSV file. Save it as .xlsx or .csv."))
    if encoding and encoding not in ENCODINGS:
        raise FileRejected(_("Unknown encoding “%(enc)s”.") % {"enc": encoding})
    info.encoding = encoding or detect_encoding(info.path)
    if info.encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
        info.encoding = "utf-8-sig"
    rows = _csv_rows(info)
    try:
        info.headers = [h.strip() for h in next(rows, [])]
        width = len(info.headers)
        count = 0
        for number, cells in enumerate(rows, start=2):
            if len(info.samples) < 5:
                info.samples.append(cells)
            # Trailing empty cells (Excel writes them) do not make a row ragged.
            if (
                check_rows
                and len(cells) != width
                and any(cells)
                and (len(cells) < width or any(c.strip() for c in cells[width:]))
            ):
                raise FileRejected(
                    _(
                        "Row %(row)d has %(cells)d cells but the header has %(width)d: "
                        "the CSV file is malformed (check quotes and separators)."
                    )
                    % {"row": number, "cells": len(cells), "width": width}
                )
            count += 1
            if not check_rows and len(info.samples) >= 5:
                break
        info.total_rows = count
    except UnicodeDecodeError as exc:
        raise FileRejected(
            _("The file cannot be read as %(enc)s. Choose its encoding (UTF-8 or GBK) and retry.")
            % {"enc": info.encoding}
        ) from exc
    except csv.Error as exc:
        raise FileRejected(_("The CSV file is malformed: %(error)s") % {"error": exc}) from exc


def _csv_rows(info: SheetFile) -> Iterator[list[str]]:
    with _open_text(info) as text:
        sample = text.read(8192)
        text.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        yield from csv.reader(text, dialect)


# --- workbooks -------------------------------------------------------------------------


def _describe_workbook(info: SheetFile, *, sheet: str) -> None:
    with info.path.open("rb") as handle:
        head = handle.read(8)
    if info.kind == "xlsx":
        if head.startswith(_OLE_MAGIC):
            # Excel stores an encrypted .xlsx inside an OLE container.
            raise FileRejected(_("The workbook is password-protected. Remove the password."))
        if not head.startswith(_ZIP_MAGIC):
            raise FileRejected(_("The file is damaged or not an Excel workbook."))
        _check_zip(info.path)
    elif not head.startswith(_OLE_MAGIC):
        raise FileRejected(_("The file is damaged or not an Excel workbook."))
    workbook = _open_workbook(info.path)
    with workbook:
        visible = [
            m.name
            for m in workbook.sheets_metadata
            if m.visible == python_calamine.SheetVisibleEnum.Visible
            and m.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        info.hidden_sheets = [m.name for m in workbook.sheets_metadata if m.name not in visible]
        info.sheets = visible
        if sheet and sheet in info.hidden_sheets:
            raise FileRejected(
                _(
                    "The sheet “%(sheet)s” is hidden. Unhide it in Excel if it is meant to be imported."
                )
                % {"sheet": sheet}
            )
        if sheet and sheet not in visible:
            raise FileRejected(_("The workbook has no sheet “%(sheet)s”.") % {"sheet": sheet})
        if not visible:
            raise FileRejected(_("The file is empty."))
        info.sheet = sheet or visible[0]
        cached = _rows_cache(info.path, info.sheet)
        if cached.exists():
            # Checked and read once already (at upload): the description is in the cache.
            with cached.open("rb") as handle:
                described = pickle.load(handle)  # noqa: S301 — written by this server, see _rows_cache
            info.headers, info.samples = described["headers"], described["samples"]
            info.total_rows = described["total_rows"]
            return
        data = _read_sheet(workbook, info.sheet)
        if data.merged_cell_ranges:
            (r0, c0), (r1, c1) = data.merged_cell_ranges[0]
            raise FileRejected(
                _(
                    "The sheet has merged cells (%(range)s). Unmerge them and fill every "
                    "row, then import again."
                )
                % {"range": f"{_cell(r0, c0)}:{_cell(r1, c1)}"}
            )
        rows = data.iter_rows()
        info.headers = [_header(h) for h in next(rows, [])]
        for cells in rows:
            if len(info.samples) >= 5:
                break
            if any(c not in ("", None) for c in cells):
                info.samples.append(cells)
        info.total_rows = max(0, data.height - 1)
        if info.kind == "xlsx":
            _check_formulas(info.path, info.sheet)
        _write_rows_cache(info, data)


def _rows_cache(path: Path, sheet: str) -> Path:
    """Where a sheet's cells are kept after their first read, beside the stored upload.

    calamine parses a 100,000-row workbook in ~2.5 s and only whole sheets at a time; the
    upload, the mapping page, the check, the import's fallback and the error report each
    need the rows. So the first read (the upload, which also runs every check on the file)
    pickles them here and the later ones load that in a fraction of the time. The stored
    upload never changes, the name carries the sheet, and only the server writes the data
    directory (the same trust as the database file): hence pickle, which keeps the cells'
    types (floats, dates) exactly."""
    digest = hashlib.sha256(sheet.encode()).hexdigest()[:16]
    return path.with_name(f"{path.name}.rows-{_ROWS_CACHE_VERSION}-{digest}.pickle")


_ROWS_CACHE_VERSION = 1
_ROWS_PER_CHUNK = 5000


def _write_rows_cache(info: SheetFile, data: Any) -> None:
    target = _rows_cache(info.path, info.sheet)
    temp = target.with_suffix(".partial")
    try:
        with temp.open("wb") as handle:
            description = {
                "headers": info.headers, "samples": info.samples, "total_rows": info.total_rows
            }  # fmt: skip
            pickle.dump(description, handle, protocol=pickle.HIGHEST_PROTOCOL)
            rows = data.iter_rows()
            while chunk := list(itertools.islice(rows, _ROWS_PER_CHUNK)):
                pickle.dump(chunk, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temp, target)
    except OSError:
        temp.unlink(missing_ok=True)  # a read-only folder: every read parses the file again


def _cached_rows(path: Path) -> Iterator[list[Any]]:
    with path.open("rb") as handle:
        pickle.load(handle)  # noqa: S301 — the description, see _rows_cache
        while True:
            try:
                chunk = pickle.load(handle)  # noqa: S301
            except EOFError:
                return
            yield from chunk


def _open_workbook(path: Path) -> python_calamine.CalamineWorkbook:
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as exc:
        raise FileRejected(_("The workbook is password-protected. Remove the password.")) from exc
    except Exception as exc:  # calamine raises several types for damaged files
        raise FileRejected(_("The file is damaged or not an Excel workbook.")) from exc


def _read_sheet(workbook: Any, name: str) -> Any:
    try:
        return workbook.get_sheet_by_name(name)
    except Exception as exc:
        raise FileRejected(_("The file is damaged or not an Excel workbook.")) from exc


def _workbook_rows(info: SheetFile) -> Iterator[list[Any]]:
    cached = _rows_cache(info.path, info.sheet)
    if cached.exists():
        yield from _cached_rows(cached)
        return
    workbook = _open_workbook(info.path)
    with workbook:
        yield from _read_sheet(workbook, info.sheet).iter_rows()


def _header(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value if value is not None else "").strip()


def _cell(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


def _check_zip(path: Path) -> None:
    """Refuse a workbook that inflates to far more than it weighs before calamine opens it."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileRejected(_("The file is damaged or not an Excel workbook.")) from exc
    total = sum(m.file_size for m in members)
    compressed = max(1, sum(m.compress_size for m in members))
    if total > limit("GUANXI_IMPORT_MAX_UNCOMPRESSED_BYTES") or total / compressed > limit(
        "GUANXI_IMPORT_MAX_ZIP_RATIO"
    ):
        raise FileRejected(
            _("The workbook expands to %(mb)s MB when opened, which is not a normal spreadsheet.")
            % {"mb": f"{total / (1024 * 1024):,.0f}"}
        )
    if "xl/workbook.xml" not in {m.filename for m in members}:
        raise FileRejected(_("The file is damaged or not an Excel workbook."))


def _sheet_member(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member holding a sheet, found through workbook.xml and its relationships."""
    workbook = archive.read("xl/workbook.xml").decode("utf-8", "replace")
    rels = archive.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    match = re.search(
        r'<(?:\w+:)?sheet\b[^>]*\bname="' + re.escape(escape(sheet, {'"': "&quot;"})) + r'"[^>]*>',
        workbook,
    )
    rid = re.search(r'\br:id="([^"]+)"', match.group(0)) if match else None
    if not rid:
        return None
    target = re.search(r'<Relationship\b[^>]*\bId="' + re.escape(rid.group(1)) + r'"[^>]*>', rels)
    if not target:
        return None
    found = re.search(r'\bTarget="([^"]+)"', target.group(0))
    if not found:
        return None
    path = found.group(1)
    return path.lstrip("/") if path.startswith("/") else str(PurePosixPath("xl") / path)


def _check_formulas(path: Path, sheet: str) -> None:
    """Formulas import as their last computed value, or as nothing when Excel never saved one:
    refuse them so what is imported is what the user sees. A streamed scan of the sheet's XML."""
    with zipfile.ZipFile(path) as archive:
        try:
            member = _sheet_member(archive, sheet)
        except KeyError:
            member = None
        if member is None:
            return
        tail = b""
        with archive.open(member) as stream:
            while chunk := stream.read(_CHUNK):
                window = tail + chunk
                # `in` scans at memory speed; the pattern only where a tag could start.
                if (b"<f" in window or b":f" in window) and _FORMULA.search(window):
                    raise FileRejected(
                        _(
                            "The sheet contains formulas. Copy the cells and paste them as "
                            "values, then import again."
                        )
                    )
                tail = chunk[-8:]
