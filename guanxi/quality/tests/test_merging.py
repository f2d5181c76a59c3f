"""customers.merging.customers_merge: values, moves, audit, permissions, conflicts."""

import datetime as dt

import pytest
from django.db import models
from django.utils import timezone

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import events
from guanxi.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from guanxi.customers import merging
from guanxi.customers.merging import customers_merge, merged_survivor_id
from guanxi.customers.models import Contact, Customer, Tag
from guanxi.customers.services import customer_update
from guanxi.customers.tests.factories import ContactFactory
from guanxi.followups.models import FollowUp, Task
from guanxi.quality.models import MergedCustomer
from guanxi.quality.tests.factories import customer

pytestmark = pytest.mark.django_db


def _pair(supervisor=None, **other_fields):
    supervisor = supervisor or UserFactory(role_slug="supervisor")
    keep = customer(owner=supervisor, name="上海某某科技有限公司", address="", remarks="老客户")
    other = customer(
        owner=supervisor, name="上海某某科技公司", address="浦东新区1号", **other_fields
    )
    return supervisor, keep, other


def test_merge_deletes_the_other_and_fills_empty_fields_from_it():
    supervisor, keep, other = _pair()
    survivor = customers_merge(actor=supervisor, survivor=keep, others=[other])
    assert not Customer.objects.filter(pk=other.pk).exists()
    assert survivor.name == "上海某某科技有限公司"  # the survivor's own value by default
    assert survivor.address == "浦东新区1号"  # empty on the survivor: taken from the other
    assert survivor.remarks == "老客户"


def test_merge_takes_the_chosen_value_and_recomputes_search_keys():
    supervisor, keep, other = _pair()
    survivor = customers_merge(
        actor=supervisor, survivor=keep, others=[other], field_choices={"name": other.pk}
    )
    assert survivor.name == "上海某某科技公司"
    assert survivor.name_pinyin == "shanghaimoumoukejigongsi"


def test_merge_region_is_taken_as_a_whole():
    supervisor, keep, other = _pair()
    Customer.objects.filter(pk=other.pk).update(province="浙江省", city="杭州市", district="西湖区")
    survivor = customers_merge(
        actor=supervisor, survivor=keep, others=[other], field_choices={"region": other.pk}
    )
    assert (survivor.province, survivor.city, survivor.district) == ("浙江省", "杭州市", "西湖区")


def test_merge_rejects_a_choice_outside_the_merge_and_changes_nothing():
    supervisor, keep, other = _pair()
    stranger = customer(owner=supervisor)
    with pytest.raises(ApplicationError) as err:
        customers_merge(
            actor=supervisor, survivor=keep, others=[other], field_choices={"name": stranger.pk}
        )
    assert list(err.value.errors) == ["field_choices.name"]
    assert Customer.objects.filter(pk=other.pk).exists()
    assert Customer.objects.get(pk=keep.pk).version == keep.version
    assert not ActivityEvent.objects.filter(verb=Verb.MERGED).exists()


def test_merge_rejects_an_unknown_field():
    supervisor, keep, other = _pair()
    with pytest.raises(ApplicationError) as err:
        customers_merge(actor=supervisor, survivor=keep, others=[other], field_choices={"x": 1})
    assert list(err.value.errors) == ["field_choices.x"]


def test_merge_needs_two_customers():
    supervisor, keep, _other = _pair()
    with pytest.raises(ApplicationError) as err:
        customers_merge(actor=supervisor, survivor=keep, others=[keep])
    assert list(err.value.errors) == ["others"]


def test_merge_moves_followups_tasks_and_keeps_history_on_the_survivor():
    supervisor, keep, other = _pair()
    followup = FollowUp.objects.create(
        customer=other, author=supervisor, occurred_at=timezone.now(), content="电话沟通"
    )
    task = Task.objects.create(
        customer=other, assignee=supervisor, title="回访", due_at=timezone.now()
    )
    customer_update(actor=supervisor, customer=other, data={"remarks": "合并前的修改"})
    customers_merge(actor=supervisor, survivor=keep, others=[other])
    assert FollowUp.objects.get(pk=followup.pk).customer_id == keep.pk
    assert Task.objects.get(pk=task.pk).customer_id == keep.pk
    history = ActivityEvent.objects.filter(customer_id=keep.pk)
    assert history.filter(verb=Verb.UPDATED, target_id=other.pk).exists()
    assert not ActivityEvent.objects.filter(customer_id=other.pk).exists()


