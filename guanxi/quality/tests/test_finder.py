"""The duplicate finder: candidates, scores, groups, dismissals, scope."""

import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.customers.merging import customers_merge
from guanxi.customers.tests.factories import ContactFactory
from guanxi.quality import finder, selectors
from guanxi.quality.models import DuplicateDismissal, DuplicateGroup
from guanxi.quality.services import duplicate_group_dismiss, duplicates_refresh
from guanxi.quality.tasks import refresh_duplicates
from guanxi.quality.tests.factories import customer, with_contact

pytestmark = pytest.mark.django_db


def _members(group):
    return sorted(group.members.values_list("customer_id", flat=True))


def test_same_phone_on_two_customers_makes_a_group_with_the_reason():
    a = with_contact(name="甲公司", contact={"phone": "+8613800000001"})
    b = with_contact(name="完全不同", contact={"phone": "+8613800000001"}, city="北京市")
    with_contact(name="无关", contact={"phone": "+8613800000009"})
    duplicates_refresh()
    group = DuplicateGroup.objects.get()
    assert _members(group) == [a.pk, b.pk]
    assert {"kind": "phone", "value": "+8613800000001"} in group.reasons
    assert group.score >= 90


def test_a_phone_matches_another_customers_second_phone():
    a = with_contact(contact={"phone": "+8613800000001"})
    b = with_contact(contact={"phone": "+8613800000002", "phone_alt": "+8613800000001"})
    duplicates_refresh()
    assert _members(DuplicateGroup.objects.get()) == [a.pk, b.pk]


def test_same_email_links_customers():
    a = with_contact(contact={"email": "boss@example.com"})
    b = with_contact(contact={"email": "boss@example.com"})
    duplicates_refresh()
    assert _members(DuplicateGroup.objects.get()) == [a.pk, b.pk]


def test_same_name_key_links_only_within_the_same_city():
    a = customer(name="上海某某科技有限公司")
    b = customer(name="上海某某科技公司")
    customer(name="上海某某科技公司", province="北京市", city="北京市")
    duplicates_refresh()
    group = DuplicateGroup.objects.get()
    assert _members(group) == [a.pk, b.pk]
    assert {"kind": "name", "similarity": 100} in group.reasons


def test_similar_names_in_one_city_are_found_by_fuzzy_blocking():
    a = customer(name="上海明远信息科技有限公司")
    b = customer(name="上海明远信息技术有限公司")
    duplicates_refresh()
    group = DuplicateGroup.objects.get()
    assert _members(group) == [a.pk, b.pk]
    assert 50 < group.score < 90


def test_different_names_without_shared_contacts_are_not_grouped():
    customer(name="上海明远信息科技有限公司")
    customer(name="杭州大河餐饮管理有限公司")
    duplicates_refresh()
    assert not DuplicateGroup.objects.exists()


def test_a_phone_shared_by_too_many_customers_is_ignored():
    for _ in range(finder.MAX_SHARED + 1):
        with_contact(contact={"phone": "+864008001234"})
    duplicates_refresh()
    assert not DuplicateGroup.objects.filter(reasons__icontains="4008001234").exists()


def test_score_adds_up_evidence():
    p = finder.Profile(1, "某某", "某某", "上海市", "上海市")
    q = finder.Profile(2, "另一家", "另一家", "北京市", "北京市")
    phone_only, _ = finder.pair_score(phones={"+8613800000001"}, emails=set(), a=p, b=q)
    phone_and_name, _ = finder.pair_score(phones={"+8613800000001"}, emails=set(), a=p, b=p)
    assert 90 <= phone_only < phone_and_name <= 100


def test_refresh_twice_keeps_the_group_id_and_drops_what_no_longer_matches():
    a = with_contact(contact={"phone": "+8613800000001"})
    with_contact(contact={"phone": "+8613800000001"})
    duplicates_refresh()
    first = DuplicateGroup.objects.get().pk
    duplicates_refresh()
    assert DuplicateGroup.objects.get().pk == first
    a.contacts.update(phone="+8613800000003")
    assert duplicates_refresh()["removed"] == 1
    assert not DuplicateGroup.objects.exists()


