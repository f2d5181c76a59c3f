"""File writers: a streaming .xlsx writer, CSV with a UTF-8 BOM, zipping a finished file.

Why our own .xlsx writer: at a million rows of 15 columns, openpyxl's write-only mode needs
~220 s and xlsxwriter's constant-memory mode ~100 s on this project's reference machine
(docs/decisions.md, "Exports"); the target is 60 s for the whole export. An .xlsx sheet is a
zipped XML document; we stream it a chunk at a time with inline strings, in constant memory,
checking and formatting a column at a time (`write_columns`) and deflating in a thread.
Files are read back with openpyxl and python-calamine in the tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import queue
import re
import threading
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol
from xml.sax.saxutils import escape

from guanxi.exports.cells import DANGEROUS_START, neutralise
from guanxi.exports.textcolumns import check, text_values

XLSX_MAX_ROWS = 1_048_576  # per sheet, header included
XLSX_MAX_CHARS = 32_767  # per cell
# Characters XML 1.0 does not allow; a stray one would make Excel refuse the whole file.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Writer(Protocol):
    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None: ...
    def write_columns(self, columns: Sequence[Sequence[Any]]) -> None: ...
    def close(self) -> None: ...


def text_of(value: Any) -> str:
    """Dates and instants as people type them (instants arrive as naive local time)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(" ", "minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


class CsvWriter:
    """UTF-8 with a byte-order mark, so Excel on Windows opens Chinese text correctly."""

    def __init__(self, path: Path, *, header: Sequence[str]) -> None:
        self._file: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._file, lineterminator="\r\n")
        self._csv.writerow([neutralise(h) for h in header])

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        self._csv.writerows([self._value(v) for v in row] for row in rows)

    @staticmethod
    def _value(v: Any) -> Any:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return v
        return neutralise(text_of(v))

    def write_columns(self, columns: Sequence[Sequence[Any]]) -> None:
        """Same cells as write_rows; a text column is checked once, not cell by cell."""
        ready = []
        for column in columns:
            texts = text_values(column)
            if texts is None:
                ready.append([self._value(v) for v in column])
            else:
                ready.append(check(texts, transform=neutralise).values)
        self._csv.writerows(zip(*ready, strict=True))

    def close(self) -> None:
        self._file.close()


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
    "<cols>{cols}</cols><sheetData>"
)
_SHEET_END = "</sheetData></worksheet>"


# Characters that need escaping or removing; most cells have none and skip both steps.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text_cell(value: str, style: str = "") -> str:
    """One text cell (the header, a column of mixed types)."""
    return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{_safe_text(value)}</t></is></c>'


# Row templates use %-formatting (about twice as fast as str.format on a 15-cell row).
_INLINE = '<c t="inlineStr"><is><t>%s</t></is></c>'
# xml:space="preserve" only where it matters (a value with edge white space, tab or newline):
# it is a fifth of the sheet's bytes, so a fifth of its formatting and deflating.
_INLINE_SPACED = '<c t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>'
_EMPTY = "<c/>"


def _safe_text(value: str) -> str:
    """A text cell's content: formula guard, Excel's length limit, XML escaping."""
    if value.startswith(DANGEROUS_START):
        value = "'" + value
    if len(value) > XLSX_MAX_CHARS:
        value = value[:XLSX_MAX_CHARS]
    if _SPECIAL.search(value) is not None:
        value = escape(_XML_ILLEGAL.sub("", value))
    return value


def _text_slot(column: Sequence[Any]) -> tuple[str, Sequence[str]]:
    """A column's part of the row template and the values that fill it."""
    texts = text_values(column)
    if texts is None:  # numbers, dates: cell by cell
        return "%s", [_cell(v) for v in column]
    checked = check(texts, transform=_safe_text, suspect=_SPECIAL, max_chars=XLSX_MAX_CHARS)
    cell = _INLINE_SPACED if checked.spaced else _INLINE
    if checked.has_empty:  # an empty cell is "<c/>", not an empty string
        return "%s", [cell % v if v else _EMPTY for v in checked.values]
    return cell, checked.values


