import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from guanxi.core.events import subscribe, unsubscribe
from guanxi.customers.models import CustomFieldDefinition
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.deals import services
from guanxi.deals.models import Deal, DealStage
from guanxi.deals.tests.factories import DealFactory, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def events():
    seen = []
    subscribe(seen.append)
    yield seen
    unsubscribe(seen.append)


# --- create ----------------------------------------------------------------------------


def test_create_takes_the_first_stage_and_its_probability_and_is_audited():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)

    deal = services.deal_create(
        actor=sales, customer=customer, data={"title": " 智能门锁采购 ", "amount": "12000.5"}
    )

    assert (deal.title, deal.amount, deal.stage.code, deal.probability, deal.owner) == (
        "智能门锁采购", Decimal("12000.50"), "initial", 10, sales,
    )  # fmt: skip
    row = ActivityEvent.objects.get(target_type="deals.deal", target_id=deal.pk)
    assert (row.verb, row.customer_id, row.changes["stage"]) == (
        Verb.CREATED,
        customer.pk,
        [None, deal.stage_id],
    )


def test_create_keeps_a_given_probability():
    sales = UserFactory(role_slug="sales")
    deal = services.deal_create(
        actor=sales,
        customer=CustomerFactory(owner=sales),
        data={"title": "X", "stage": stage("proposal"), "probability": 65},
    )
    assert deal.probability == 65


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "X", "amount": "-1"}, "amount"),
        ({"title": "X", "amount": "1.234"}, "amount"),
        ({"title": "X", "amount": "NaN"}, "amount"),
        ({"title": "X", "amount": "1e13"}, "amount"),
        ({"title": "X", "probability": 101}, "probability"),
    ],
)
def test_create_refuses_bad_values_and_writes_nothing(data, field):
    sales = UserFactory(role_slug="sales")
    with pytest.raises(ApplicationError) as exc:
        services.deal_create(actor=sales, customer=CustomerFactory(owner=sales), data=data)
    assert field in exc.value.errors
    assert not Deal.objects.exists()


def test_create_needs_deal_edit_and_the_customer_in_scope():
    service_user = UserFactory(role_slug="service")
    sales = UserFactory(role_slug="sales")
    other = CustomerFactory(owner=UserFactory(role_slug="sales"))

    with pytest.raises(PermissionDeniedError):
        services.deal_create(actor=service_user, customer=other, data={"title": "X"})
    with pytest.raises(NotFoundError):
        services.deal_create(actor=sales, customer=other, data={"title": "X"})
    assert not Deal.objects.exists()


def test_sales_cannot_give_a_deal_to_someone_else_but_a_supervisor_can():
    team = TeamFactory()
    sales = UserFactory(role_slug="sales", team=team)
    colleague = UserFactory(role_slug="sales", team=team)
    supervisor = UserFactory(role_slug="supervisor", team=team)
    customer = CustomerFactory(owner=sales)

    with pytest.raises(ApplicationError) as exc:
        services.deal_create(
            actor=sales, customer=customer, data={"title": "X", "owner": colleague}
        )
    assert "owner" in exc.value.errors

    deal = services.deal_create(
        actor=supervisor, customer=customer, data={"title": "X", "owner": colleague}
    )
    assert deal.owner == colleague


# --- moves -----------------------------------------------------------------------------


def test_move_resets_probability_publishes_the_event_and_audits(
    events, django_capture_on_commit_callbacks
):
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(customer=CustomerFactory(owner=sales), probability=33)

    with django_capture_on_commit_callbacks(execute=True):
        services.deal_move(actor=sales, deal=deal, stage=stage("proposal"))

    deal.refresh_from_db()
    assert (deal.stage.code, deal.probability, deal.closed_on) == ("proposal", 50, None)
    [event] = [e for e in events if e.name == "deal.stage_changed"]
    assert event.customer_id == deal.customer_id
    assert event.payload == {
        "deal_id": deal.pk,
        "from_stage": stage("initial").pk,
        "from_stage_code": "initial",
        "to_stage": stage("proposal").pk,
        "to_stage_code": "proposal",
        "won": False,
        "lost": False,
        "amount": "10000.00",
    }
    row = ActivityEvent.objects.get(verb=Verb.UPDATED, target_id=deal.pk)
    assert row.changes["stage"] == [stage("initial").pk, stage("proposal").pk]
    assert row.customer_id == deal.customer_id