def test_the_background_task_refreshes():
    with_contact(contact={"phone": "+8613800000001"})
    with_contact(contact={"phone": "+8613800000001"})
    refresh_duplicates.enqueue()
    assert DuplicateGroup.objects.count() == 1


def test_dismissed_pair_is_remembered_and_audited():
    supervisor = UserFactory(role_slug="supervisor")
    a = with_contact(owner=supervisor, contact={"phone": "+8613800000001"})
    b = with_contact(owner=supervisor, contact={"phone": "+8613800000001"})
    duplicates_refresh()
    duplicate_group_dismiss(actor=supervisor, group=DuplicateGroup.objects.get())
    duplicates_refresh()
    assert not DuplicateGroup.objects.exists()
    assert DuplicateDismissal.objects.filter(customer_low=a, customer_high=b).exists()
    assert ActivityEvent.objects.filter(verb=Verb.DISMISSED, customer_id=a.pk).count() == 1


def test_dismiss_needs_the_merge_permission_and_changes_nothing():
    sales = UserFactory(role_slug="sales")
    with_contact(owner=sales, contact={"phone": "+8613800000001"})
    with_contact(owner=sales, contact={"phone": "+8613800000001"})
    duplicates_refresh()
    with pytest.raises(PermissionDeniedError):
        duplicate_group_dismiss(actor=sales, group=DuplicateGroup.objects.get())
    assert DuplicateGroup.objects.count() == 1
    assert not DuplicateDismissal.objects.exists()


def test_dismiss_of_a_group_partly_out_of_scope_is_not_found():
    supervisor = UserFactory(role_slug="supervisor")
    with_contact(owner=supervisor, contact={"phone": "+8613800000001"})
    with_contact(owner=UserFactory(team=TeamFactory()), contact={"phone": "+8613800000001"})
    duplicates_refresh()
    with pytest.raises(NotFoundError):
        duplicate_group_dismiss(actor=supervisor, group=DuplicateGroup.objects.get())
    assert not DuplicateDismissal.objects.exists()


def test_groups_show_only_when_two_members_are_visible():
    sales = UserFactory(role_slug="sales")
    with_contact(owner=sales, contact={"phone": "+8613800000001"})
    with_contact(contact={"phone": "+8613800000001"})
    supervisor = UserFactory(role_slug="admin")
    duplicates_refresh()
    assert list(selectors.duplicate_groups(user=sales)) == []
    assert selectors.duplicate_groups(user=supervisor).count() == 1


def test_merging_a_group_removes_it():
    supervisor = UserFactory(role_slug="supervisor")
    a = with_contact(owner=supervisor, contact={"phone": "+8613800000001"})
    b = with_contact(owner=supervisor, contact={"phone": "+8613800000001"})
    duplicates_refresh()
    customers_merge(actor=supervisor, survivor=a, others=[b])
    assert list(selectors.duplicate_groups(user=supervisor)) == []


def test_live_duplicates_of_one_customer_are_scoped_and_scored():
    sales = UserFactory(role_slug="sales")
    mine = with_contact(owner=sales, name="某某贸易", contact={"phone": "+8613800000001"})
    twin = with_contact(owner=sales, name="某某贸易", contact={"phone": "+8613800000001"})
    with_contact(contact={"phone": "+8613800000001"})  # someone else's
    found = selectors.duplicates_of(user=sales, customer=mine)
    assert [c.customer.pk for c in found] == [twin.pk]
    assert found[0].score >= 95


def test_live_duplicates_skip_a_dismissed_pair():
    admin = UserFactory(role_slug="admin")
    mine = with_contact(owner=admin, contact={"phone": "+8613800000001"})
    twin = with_contact(owner=admin, contact={"phone": "+8613800000001"})
    DuplicateDismissal.objects.create(
        customer_low=mine, customer_high=twin, dismissed_at="2024-01-01T00:00:00Z"
    )
    assert selectors.duplicates_of(user=admin, customer=mine) == []


def test_contact_factory_phone_fixture_is_valid():
    # Guard for the tests above: factories give E.164 phones.
    assert ContactFactory.build().phone.startswith("+86")