def test_merge_writes_one_merged_row_on_the_survivor_and_one_per_removed_customer():
    supervisor, keep, other = _pair()
    customers_merge(
        actor=supervisor, survivor=keep, others=[other], field_choices={"name": other.pk}
    )
    on_survivor = ActivityEvent.objects.get(verb=Verb.MERGED, target_id=keep.pk)
    assert on_survivor.summary == other.code
    assert on_survivor.changes["name"] == ["上海某某科技有限公司", "上海某某科技公司"]
    on_removed = ActivityEvent.objects.get(verb=Verb.MERGED, target_id=other.pk)
    assert on_removed.customer_id == keep.pk
    assert on_removed.changes["code"] == [other.code, None]


def test_merge_publishes_customer_merged_after_commit(django_capture_on_commit_callbacks):
    supervisor, keep, other = _pair()
    heard = []
    events.subscribe(heard.append)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            customers_merge(actor=supervisor, survivor=keep, others=[other])
    finally:
        events.unsubscribe(heard.append)
    merged = [e for e in heard if e.name == "customer.merged"]
    assert [(e.customer_id, e.payload["merged_ids"]) for e in merged] == [(keep.pk, [other.pk])]


def test_merge_unites_tags_and_keeps_the_latest_contact_time():
    supervisor, keep, other = _pair()
    keep.tags.add(Tag.objects.create(name="VIP"))
    other.tags.add(Tag.objects.create(name="展会"))
    latest = dt.datetime(2024, 6, 1, 9, 0, tzinfo=dt.UTC)
    Customer.objects.filter(pk=other.pk).update(last_contact_at=latest)
    survivor = customers_merge(actor=supervisor, survivor=keep, others=[other])
    assert sorted(survivor.tags.values_list("name", flat=True)) == ["VIP", "展会"]
    assert survivor.last_contact_at == latest


def test_merge_folds_a_contact_with_the_same_phone_and_keeps_one_primary():
    supervisor, keep, other = _pair()
    mine = ContactFactory(customer=keep, phone="+8613800000001", email="", title="")
    twin = ContactFactory(
        customer=other, phone="+8613800000001", email="a@example.com", title="经理"
    )
    extra = ContactFactory(customer=other, is_primary=False, phone="+8613800000002")
    followup = FollowUp.objects.create(
        customer=other, contact=twin, author=supervisor, occurred_at=timezone.now(), content="x"
    )
    customers_merge(actor=supervisor, survivor=keep, others=[other])
    contacts = list(Contact.objects.filter(customer=keep).order_by("id"))
    assert [c.pk for c in contacts] == [mine.pk, extra.pk]
    assert (contacts[0].email, contacts[0].title) == ("a@example.com", "经理")
    assert [c.is_primary for c in contacts] == [True, False]
    assert FollowUp.objects.get(pk=followup.pk).contact_id == mine.pk


def test_merge_makes_the_chosen_customers_primary_contact_primary():
    supervisor, keep, other = _pair()
    ContactFactory(customer=keep)
    theirs = ContactFactory(customer=other)
    customers_merge(
        actor=supervisor, survivor=keep, others=[other], field_choices={"primary_contact": other.pk}
    )
    assert list(Contact.objects.filter(customer=keep, is_primary=True)) == [theirs]


def test_merge_fills_custom_fields_per_key():
    supervisor, keep, other = _pair()
    Customer.objects.filter(pk=keep.pk).update(custom_fields={"size": 50})
    Customer.objects.filter(pk=other.pk).update(custom_fields={"size": 80, "category": "零售"})
    survivor = customers_merge(actor=supervisor, survivor=keep, others=[other])
    assert survivor.custom_fields == {"size": 50, "category": "零售"}


def test_merge_takes_over_the_others_external_id_when_the_survivor_has_none():
    supervisor, keep, other = _pair(external_source="erp", external_id="E-1")
    survivor = customers_merge(actor=supervisor, survivor=keep, others=[other])
    assert (survivor.external_source, survivor.external_id) == ("erp", "E-1")


def test_merged_away_external_id_leads_to_the_survivor():
    supervisor, keep, other = _pair(external_source="erp", external_id="E-2")
    Customer.objects.filter(pk=keep.pk).update(external_source="erp", external_id="E-1")
    customers_merge(actor=supervisor, survivor=keep, others=[other])
    assert Customer.objects.get(pk=keep.pk).external_id == "E-1"
    assert merged_survivor_id(external_source="erp", external_id="E-2") == keep.pk
    assert merged_survivor_id(external_source="erp", external_id="E-9") is None
    alias = MergedCustomer.objects.get(merged_id=other.pk)
    assert (alias.code, alias.survivor_id) == (other.code, keep.pk)