def test_winning_closes_the_deal_and_marks_the_customer_won(
    events, django_capture_on_commit_callbacks
):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    deal = DealFactory(customer=customer, stage=stage("negotiation"))

    with (
        clock.frozen_at(dt.datetime(2026, 3, 5, 10, tzinfo=dt.UTC)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.deal_move(actor=sales, deal=deal, stage=stage("won"), reason="价格合适")

    deal.refresh_from_db()
    customer.refresh_from_db()
    assert (deal.probability, deal.closed_on, deal.close_reason) == (
        100, dt.date(2026, 3, 5), "价格合适",
    )  # fmt: skip
    assert customer.custom_fields == {"cooperation_stage": "已成交"}
    assert [e.payload.get("won") for e in events if e.name == "deal.stage_changed"] == [True]
    updated = [e for e in events if e.name == "customer.updated"]
    assert [(e.payload["changed"], e.actor_id) for e in updated] == [(["custom_fields"], sales.pk)]
    row = ActivityEvent.objects.get(target_type="customers.customer")
    assert row.changes["custom_fields"][1] == {"cooperation_stage": "已成交"}


def test_winning_a_second_deal_leaves_the_customer_as_it_is():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales, custom_fields={"cooperation_stage": "已成交"})
    deal = DealFactory(customer=customer)

    services.deal_move(actor=sales, deal=deal, stage=stage("won"))

    assert not ActivityEvent.objects.filter(target_type="customers.customer").exists()


def test_winning_without_the_field_configured_still_wins():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    CustomFieldDefinition.objects.filter(key="cooperation_stage").delete()
    deal = DealFactory(customer=customer)

    services.deal_move(actor=sales, deal=deal, stage=stage("won"))

    customer.refresh_from_db()
    assert (deal.stage.code, customer.custom_fields) == ("won", {})


def test_a_deal_editor_who_may_not_edit_customers_still_marks_the_customer_won():
    sales = UserFactory(role_slug="sales")
    sales.role.permissions = [p for p in sales.role.permissions if p != "customer.edit"]
    sales.role.save()
    customer = CustomerFactory(owner=sales)
    services.deal_move(actor=sales, deal=DealFactory(customer=customer), stage=stage("won"))
    customer.refresh_from_db()
    assert customer.custom_fields == {"cooperation_stage": "已成交"}
    assert ActivityEvent.objects.get(target_type="customers.customer").actor is None


def test_losing_needs_a_reason():
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(customer=CustomerFactory(owner=sales))

    with translation.override("en"), pytest.raises(ApplicationError) as exc:
        services.deal_move(actor=sales, deal=deal, stage=stage("lost"), reason="  ")
    assert exc.value.errors == {"close_reason": ["Say why the deal was lost."]}
    deal.refresh_from_db()
    assert deal.stage.code == "initial"

    services.deal_move(actor=sales, deal=deal, stage=stage("lost"), reason="选了竞品")
    deal.refresh_from_db()
    assert (deal.stage.code, deal.probability, deal.close_reason) == ("lost", 0, "选了竞品")


def test_reopening_a_lost_deal_clears_its_close_date_and_reason():
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(
        customer=CustomerFactory(owner=sales),
        stage=stage("lost"),
        closed_on=dt.date(2026, 1, 1),
        close_reason="预算取消",
    )
    services.deal_move(actor=sales, deal=deal, stage=stage("needs"))
    deal.refresh_from_db()
    assert (deal.closed_on, deal.close_reason, deal.probability) == (None, "", 25)


def test_moving_into_an_inactive_stage_is_refused():
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(customer=CustomerFactory(owner=sales))
    DealStage.objects.filter(code="needs").update(is_active=False)
    with pytest.raises(ApplicationError) as exc:
        services.deal_move(actor=sales, deal=deal, stage=stage("needs"))
    assert "stage" in exc.value.errors


def test_move_by_someone_without_the_customer_in_scope_changes_nothing(events):
    deal = DealFactory()
    outsider = UserFactory(role_slug="sales")
    with pytest.raises(NotFoundError):
        services.deal_move(actor=outsider, deal=deal, stage=stage("won"))
    deal.refresh_from_db()
    assert deal.stage.code == "initial"
    assert events == []


def test_update_to_another_stage_keeps_an_explicitly_changed_probability():
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(customer=CustomerFactory(owner=sales), probability=10)

    services.deal_update(
        actor=sales, deal=deal, data={"stage": stage("proposal"), "probability": 10}
    )
    assert deal.probability == 50  # unchanged in the form: the new stage's default

    services.deal_update(
        actor=sales, deal=deal, data={"stage": stage("negotiation"), "probability": 90}
    )
    assert deal.probability == 90


def test_update_without_changes_writes_no_audit_row():
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(customer=CustomerFactory(owner=sales), title="A")
    services.deal_update(actor=sales, deal=deal, data={"title": "A"})
    assert not ActivityEvent.objects.exists()


def test_delete_is_audited_on_the_customer_timeline():
    sales = UserFactory(role_slug="sales")
    deal = DealFactory(customer=CustomerFactory(owner=sales))
    services.deal_delete(actor=sales, deal=deal)
    assert not Deal.objects.exists()
    row = ActivityEvent.objects.get(verb=Verb.DELETED)
    assert row.customer_id == deal.customer_id
