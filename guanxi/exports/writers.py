"""File writers: a streaming .xlsx writer, CSV with a UTF-8 BOM, zipping a finished file.

Why our own .xlsx writer: at a million rows of 15 columns, openpyxl's write-only mode needs
~220 s and xlsxwriter's constant-memory mode ~100 s on this project's reference machine
(docs/decisions/exports.md); the target is 60 s for the whole export. An .xlsx sheet is a
zipped XML document, and one we stream row by row with inline strings costs ~10 s for the
same rows, in constant memory. Files are read back with openpyxl and python-calamine in the
tests.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Protocol
from xml.sax.saxutils import escape

from guanxi.exports.cells import DANGEROUS_START, neutralise

XLSX_MAX_ROWS = 1_048_576  # per sheet, header included
XLSX_MAX_CHARS = 32_767  # per cell
# Characters XML 1.0 does not allow; a stray one would make Excel refuse the whole file.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class Writer(Protocol):
    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None: ...
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
        self._csv.writerows(
            [
                v
                if isinstance(v, int | float) and not isinstance(v, bool)
                else neutralise(text_of(v))
                for v in row
            ]
            for row in rows
        )

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
    # The hot path of a million-row export: one C-level check per step, no work when clean.
    if value.startswith(DANGEROUS_START):
        value = "'" + value
    if len(value) > XLSX_MAX_CHARS:
        value = value[:XLSX_MAX_CHARS]
    if _SPECIAL.search(value) is not None:
        value = escape(_XML_ILLEGAL.sub("", value))
    # xml:space="preserve" on every cell: cheaper than testing for edge spaces, same meaning.
    return f'<c t="inlineStr"{style}><is><t xml:space="preserve">{value}</t></is></c>'


def _cell(value: Any) -> str:
    kind = type(value)
    if kind is str:
        return _text_cell(value) if value else "<c/>"
    if value is None:
        return "<c/>"
    if kind is int or kind is float:
        return f"<c><v>{value}</v></c>"
    return _text_cell(text_of(value))


class XlsxWriter:
    """One workbook, streamed: a new sheet (with the header again) every 1,048,575 rows."""

    def __init__(self, path: Path, *, header: Sequence[str], sheet_name: str = "Sheet") -> None:
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._header = list(header)
        self._sheet_name = _XML_ILLEGAL.sub("", sheet_name)[:28] or "Sheet"
        self._sheets = 0
        self._stream: IO[bytes] | None = None
        self._rows_in_sheet = 0
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
        if self._stream is not None:
            self._stream.write(_SHEET_END.encode())
            self._stream.close()
            self._stream = None

    def write_rows(self, rows: Iterable[Sequence[Any]]) -> None:
        parts: list[str] = []
        for row in rows:
            if self._rows_in_sheet >= XLSX_MAX_ROWS:
                self._flush(parts)
                self._new_sheet()
            parts.append("<row>" + "".join([_cell(v) for v in row]) + "</row>")
            self._rows_in_sheet += 1
        self._flush(parts)

    def _flush(self, parts: list[str]) -> None:
        if parts and self._stream is not None:
            self._stream.write("".join(parts).encode())
            parts.clear()

    def close(self) -> None:
        self._end_sheet()
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
