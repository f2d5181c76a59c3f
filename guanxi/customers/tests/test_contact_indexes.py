import pytest
from django.db import connection

from guanxi.core.maintenance import database_statistics_refresh
from guanxi.core.schedule import JOBS
from guanxi.customers.models import Contact
from guanxi.customers.selectors import contact_lookup, search_ids
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_statistics_job_is_scheduled_nightly_and_runs():
    job = next(j for j in JOBS if j.name == "core.refresh_database_statistics")
    assert job.cron == "30 3 * * *"
    job.task().call()  # ANALYZE on whichever database the suite runs on


def test_lookup_ignores_empty_values():
    customer = CustomerFactory()
    ContactFactory(customer=customer, phone_alt="")
    assert list(contact_lookup(Contact.objects.all(), "phone_alt", "")) == []


def test_second_phone_finds_the_customer():
    contact = ContactFactory(phone="+8613800000001", phone_alt="+8613900000002")
    assert set(search_ids("139 0000 0002")) == {contact.customer_id}


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite query plan")
def test_mostly_empty_second_phone_keeps_its_index_after_analyze():
    customer = CustomerFactory()
    Contact.objects.bulk_create(
        [Contact(customer=customer, name=f"c{i}", phone=f"+86138{i:08d}") for i in range(300)]
    )
    database_statistics_refresh()
    sql, params = contact_lookup(
        Contact.objects.all(), "phone_alt", "+8613900000002"
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "contact_phone_alt" in plan