def test_merging_twice_moves_earlier_aliases_to_the_new_survivor():
    supervisor, keep, other = _pair()
    third = customer(owner=supervisor)
    customers_merge(actor=supervisor, survivor=other, others=[third])
    customers_merge(actor=supervisor, survivor=keep, others=[other])
    assert set(MergedCustomer.objects.values_list("survivor_id", flat=True)) == {keep.pk}


def test_merge_with_a_stale_version_is_a_conflict_and_changes_nothing():
    supervisor, keep, other = _pair()
    with pytest.raises(ConflictError):
        customers_merge(
            actor=supervisor, survivor=keep, others=[other], expected_version=keep.version + 1
        )
    assert Customer.objects.filter(pk=other.pk).exists()


def test_merge_with_the_current_version_passes_and_bumps_it():
    supervisor, keep, other = _pair()
    survivor = customers_merge(
        actor=supervisor, survivor=keep, others=[other], expected_version=keep.version
    )
    assert survivor.version == keep.version + 1


def test_choosing_another_owner_needs_the_reassign_permission():
    supervisor, keep, other = _pair()
    Customer.objects.filter(pk=other.pk).update(owner=UserFactory(team=supervisor.team))
    role = supervisor.role
    role.permissions = [p for p in role.permissions if p != "customer.reassign"]
    role.save()
    with pytest.raises(ApplicationError) as err:
        customers_merge(
            actor=supervisor, survivor=keep, others=[other], field_choices={"owner": other.pk}
        )
    assert list(err.value.errors) == ["field_choices.owner"]
    assert Customer.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("who", ["sales", "service", "finance"])
def test_merge_is_refused_without_the_merge_permission(who):
    team = TeamFactory()
    actor = UserFactory(role_slug=who, team=team)
    keep, other = customer(owner=actor), customer(owner=actor)
    with pytest.raises(PermissionDeniedError):
        customers_merge(actor=actor, survivor=keep, others=[other])
    assert Customer.objects.filter(pk__in=[keep.pk, other.pk]).count() == 2


def test_merge_with_a_customer_out_of_scope_is_not_found_and_changes_nothing():
    supervisor, keep, _other = _pair()
    outsider = customer(owner=UserFactory(team=TeamFactory()))
    with pytest.raises(NotFoundError):
        customers_merge(actor=supervisor, survivor=keep, others=[outsider])
    assert Customer.objects.filter(pk=outsider.pk).exists()
    assert not ActivityEvent.objects.filter(verb=Verb.MERGED).exists()


def test_three_way_merge_removes_both_others():
    supervisor, keep, other = _pair()
    third = customer(owner=supervisor)
    customers_merge(actor=supervisor, survivor=keep, others=[other, third])
    assert list(Customer.objects.values_list("pk", flat=True)) == [keep.pk]


def test_every_model_pointing_at_customers_can_follow_a_merge():
    """A model whose unique constraint includes the customer cannot simply be re-pointed:
    it must register its own mover (customers.merging.register_mover)."""
    unhandled = []
    for fk in merging.customer_dependents():
        model = fk.model
        if model._meta.label_lower in merging._MOVERS:
            continue
        unique_sets = [set(u) for u in model._meta.unique_together] + [
            set(c.fields) for c in model._meta.constraints if isinstance(c, models.UniqueConstraint)
        ]
        if fk.unique or any(fk.name in fields for fields in unique_sets):
            unhandled.append(model._meta.label)
    assert unhandled == []


def test_plan_occurrences_follow_a_merge_once_per_plan_and_date():
    import datetime as dt

    from guanxi.followups.plans.models import PlanOccurrence
    from guanxi.followups.tests.factories import PlanFactory

    supervisor = UserFactory(role_slug="supervisor")
    keep, other = customer(owner=supervisor), customer(owner=supervisor)
    plan, second = PlanFactory(), PlanFactory()
    day = dt.date(2026, 12, 1)
    at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    PlanOccurrence.objects.create(plan=plan, customer=keep, occurrence_date=day, created_at=at)
    PlanOccurrence.objects.create(
        plan=plan, customer=other, occurrence_date=day, created_at=at
    )  # same: dropped
    PlanOccurrence.objects.create(
        plan=second, customer=other, occurrence_date=day, created_at=at
    )  # moves

    customers_merge(actor=supervisor, survivor=keep, others=[other])

    assert sorted(
        PlanOccurrence.objects.values_list("plan_id", "customer_id", "occurrence_date")
    ) == sorted([(plan.pk, keep.pk, day), (second.pk, keep.pk, day)])
