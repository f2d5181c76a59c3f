"""Values bound as one parameter come back from the database exactly as they went in."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from guanxi.core.sql_lists import array_literal, pk_in, rows_source
from guanxi.customers.models import Customer
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

AWKWARD = [
    "plain",
    "",
    "NULL",
    'say "hi"',
    "back\\slash\\",
    "{braces}, commas, and spaces ",
    "新客户 ，「引号」",
    "line\nbreak\ttab",
    "'single' quotes; --",
]


def test_rows_come_back_unchanged_through_the_row_source():
    rows = [(i, text, None if i % 3 == 0 else i * 10) for i, text in enumerate(AWKWARD, 1)]
    source, params = rows_source(
        columns=[("n", "bigint"), ("label", "text"), ("maybe", "bigint")], rows=rows
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT v.n, v.label, v.maybe FROM {source} ORDER BY v.n", params)  # noqa: S608
        back = [tuple(row) for row in cursor.fetchall()]
    assert back == rows


def test_array_literal_escapes_quotes_and_backslashes():
    assert array_literal([1, None, 'a"b', "c\\d", True]) == '{1,NULL,"a\\"b","c\\\\d",t}'


def test_pk_in_matches_the_listed_rows_only():
    customers = CustomerFactory.create_batch(5)
    wanted = [customers[0].pk, customers[3].pk, 999_999_999]
    found = set(Customer.objects.filter(pk_in(wanted)).values_list("pk", flat=True))
    assert found == {customers[0].pk, customers[3].pk}
    assert not Customer.objects.filter(pk_in([])).exists()


def test_insert_rows_skips_taken_keys_and_returns_the_rest_in_order():
    from guanxi.accounts.tests.factories import UserFactory
    from guanxi.core.sql_lists import insert_rows
    from guanxi.messaging.models import Notification

    user = UserFactory()
    stamp = connection.ops.adapt_datetimefield_value(timezone.now())

    def insert(keys: list[str]) -> list[tuple]:
        return insert_rows(
            model=Notification, fields=["user", "kind", "title", "dedupe_key"],
            rows=[(user.pk, "test", f"标题 {k}", k) for k in keys],
            constants={"created_at": stamp, "body": "", "url": ""}, conflict="dedupe_key",
            returning=["dedupe_key"], per=2,
        )  # fmt: skip

    assert insert(["a", "b"]) == [("a",), ("b",)]
    assert insert(["b", "c", "a", "d", "e"]) == [("c",), ("d",), ("e",)]
    titles = dict(Notification.objects.values_list("dedupe_key", "title"))
    assert titles == {k: f"标题 {k}" for k in "abcde"}
