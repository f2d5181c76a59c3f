"""The nightly scan at scale: difference writes, cliques and dismissals, check hits."""

import pytest
from django.utils import timezone

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.models import Contact
from guanxi.quality import finder, selectors, services
from guanxi.quality.models import CheckHit, DuplicateDismissal, DuplicateGroup
from guanxi.quality.services import checks_refresh, duplicates_refresh
from guanxi.quality.tasks import refresh_duplicates
from guanxi.quality.tests.factories import customer, with_contact

pytestmark = pytest.mark.django_db


def _groups():
    return sorted(
        sorted(g.members.values_list("customer_id", flat=True))
        for g in DuplicateGroup.objects.all()
    )


def test_a_second_refresh_writes_nothing_when_nothing_changed():
    with_contact(contact={"phone": "+8613800000001"})
    with_contact(contact={"phone": "+8613800000001"})
    duplicates_refresh()
    result = duplicates_refresh()
    assert (result["new"], result["changed"], result["removed"]) == (0, 0, 0)
    assert set(result["seconds"]) >= {"phone", "email", "name", "components", "write", "total"}


def test_a_changed_score_is_updated_in_place():
    a = with_contact(name="甲公司", contact={"phone": "+8613800000001"})
    b = with_contact(name="乙工厂", contact={"phone": "+8613800000001"}, city="北京市")
    duplicates_refresh()
    group = DuplicateGroup.objects.get()
    Contact.objects.filter(customer=b).update(email="same@example.com")
    Contact.objects.filter(customer=a).update(email="same@example.com")
    assert duplicates_refresh()["changed"] == 1
    updated = DuplicateGroup.objects.get()
    assert updated.pk == group.pk
    assert updated.score > group.score


def test_same_name_key_clique_links_everyone_in_one_group():
    ids = [customer(name="上海某某科技有限公司").pk for _ in range(4)]
    duplicates_refresh()
    assert _groups() == [sorted(ids)]


def test_a_dismissed_pair_in_a_same_name_clique_still_meets_through_a_newcomer():
    a = customer(name="上海某某科技有限公司")
    b = customer(name="上海某某科技公司")
    DuplicateDismissal.objects.create(
        customer_low=a, customer_high=b, dismissed_at="2024-01-01T00:00:00Z"
    )
    duplicates_refresh()
    assert _groups() == []
    c = customer(name="上海某某科技有限公司")
    duplicates_refresh()
    assert _groups() == [sorted([a.pk, b.pk, c.pk])]


def test_too_many_same_name_keys_in_one_city_are_not_linked():
    for _ in range(finder.MAX_SHARED + 1):
        customer(name="上海某某科技有限公司")
    duplicates_refresh()
    assert _groups() == []


def test_a_long_member_list_is_keyed_by_a_digest():
    members = list(range(10_000_000, 10_000_100))
    key = finder.group_key(members)
    assert key.startswith("sha1:")
    assert len(key) <= finder.KEY_LENGTH
    assert finder.group_key([1, 2]) == "1,2"


def test_a_customer_deleted_before_the_write_is_left_out():
    a = with_contact(contact={"phone": "+8613800000001"})
    b = with_contact(contact={"phone": "+8613800000001"})
    c = with_contact(contact={"phone": "+8613800000001"})
    groups = finder.scan(dismissed=set()).run()
    c.delete()
    services._store(groups, now=timezone.now())
    assert _groups() == [sorted([a.pk, b.pk])]


def test_a_group_left_with_one_member_is_not_written():
    a = with_contact(contact={"phone": "+8613800000001"})
    b = with_contact(contact={"phone": "+8613800000001"})
    groups = finder.scan(dismissed=set()).run()
    b.delete()
    services._store(groups, now=timezone.now())
    assert _groups() == []
    assert a.pk


# --- scanned checks ----------------------------------------------------------------------


def _invalid_phone_ids(user):
    return sorted(c.pk for c in selectors.invalid_phone_contacts(user=user))


def test_check_scan_records_the_failing_rows():
    bad = with_contact(contact={"phone": "12345"})
    with_contact(contact={"phone": "+8613812345678"})
    assert checks_refresh()["invalid-phones"] == 1
    assert list(CheckHit.objects.values_list("row_id", flat=True)) == [bad.contacts.get().pk]


def test_a_fixed_row_leaves_the_list_before_the_next_scan():
    admin = UserFactory(role_slug="admin")
    bad = with_contact(owner=admin, contact={"phone": "12345"})
    checks_refresh()
    assert len(_invalid_phone_ids(admin)) == 1
    Contact.objects.filter(customer=bad).update(phone="+8613812345678")
    assert _invalid_phone_ids(admin) == []


def test_a_bad_row_added_after_the_scan_shows_at_once():
    admin = UserFactory(role_slug="admin")
    checks_refresh()
    late = with_contact(owner=admin, contact={"phone": "0000"})
    assert _invalid_phone_ids(admin) == [late.contacts.get().pk]


def test_a_row_spoiled_in_place_after_the_scan_waits_for_the_next_scan():
    admin = UserFactory(role_slug="admin")
    ok = with_contact(owner=admin, contact={"phone": "+8613812345678"})
    checks_refresh()
    Contact.objects.filter(customer=ok).update(phone="0000")  # bypassing validation
    assert _invalid_phone_ids(admin) == []
    checks_refresh()
    assert _invalid_phone_ids(admin) == [ok.contacts.get().pk]


def test_scanned_check_lists_stay_scoped():
    sales = UserFactory(role_slug="sales")
    mine = with_contact(owner=sales, contact={"phone": "12345"})
    with_contact(contact={"phone": "0000"})  # someone else's
    checks_refresh()
    assert _invalid_phone_ids(sales) == [mine.contacts.get().pk]


def test_the_nightly_task_refreshes_groups_and_checks():
    with_contact(contact={"phone": "+8613800000001"})
    with_contact(contact={"phone": "+8613800000001"})
    with_contact(contact={"email": "no-at-sign"})
    refresh_duplicates.enqueue()
    assert DuplicateGroup.objects.count() == 1
    assert CheckHit.objects.filter(check_slug="invalid-emails").count() == 1


def test_the_duplicates_page_shows_the_first_rows_of_a_large_group_and_counts_the_rest(client):
    from django.urls import reverse

    from guanxi.quality.views.duplicates import MEMBER_ROWS

    admin = UserFactory(role_slug="admin")
    for _ in range(MEMBER_ROWS + 2):
        customer(owner=admin, name="上海某某科技有限公司")
    duplicates_refresh()
    client.force_login(admin)
    response = client.get(reverse("quality:duplicates"))
    [(_group, rows, more)] = response.context["groups"]
    assert (len(rows), more) == (MEMBER_ROWS, 2)
    assert response.content.decode().count('name="ids"') == MEMBER_ROWS
