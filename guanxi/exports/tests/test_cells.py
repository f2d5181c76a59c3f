"""Cell values: the formula guard and phones as the screen shows them."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guanxi.core.phones import display_phone
from guanxi.exports.cells import email_cell, neutralise, phone_cell


@pytest.mark.parametrize("value", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_text_starting_like_a_formula_gets_an_apostrophe(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["上海某某科技", "138 1234 5678", "", "a=b", "1-2"])
def test_other_text_is_unchanged(value):
    assert neutralise(value) == value


@given(st.integers(min_value=3_000_000_000, max_value=9_999_999_999))
def test_fast_mobile_format_equals_the_screen_format(number):
    e164 = f"+861{number % 10_000_000_000:010d}"
    assert phone_cell(e164, sees=True) == display_phone(e164)


def test_landline_reads_as_on_screen():
    assert phone_cell("+861012345678", sees=True) == display_phone("+861012345678")


def test_phone_is_masked_for_a_viewer_without_contact_details():
    assert phone_cell("+8613812348000", sees=False) == "138****8000"


def test_email_is_masked_for_a_viewer_without_contact_details():
    assert email_cell("zhang.san@example.com", sees=False) == "z***@example.com"
    assert email_cell("zhang.san@example.com", sees=True) == "zhang.san@example.com"
