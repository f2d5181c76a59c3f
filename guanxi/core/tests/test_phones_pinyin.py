import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.phones import InvalidPhone, display_phone, normalize_phone
from guanxi.core.pinyin import pinyin_keys, search_key

FULLWIDTH = str.maketrans("0123456789+-", "０１２３４５６７８９＋－")


@given(
    prefix=st.sampled_from(["138", "139", "150", "186", "199", "177"]),
    rest=st.integers(min_value=0, max_value=99_999_999),
    style=st.sampled_from(["plain", "spaced", "dashed", "plus86", "86", "0086", "fullwidth"]),
)
def test_mobile_formats_normalise_to_the_same_e164(prefix, rest, style):
    national = f"{prefix}{rest:08d}"
    written = {
        "plain": national,
        "spaced": f"{national[:3]} {national[3:7]} {national[7:]}",
        "dashed": f"{national[:3]}-{national[3:7]}-{national[7:]}",
        "plus86": f"+86 {national}",
        "86": f"86{national}",
        "0086": f"0086{national}",
        "fullwidth": national.translate(FULLWIDTH),
    }[style]
    assert normalize_phone(written) == f"+86{national}"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("010-12345678", "+861012345678"),
        ("(0755) 8888 9999", "+8675588889999"),
        ("021 6123 4567", "+862161234567"),
    ],
)
def test_landlines_with_area_code(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "abc", "138123456789999", "00000000000"])
def test_invalid_numbers_are_rejected(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_display_phone_is_national_for_china():
    assert display_phone("+8613812345678") == "138 1234 5678"


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("重庆火锅", "chongqinghuoguo", "cqhg"),
        ("ABC贸易", "abcmaoyi", "abcmy"),
        ("", "", ""),
    ],
)
def test_pinyin_keys(name, full, initials):
    assert pinyin_keys(name) == (full, initials)


def test_search_key_strips_spaces_and_case():
    assert search_key(" Zhang San ") == "zhangsan"
