import io
import zipfile

import pytest
from openpyxl import Workbook

from guanxi.imports.reading import FileRejected, detect_encoding, iter_rows, open_sheet
from guanxi.imports.tests.factories import csv_bytes, write, xlsx_bytes

ROWS = [["客户名称", "手机号"], ["上海某某科技有限公司", "13812345678"]]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (csv_bytes(ROWS), "utf-8"),
        (b"\xef\xbb\xbf" + csv_bytes(ROWS), "utf-8-sig"),
        (csv_bytes(ROWS, encoding="gbk"), "gb18030"),
        (csv_bytes(ROWS, encoding="gb18030"), "gb18030"),
    ],
)
def test_csv_encoding_is_detected(tmp_path, data, expected):
    path = write(tmp_path, "a.csv", data)
    assert detect_encoding(path) == expected
    info = open_sheet(path, file_name="a.csv")
    assert info.headers == ["客户名称", "手机号"]
    assert list(iter_rows(info)) == [(2, ["上海某某科技有限公司", "13812345678"])]


def test_wrong_encoding_override_is_rejected(tmp_path):
    path = write(tmp_path, "a.csv", csv_bytes(ROWS, encoding="gbk"))
    with pytest.raises(FileRejected, match="UTF-8"):
        open_sheet(path, file_name="a.csv", encoding="utf-8")


def test_encoding_override_reads_gbk(tmp_path):
    path = write(tmp_path, "a.csv", csv_bytes(ROWS, encoding="gbk"))
    assert open_sheet(path, file_name="a.csv", encoding="gbk").headers[0] == "客户名称"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.csv", b"", "empty"),
        ("a.csv", "客户名称,手机号\n".encode(), "no data rows"),
        ("a.xlsx", xlsx_bytes([["客户名称", "手机号"]]), "no data rows"),
        ("a.xlsx", xlsx_bytes([]), "empty"),
        ("a.csv", "客户名称,手机号\n甲,1,2\n".encode(), "Row 2 has 3 cells"),
        ("a.xlsx", b"PK\x03\x04 not really a zip", "damaged"),
        ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password"),
        ("a.xls", b"garbage", "damaged"),
        ("a.pdf", b"%PDF", ".pdf"),
    ],
)
def test_bad_files_are_rejected(tmp_path, name, data, message):
    with pytest.raises(FileRejected, match=message):
        open_sheet(write(tmp_path, name, data), file_name=name)


def test_trailing_empty_cells_do_not_make_a_row_ragged(tmp_path):
    path = write(tmp_path, "a.csv", "客户名称,手机号\n甲,13812345678,,\n".encode())
    assert open_sheet(path, file_name="a.csv").total_rows == 1


def test_zip_bomb_is_rejected_before_reading(tmp_path, settings):
    settings.GUANXI_IMPORT_MAX_ZIP_RATIO = 50
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 5_000_000)
    with pytest.raises(FileRejected, match="expands"):
        open_sheet(write(tmp_path, "a.xlsx", buffer.getvalue()), file_name="a.xlsx")


def test_file_over_the_size_limit_is_rejected(tmp_path, settings):
    settings.GUANXI_IMPORT_MAX_BYTES = 10
    with pytest.raises(FileRejected, match="larger than"):
        open_sheet(write(tmp_path, "a.csv", csv_bytes(ROWS)), file_name="a.csv")


def test_file_over_the_row_limit_is_rejected(tmp_path, settings):
    settings.GUANXI_IMPORT_MAX_ROWS = 1
    data = csv_bytes([*ROWS, ["乙", "13912345678"]])
    with pytest.raises(FileRejected, match="at most 1"):
        open_sheet(write(tmp_path, "a.csv", data), file_name="a.csv")


def _workbook(tmp_path, build) -> object:
    book = Workbook()
    sheet = book.active
    sheet.title = "客户"
    sheet.append(["客户名称", "手机号"])
    sheet.append(["甲", "13812345678"])
    build(book, sheet)
    path = tmp_path / "a.xlsx"
    book.save(path)
    return path


