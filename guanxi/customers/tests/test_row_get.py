"""customer_row_get runs compiled-once queries (core.prepared): it must answer exactly as the
ORM path it replaces, for every kind of viewer, and follow a viewer whose scope changes."""

import datetime as dt

import pytest

from guanxi.accounts.models import User
from guanxi.accounts.permissions import visible_to
from guanxi.accounts.tests.factories import DepartmentFactory, TeamFactory, UserFactory
from guanxi.core.errors import NotFoundError
from guanxi.customers.models import Customer, Tag
from guanxi.customers.selectors import customer_row_get, customer_rows, rows_with_contacts_and_tags
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def _orm_row(user, pk):
    rows = list(customer_rows(visible_to(user, Customer.objects.order_by()).filter(pk=pk)))
    return rows_with_contacts_and_tags(rows)[0] if rows else None


@pytest.fixture
def world():
    dept = DepartmentFactory()
    team_a, team_b = TeamFactory(department=dept), TeamFactory(department=dept)
    sales_a = UserFactory(role_slug="sales", team=team_a)
    sales_b = UserFactory(role_slug="sales", team=team_b)
    customers = []
    for owner in (sales_a, sales_b, None):
        c = CustomerFactory(
            owner=owner,
            team=owner.team if owner else None,
            department=owner.department if owner else None,
            province="广东省" if owner is sales_b else "上海市",
            custom_fields={"预算": 12},
            birthday=dt.date(1990, 5, 1),
            last_contact_at=dt.datetime(2024, 5, 1, 8, 30, tzinfo=dt.UTC),
        )
        ContactFactory(customer=c)
        c.tags.add(
            Tag.objects.get_or_create(name="重点")[0], Tag.objects.get_or_create(name="展会")[0]
        )
        customers.append(c)
    viewers = [
        sales_a,
        UserFactory(role_slug="supervisor", team=team_a),
        UserFactory(role_slug="supervisor", team=team_a, data_scope="department"),
        UserFactory(role_slug="finance"),
        UserFactory(role_slug="admin"),
        UserFactory(role_slug="marketing", scope_provinces=["广东省"]),
        UserFactory(role_slug="marketing", scope_industries=["it"]),
        UserFactory(role_slug="sales", team=None),
    ]
    return customers, viewers


def test_every_viewer_gets_what_the_orm_gives_and_nothing_more(world):
    customers, viewers = world
    for viewer in viewers:
        for customer in customers:
            expected = _orm_row(viewer, customer.pk)
            if expected is None:
                with pytest.raises(NotFoundError):
                    customer_row_get(user=viewer, pk=customer.pk)
            else:
                assert customer_row_get(user=viewer, pk=customer.pk) == expected


def test_a_viewer_moved_to_another_team_sees_the_new_teams_customers(world):
    customers, viewers = world
    supervisor = viewers[1]
    assert customer_row_get(user=supervisor, pk=customers[0].pk)["id"] == customers[0].pk
    with pytest.raises(NotFoundError):
        customer_row_get(user=supervisor, pk=customers[1].pk)
    supervisor.team = customers[1].team
    supervisor.save()
    supervisor = User.objects.get(pk=supervisor.pk)
    assert customer_row_get(user=supervisor, pk=customers[1].pk)["id"] == customers[1].pk
    with pytest.raises(NotFoundError):
        customer_row_get(user=supervisor, pk=customers[0].pk)


def test_a_viewer_without_the_view_permission_finds_nothing(world):
    customers, _viewers = world
    nobody = UserFactory(role_slug="sales", role=None)
    with pytest.raises(NotFoundError):
        customer_row_get(user=nobody, pk=customers[0].pk)


def test_a_customer_without_contact_or_tags(world):
    _customers, viewers = world
    bare = CustomerFactory(owner=None, team=None, department=None)
    row = customer_row_get(user=viewers[4], pk=bare.pk)
    assert row["primary_contact"] is None and row["tag_names"] == []
    assert row == _orm_row(viewers[4], bare.pk)
