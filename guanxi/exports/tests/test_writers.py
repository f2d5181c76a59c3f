"""The writers' files open in spreadsheet libraries with the values we wrote."""

import datetime as dt
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.exports import writers
from guanxi.exports.cells import neutralise
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


# --- the column-at-a-time path gives what the per-cell rules give ---------------------------

text = st.text(alphabet=st.sampled_from(list("ab 上海\t\r\n=+-@&<>'\x01\x0b") + ["\ufffe"]))
cell = st.one_of(st.none(), text, st.sampled_from(["=1+1", " x", "y ", "甲", ""]), st.integers())
FEW = ["普通客户", "=SUM(A1)", " 前后空格 ", "", "A&B"]


def expected(value):
    """The per-cell rules: guard, drop XML-illegal characters; numbers stay numbers. (An XML
    reader turns a stored CR into LF — as it always did with this writer.)"""
    if value is None or value == "":
        return ""
    if isinstance(value, int):
        return value
    shown = writers._XML_ILLEGAL.sub("", neutralise(value))
    return shown.replace("\r\n", "\n").replace("\r", "\n")


def read_back(tmp_path, columns):
    path = tmp_path / "cols.xlsx"
    writer = writers.XlsxWriter(path, header=[f"c{n}" for n in range(len(columns))])
    writer.write_columns(columns)
    writer.close()
    return xlsx_rows(path)[1:], zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=40))
def test_columns_read_back_as_the_per_cell_rules_say(tmp_path, rows):
    columns = [list(c) for c in zip(*rows, strict=True)]
    assert read_back(tmp_path, columns)[0] == [[expected(v) for v in row] for row in rows]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(column=st.lists(st.sampled_from(FEW), min_size=40, max_size=80))
def test_a_column_of_few_distinct_values_reads_back_the_same(tmp_path, column):
    rows, _xml = read_back(tmp_path, [column])
    assert rows == [[expected(v)] for v in column]


def test_edge_spaces_and_newlines_are_preserved_and_plain_text_is_not_marked(tmp_path):
    rows, xml = read_back(tmp_path, [["plain", "text"], [" lead", "two\nlines"]])
    assert rows == [["plain", " lead"], ["text", "two\nlines"]]
    assert '<t xml:space="preserve"> lead</t>' in xml
    assert "<t>plain</t>" in xml


def test_a_cell_is_cut_at_excels_limit(tmp_path):
    rows, _xml = read_back(tmp_path, [["x" * 40_000, "y"]])
    assert [len(r[0]) for r in rows] == [writers.XLSX_MAX_CHARS, 1]


def test_csv_columns_guard_formulas_like_rows(tmp_path):
    path = tmp_path / "a.csv"
    writer = writers.CsvWriter(path, header=["a", "b"])
    writer.write_columns([["=1", None, "ok"], [1, "-2", "@x"]])
    writer.close()
    assert csv_rows(path.read_bytes())[1:] == [["'=1", "1"], ["", "'-2"], ["ok", "'@x"]]