def test_formulas_are_rejected(tmp_path):
    path = _workbook(tmp_path, lambda book, sheet: sheet.append(["乙", '=A2&"1"']))
    with pytest.raises(FileRejected, match="formulas"):
        open_sheet(path, file_name="a.xlsx")


def test_merged_cells_are_rejected(tmp_path):
    def merge(book, sheet):
        sheet.append(["丙", ""])
        sheet.merge_cells("A3:A4")

    with pytest.raises(FileRejected, match="merged cells"):
        open_sheet(_workbook(tmp_path, merge), file_name="a.xlsx")


def test_hidden_sheet_is_not_offered_and_cannot_be_chosen(tmp_path):
    def hide(book, sheet):
        secret = book.create_sheet("隐藏")
        secret.append(["x"])
        secret.sheet_state = "hidden"

    path = _workbook(tmp_path, hide)
    info = open_sheet(path, file_name="a.xlsx")
    assert (info.sheets, info.hidden_sheets, info.sheet) == (["客户"], ["隐藏"], "客户")
    with pytest.raises(FileRejected, match="hidden"):
        open_sheet(path, file_name="a.xlsx", sheet="隐藏")


def test_second_sheet_can_be_chosen(tmp_path):
    data = xlsx_bytes(ROWS, sheets={"联系人": [["姓名"], ["张三"], ["李四"]]})
    info = open_sheet(write(tmp_path, "a.xlsx", data), file_name="a.xlsx", sheet="联系人")
    assert (info.sheets, info.headers, info.total_rows) == (["客户", "联系人"], ["姓名"], 2)


def test_xlsx_numbers_and_empty_rows(tmp_path):
    data = xlsx_bytes([ROWS[0], ["甲", 13812345678], [None, None], ["乙", "13912345678"]])
    info = open_sheet(write(tmp_path, "a.xlsx", data), file_name="a.xlsx")
    assert [n for n, _cells in iter_rows(info)] == [2, 4]


def test_a_sheet_is_parsed_once_and_read_back_from_its_cache(tmp_path, monkeypatch):
    """The upload's read keeps the rows beside the file; later reads of the same sheet give
    the same description and cells (types included) without calamine."""
    import datetime as dt

    from guanxi.imports import reading

    data = xlsx_bytes(
        [ROWS[0], ["甲", 13812345678], [None, None], ["乙", dt.datetime(2024, 5, 1, 9, 30)]],
        sheets={"联系人": [["姓名"], ["张三"]]},
    )
    path = write(tmp_path, "a.xlsx", data)
    first = open_sheet(path, file_name="a.xlsx")
    parsed = list(iter_rows(first))
    assert reading._rows_cache(path, "客户").exists()
    assert not reading._rows_cache(path, "联系人").exists()  # only the sheet that was read

    def no_calamine(*args, **kwargs):
        raise AssertionError("the sheet was parsed again")

    monkeypatch.setattr(reading, "_read_sheet", no_calamine)
    again = open_sheet(path, file_name="a.xlsx")
    assert (again.sheets, again.headers, again.samples, again.total_rows) == (
        first.sheets, first.headers, first.samples, first.total_rows,
    )  # fmt: skip
    assert list(iter_rows(again)) == parsed
    assert parsed[1][1][1] == dt.datetime(2024, 5, 1, 9, 30) and parsed[0][1][1] == 13812345678


def test_a_rejected_sheet_leaves_no_cache(tmp_path):
    from guanxi.imports import reading

    path = _workbook(tmp_path, lambda book, sheet: sheet.append(["乙", '=A2&"1"']))
    with pytest.raises(FileRejected):
        open_sheet(path, file_name="a.xlsx")
    assert not list(tmp_path.glob("*.pickle")) and not list(tmp_path.glob("*.partial"))
    assert not reading._rows_cache(path, "客户").exists()