def _cell(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _text_cell(value) if value else "<c/>"
    if value is None:
        return "<c/>"
    if kind is int or kind is float:
        return f"<c><v>{value}</v></c>"
    return _text_cell(text_of(value))


class _Deflater:
    """Writes a sheet's bytes into the zip from a thread of its own: zlib, crc32 and the file
    write release the GIL, so deflating one chunk overlaps making the next (deflate is about a
    third of an .xlsx export's time). At most two chunks wait, so memory stays bounded."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[IO[bytes], bytes] | None] = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="xlsx-deflate", daemon=True)
        self._thread.start()

    def put(self, stream: IO[bytes], data: bytes) -> None:
        self._raise()
        self._queue.put((stream, data))

    def drain(self) -> None:
        """Wait until everything handed over is written (before touching the zip directly)."""
        self._queue.join()
        self._raise()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        self._raise()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                if self._error is None:
                    item[0].write(item[1])
            except BaseException as error:  # noqa: BLE001 — re-raised in the caller's thread
                self._error = error
            finally:
                self._queue.task_done()
        self._queue.task_done()


class XlsxWriter:
    """One workbook, streamed: a new sheet (with the header again) every 1,048,575 rows."""

    def __init__(self, path: Path, *, header: Sequence[str], sheet_name: str = "Sheet") -> None:
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._header = list(header)
        self._sheet_name = _XML_ILLEGAL.sub("", sheet_name)[:28] or "Sheet"
        self._sheets = 0
        self._stream: IO[bytes] | None = None
        self._rows_in_sheet = 0
        self._deflater = _Deflater()
        self._new_sheet()

    def _new_sheet(self) -> None:
        self._end_sheet()
        self._sheets += 1
        self._stream = self._zip.open(
            f"xl/worksheets/sheet{self._sheets}.xml", "w", force_zip64=True
        )
        widths = "".join(
            f'<col min="{n}" max="{n}" width="{min(60, max(10, 2 * len(h) + 4))}" customWidth="1"/>'
            for n, h in enumerate(self._header, start=1)
        )
        header = "".join(_text_cell(h, ' s="1"') for h in self._header)
        self._stream.write((_SHEET_START.format(cols=widths) + f"<row>{header}</row>").encode())
        self._rows_in_sheet = 1

    def _end_sheet(self) -> None:
        self._deflater.drain()
        if self._stream is not None:
            self._stream.write(_SHEET_END.encode())
            self._stream.close()
            self._stream = None

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            self.write_columns(list(zip(*rows, strict=True)))

    def write_columns(self, columns: Sequence[Sequence[Any]]) -> None:
        """Cells column by column: each column is checked and made safe in one pass
        (textcolumns), then every row is one %-format of a row template (C, not a Python
        call per cell)."""
        if not columns or not columns[0]:
            return
        slots = [_text_slot(column) for column in columns]
        row = "<row>" + "".join(slot for slot, _values in slots) + "</row>"
        rows = list(zip(*(values for _slot, values in slots), strict=True))
        while rows:
            if self._rows_in_sheet >= XLSX_MAX_ROWS:
                self._new_sheet()
            room = XLSX_MAX_ROWS - self._rows_in_sheet
            part, rows = rows[:room], rows[room:]
            assert self._stream is not None
            self._deflater.put(self._stream, "".join(map(row.__mod__, part)).encode())
            self._rows_in_sheet += len(part)

    def close(self) -> None:
        try:
            self._end_sheet()
        finally:
            self._deflater.close()
        names = [
            self._sheet_name if n == 1 else f"{self._sheet_name} {n}"
            for n in range(1, self._sheets + 1)
        ]
        sheets = "".join(
            f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
            for n, name in enumerate(names, start=1)
        )
        rels = "".join(
            f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/'
            f'2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, self._sheets + 1)
        )
        styles_id = self._sheets + 1
        self._zip.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=n) for n in range(1, self._sheets + 1))
            ),
        )
        self._zip.writestr("_rels/.rels", _ROOT_RELS)
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>",
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        )
        self._zip.writestr("xl/styles.xml", _STYLES)
        self._zip.close()


def open_writer(path: Path, *, file_format: str, header: Sequence[str], title: str) -> Writer:
    if file_format == "csv":
        return CsvWriter(path, header=header)
    return XlsxWriter(path, header=header, sheet_name=title)


def zip_file(source: Path, *, target: Path, arcname: str) -> None:
    """The finished file, deflated into a .zip of its own (for large CSV files)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        archive.write(source, arcname=arcname)
