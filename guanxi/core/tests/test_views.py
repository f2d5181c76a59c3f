import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.permissions import BUILTIN_ROLES
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.core import clock
from guanxi.customers.models import Level
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.followups.services import task_create

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_home_needs_login(client):
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("role_slug", sorted(BUILTIN_ROLES))
def test_home_renders_for_every_builtin_role(client, role_slug):
    user = UserFactory(role_slug=role_slug)
    CustomerFactory(owner=user, intent="high")
    client.force_login(user)
    response = client.get(reverse("core:home"), **EN)
    assert response.status_code == 200
    assert "Recent activity" in response.content.decode()


def test_home_charts_count_my_own_customers_not_my_whole_scope(client):
    team, other_team = TeamFactory(), TeamFactory()
    sales = UserFactory(role_slug="sales", team=team)
    peer = UserFactory(role_slug="sales", team=team)
    boss = UserFactory(role_slug="supervisor", team=team)
    high_value = Level.objects.get(code="high_value")
    CustomerFactory(owner=sales, intent="high")
    CustomerFactory(owner=sales, intent="low", level=high_value)
    CustomerFactory(owner=peer, intent="high")
    CustomerFactory(owner=UserFactory(role_slug="sales", team=other_team), intent="high")
    CustomerFactory(owner=boss, intent="medium")

    client.force_login(sales)
    context = client.get(reverse("core:home"), **EN).context
    assert context["customer_total"] == 2
    pie = {d["name"]: d["value"] for d in context["level_chart"]["series"][0]["data"]}
    assert pie == {"High value": 1, "Potential": 1}
    bars = [d["value"] for d in context["intent_chart"]["series"][0]["data"]]
    assert bars == [1, 0, 1]  # high, medium, low

    client.force_login(boss)
    context = client.get(reverse("core:home"), **EN).context
    assert context["customer_total"] == 1  # the team's other customers are in scope, not "mine"
    assert [d["value"] for d in context["intent_chart"]["series"][0]["data"]] == [0, 1, 0]


def test_home_chart_data_is_passed_with_json_script_not_inline_script(client):
    user = UserFactory(role_slug="sales")
    CustomerFactory(owner=user)
    client.force_login(user)
    body = client.get(reverse("core:home")).content.decode()
    assert '<script id="chart-level" type="application/json">' in body
    assert 'data-chart="chart-level"' in body
    assert "onclick=" not in body and "hx-on" not in body


def test_home_lists_my_overdue_and_today_tasks_linked_to_the_task(client):
    user = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=user)
    now = clock.now()
    overdue = task_create(
        actor=user,
        title="回访张总",
        assignee=user,
        customer=customer,
        due_at=now - dt.timedelta(days=2),
    )
    later = task_create(
        actor=user,
        title="下月拜访",
        assignee=user,
        customer=customer,
        due_at=now + dt.timedelta(days=20),
    )
    client.force_login(user)
    body = client.get(reverse("core:home")).content.decode()
    assert reverse("followups:task_detail", args=[overdue.pk]) in body
    assert "回访张总" in body
    assert reverse("followups:task_detail", args=[later.pk]) not in body  # upcoming, not today


def test_home_recent_activity_links_the_customer(client):
    from guanxi.customers.services import customer_create

    user = UserFactory(role_slug="sales")
    customer = customer_create(actor=user, data={"name": "星河科技", "phone": "13800000001"})
    client.force_login(user)
    body = client.get(reverse("core:home"), **EN).content.decode()
    assert reverse("customers:detail", args=[customer.pk]) in body
    assert "created" in body


def test_home_quick_action_new_customer_follows_permission(client):
    sales = UserFactory(role_slug="sales")
    finance = UserFactory(role_slug="finance")
    client.force_login(sales)
    assert reverse("customers:create") in client.get(reverse("core:home")).content.decode()
    client.force_login(finance)
    assert reverse("customers:create") not in client.get(reverse("core:home")).content.decode()
