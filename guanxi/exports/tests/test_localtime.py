"""Instants converted the fast way equal what the UI's `|date:"Y-m-d H:i"` shows."""

import datetime as dt
import zoneinfo

import pytest
from django.template import Context, Template
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from guanxi.exports.localtime import LocalMinutes

UI = Template('{{ value|date:"Y-m-d H:i" }}')
ZONES = ["Asia/Shanghai", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"]
instants = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)).map(
    lambda v: v.replace(tzinfo=dt.UTC)
)


def on_screen(value: dt.datetime, zone: str) -> str:
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        return UI.render(Context({"value": value}))


def sqlite_text(value: dt.datetime) -> str:
    """How Django stores an aware datetime in SQLite: UTC, no offset."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


@pytest.mark.parametrize("zone", ZONES)
@settings(max_examples=200)
@given(value=instants)
def test_sqlite_text_reads_as_on_screen(zone, value):
    assert LocalMinutes(zoneinfo.ZoneInfo(zone))(sqlite_text(value)) == on_screen(value, zone)


@pytest.mark.parametrize("zone", ZONES)
@settings(max_examples=200)
@given(value=instants)
def test_postgresql_datetimes_read_as_on_screen(zone, value):
    assert LocalMinutes(zoneinfo.ZoneInfo(zone))(value) == on_screen(value, zone)


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Lord_Howe"])
def test_every_minute_around_a_daylight_saving_change_reads_as_on_screen(zone):
    convert = LocalMinutes(zoneinfo.ZoneInfo(zone))
    start = dt.datetime(2024, 3, 9, 12, tzinfo=dt.UTC)  # spans both zones' changes
    for minutes in range(0, 60 * 24 * 30, 7):
        value = start + dt.timedelta(minutes=minutes, seconds=59)
        assert convert(sqlite_text(value)) == on_screen(value, zone)
        assert convert(value) == on_screen(value, zone)


def test_shanghai_is_eight_hours_ahead_of_the_stored_utc():
    convert = LocalMinutes(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert convert("2024-05-01 16:30:59.999999") == "2024-05-02 00:30"
    assert convert("2024-05-01 16:30:00") == "2024-05-02 00:30"


def test_missing_instants_are_empty():
    convert = LocalMinutes(zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert convert(None) == ""
    assert convert("") == ""
