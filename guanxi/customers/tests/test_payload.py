import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from rest_framework import serializers

from guanxi.customers.serializers import _datetime_text


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York"])
@pytest.mark.parametrize(
    "value",
    [
        dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC),
        dt.datetime(2024, 12, 31, 23, 59, 59, 123456, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 10, 6, 30, tzinfo=dt.UTC),  # a DST change in New York
    ],
)
def test_datetimes_read_exactly_as_drf_writes_them(zone, value):
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        expected = serializers.DateTimeField().to_representation(value)
        assert _datetime_text(value, timezone.get_current_timezone()) == expected
