"""The writers' files open in spreadsheet libraries with the values we wrote."""

import datetime as dt
import zipfile

from guanxi.exports import writers
from guanxi.exports.tests.helpers import calamine_rows, csv_rows, xlsx_rows

ROWS = [
    ["C001", "上海某某科技有限公司", 12, dt.date(2024, 5, 1)],
    ["C002", '=HYPERLINK("http://x")', 0, None],
    ["C003", "bad\x01char <&> ", -3, ""],
]


def write(path, writer_class, rows=ROWS, **kwargs):
    writer = writer_class(path, header=["编号", "名称", "数量", "日期"], **kwargs)
    writer.write_rows(rows)
    writer.close()


def test_xlsx_reads_back_in_openpyxl(tmp_path):
    path = tmp_path / "a.xlsx"
    write(path, writers.XlsxWriter, sheet_name="客户")
    assert xlsx_rows(path) == [
        ["编号", "名称", "数量", "日期"],
        ["C001", "上海某某科技有限公司", 12, "2024-05-01"],
        ["C002", '\'=HYPERLINK("http://x")', 0, ""],
        ["C003", "badchar <&> ", -3, ""],
    ]


def test_xlsx_reads_back_in_calamine(tmp_path):
    path = tmp_path / "a.xlsx"
    write(path, writers.XlsxWriter)
    rows = calamine_rows(path)
    assert rows[1][:3] == ["C001", "上海某某科技有限公司", 12]
    assert rows[2][1] == '\'=HYPERLINK("http://x")'


def test_xlsx_starts_a_new_sheet_with_the_header_when_one_is_full(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "XLSX_MAX_ROWS", 3)
    path = tmp_path / "a.xlsx"
    write(path, writers.XlsxWriter, sheet_name="客户")
    with zipfile.ZipFile(path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert len(sheets) == 2
    rows = xlsx_rows(path)
    assert [r[0] for r in rows] == ["编号", "C001", "C002", "编号", "C003"]


def test_csv_has_a_byte_order_mark_and_guards_formulas(tmp_path):
    path = tmp_path / "a.csv"
    write(path, writers.CsvWriter)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data)
    assert rows[1] == ["C001", "上海某某科技有限公司", "12", "2024-05-01"]
    assert rows[2][1] == '\'=HYPERLINK("http://x")'
    assert rows[3][2] == "-3"  # a number, not text: nothing to guard
