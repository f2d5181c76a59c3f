import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.deals import selectors
from guanxi.deals.models import Deal, DealStage
from guanxi.deals.tests.factories import DealFactory, OrderFactory, stage

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board"}


def logged_in(client, role="sales", **kwargs):
    user = UserFactory(role_slug=role, **kwargs)
    client.force_login(user)
    return user


def test_board_shows_totals_over_all_deals_and_only_the_first_cards(client, monkeypatch):
    sales = logged_in(client)
    customer = CustomerFactory(owner=sales)
    for n in range(4):
        DealFactory(customer=customer, amount=Decimal("1000"), title=f"卡片{n}", probability=50)
    DealFactory(stage=stage("proposal"))  # someone else's customer: not counted
    monkeypatch.setattr(selectors, "CARDS_PER_COLUMN", 3)

    response = client.get(reverse("deals:board"))

    assert response.status_code == 200
    [column] = [c for c in response.context["columns"] if c.stage.code == "initial"]
    assert (column.count, column.amount, column.weighted) == (4, Decimal("4000"), Decimal("2000"))
    assert len(column.cards) == 3 and column.has_more
    assert response.context["totals"]["count"] == 4
    assert b'hx-get="/deals/column/' in response.content


def test_load_more_returns_the_next_cards_and_drops_the_button(client):
    sales = logged_in(client)
    customer = CustomerFactory(owner=sales)
    today = timezone.localdate()
    deals = [
        DealFactory(customer=customer, expected_close_date=today + dt.timedelta(days=n))
        for n in range(3)
    ]
    url = reverse("deals:column", args=[stage("initial").pk])

    response = client.get(url, {"offset": 1}, HTTP_HX_REQUEST="true")

    assert [d.pk for d in response.context["cards"]] == [deals[1].pk, deals[2].pk]
    assert response.context["next_offset"] is None
    assert b'hx-swap-oob="true"' in response.content


def test_board_filters_by_owner_team_and_close_month(client):
    team = TeamFactory()
    supervisor = logged_in(client, "supervisor", team=team)
    member = UserFactory(role_slug="sales", team=team)
    customer = CustomerFactory(owner=member)
    may = DealFactory(customer=customer, owner=member, expected_close_date=dt.date(2026, 5, 3))
    DealFactory(customer=customer, owner=supervisor, expected_close_date=dt.date(2026, 5, 4))
    DealFactory(customer=customer, owner=member, expected_close_date=dt.date(2026, 6, 1))

    response = client.get(
        reverse("deals:board"),
        {"owner": member.pk, "team": team.pk, "close_month": "2026-05"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="board",
    )

    cards = [d.pk for c in response.context["columns"] for d in c.cards]
    assert cards == [may.pk]
    assert b"<nav" not in response.content  # the board alone, not the page


def test_keyboard_move_posts_the_same_move_and_redraws_the_board(client):
    sales = logged_in(client)
    deal = DealFactory(customer=CustomerFactory(owner=sales))

    response = client.post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": stage("proposal").pk},
        HTTP_HX_CURRENT_URL="http://testserver/deals/?close_month=",
        **HTMX,
    )

    assert response.status_code == 200
    deal.refresh_from_db()
    assert deal.stage.code == "proposal"
    assert b'id="board"' in response.content


def test_move_without_javascript_redirects_back(client):
    sales = logged_in(client)
    deal = DealFactory(customer=CustomerFactory(owner=sales))
    response = client.post(
        reverse("deals:move", args=[deal.pk]),
        {"stage": stage("won").pk, "next": reverse("deals:detail", args=[deal.pk])},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])


def test_moving_to_lost_asks_for_the_reason_first(client):
    sales = logged_in(client)
    deal = DealFactory(customer=CustomerFactory(owner=sales))
    lost = stage("lost").pk
    url = reverse("deals:move", args=[deal.pk])

    asked = client.post(url, {"stage": lost}, **HTMX)
    assert asked["HX-Retarget"] == "#move-dialog-body"
    assert "deal-reason-needed" in asked["HX-Trigger-After-Swap"]
    deal.refresh_from_db()
    assert deal.stage.code == "initial"

    client.post(url, {"stage": lost, "reason": "预算冻结"}, **HTMX)
    deal.refresh_from_db()
    assert (deal.stage.code, deal.close_reason) == ("lost", "预算冻结")


def test_moving_to_lost_without_javascript_shows_a_reason_page(client):
    sales = logged_in(client)
    deal = DealFactory(customer=CustomerFactory(owner=sales))
    response = client.post(reverse("deals:move", args=[deal.pk]), {"stage": stage("lost").pk})
    assert response.status_code == 200
    assert b'name="reason"' in response.content and b"hx-post" not in response.content


@pytest.mark.parametrize(("role", "status"), [("service", 403), ("finance", 403), ("sales", 404)])
def test_move_refused_changes_nothing(client, role, status):
    logged_in(client, role)
    deal = DealFactory()
    response = client.post(reverse("deals:move", args=[deal.pk]), {"stage": stage("won").pk})
    assert response.status_code == status
    deal.refresh_from_db()
    assert deal.stage.code == "initial"


def test_new_deal_from_the_customer_page(client):
    sales = logged_in(client)
    customer = CustomerFactory(owner=sales)

    form = client.get(reverse("deals:create"), {"customer": customer.pk})
    assert form.status_code == 200 and "customer" not in form.context["form"].fields
    response = client.post(
        reverse("deals:create") + f"?customer={customer.pk}",
        {"title": "年度维保", "amount": "8000", "stage": stage("needs").pk},
    )

    deal = Deal.objects.get()
    assert response["Location"] == reverse("deals:detail", args=[deal.pk])
    assert (deal.customer, deal.probability, deal.owner) == (customer, 25, sales)


def test_new_deal_picks_the_customer_by_code(client):
    sales = logged_in(client)
    customer = CustomerFactory(owner=sales, code="C20260101001")
    client.post(
        reverse("deals:create"),
        {"customer": "C20260101001 某公司", "title": "X", "stage": stage("initial").pk},
    )
    assert Deal.objects.get().customer == customer


def test_new_deal_errors_show_in_place(client):
    sales = logged_in(client)
    customer = CustomerFactory(owner=sales)
    with translation.override("en"):
        response = client.post(
            reverse("deals:create") + f"?customer={customer.pk}",
            {"title": "X", "stage": stage("lost").pk},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert response.status_code == 200
    assert response.context["form"].errors["close_reason"] == ["Say why the deal was lost."]
    assert not Deal.objects.exists()


def test_deal_page_shows_the_history(client):
    sales = logged_in(client)
    customer = CustomerFactory(owner=sales)
    client.post(
        reverse("deals:create") + f"?customer={customer.pk}",
        {"title": "X", "stage": stage("initial").pk},
    )
    deal = Deal.objects.get()
    client.post(reverse("deals:move", args=[deal.pk]), {"stage": stage("needs").pk})

    with translation.override("en"):
        response = client.get(reverse("deals:detail", args=[deal.pk]))

    assert response.status_code == 200
    assert [e.event.verb for e in response.context["history"]] == ["updated", "created"]
    assert "需求确认" in response.content.decode()


def test_edit_a_deal(client):
    sales = logged_in(client)
    deal = DealFactory(customer=CustomerFactory(owner=sales), title="旧")
    response = client.post(
        reverse("deals:edit", args=[deal.pk]),
        {"title": "新", "amount": "1", "stage": deal.stage_id, "probability": deal.probability,
         "owner": sales.pk},
    )  # fmt: skip
    assert response.status_code == 302
    deal.refresh_from_db()
    assert (deal.title, deal.amount) == ("新", Decimal("1.00"))


def test_deal_list_filters_and_offers_export(client):
    user = logged_in(client, "supervisor")
    customer = CustomerFactory(owner=user)
    won = DealFactory(customer=customer, stage=stage("won"), title="赢单")
    DealFactory(customer=customer, title="进行中")
    response = client.get(reverse("deals:list"), {"status": "won"})
    assert [d.pk for d in response.context["page"].items] == [won.pk]
    assert b"entity=deals" in response.content


def test_customer_page_has_deals_and_purchase_history(client):
    sales = logged_in(client)
    customer = CustomerFactory(owner=sales)
    DealFactory(customer=customer, title="门禁改造")
    OrderFactory(customer=customer, amount=Decimal("100"), number="SO-9")
    OrderFactory(customer=customer, amount=Decimal("50"), status="cancelled")

    response = client.get(reverse("customers:detail", args=[customer.pk]))

    history = response.context["purchases"]
    assert (history.count, history.total, len(history.orders)) == (1, Decimal("100"), 2)
    html = response.content.decode()
    assert "门禁改造" in html and "SO-9" in html
    assert f"{reverse('deals:create')}?customer={customer.pk}" in html


def test_stage_page_is_for_administrators(client):
    logged_in(client, "supervisor")
    assert client.get(reverse("deals:stages")).status_code == 403
    assert client.post(reverse("deals:stage_create"), {"name": "X"}).status_code == 403
    assert DealStage.objects.count() == 6


def test_admin_adds_a_stage(client):
    logged_in(client, "admin")
    response = client.post(
        reverse("deals:stage_create"),
        {"code": "trial", "name": "试用", "name_en": "Trial", "order": 2, "probability": 30,
         "kind": "open", "is_active": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    assert DealStage.objects.get(code="trial").probability == 30
    assert client.get(reverse("deals:stages")).status_code == 200


def test_order_list_shows_orders_in_scope(client):
    sales = logged_in(client)
    mine = OrderFactory(customer=CustomerFactory(owner=sales), number="MINE-1")
    OrderFactory(number="THEIRS-1")
    response = client.get(reverse("deals:orders"))
    assert [o.pk for o in response.context["page"].items] == [mine.pk]
    assert client.get(reverse("deals:orders"), {"customer": mine.customer_id}).status_code == 200
