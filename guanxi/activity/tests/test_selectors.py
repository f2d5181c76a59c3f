import pytest

from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.selectors import activity_list
from guanxi.customers.services import customer_create

pytestmark = pytest.mark.django_db


def test_sales_sees_only_rows_about_their_customers_and_their_own_actions():
    team_a, team_b = TeamFactory(), TeamFactory()
    sales_a = UserFactory(role_slug="sales", team=team_a)
    sales_b = UserFactory(role_slug="sales", team=team_b)
    mine = customer_create(actor=sales_a, data={"name": "甲", "phone": "13800000001"})
    customer_create(actor=sales_b, data={"name": "乙", "phone": "13800000002"})
    assert [e.customer_id for e in activity_list(user=sales_a)] == [mine.pk]


def test_supervisor_sees_team_rows_and_admin_sees_all():
    team_a, team_b = TeamFactory(), TeamFactory()
    boss = UserFactory(role_slug="supervisor", team=team_a)
    admin = UserFactory(role_slug="admin", team=None)
    a = customer_create(
        actor=UserFactory(role_slug="sales", team=team_a),
        data={"name": "甲", "phone": "13800000001"},
    )
    b = customer_create(
        actor=UserFactory(role_slug="sales", team=team_b),
        data={"name": "乙", "phone": "13800000002"},
    )
    assert {e.customer_id for e in activity_list(user=boss)} == {a.pk}
    assert {e.customer_id for e in activity_list(user=admin)} == {a.pk, b.pk}


def test_history_survives_customer_delete():
    admin = UserFactory(role_slug="admin")
    customer = customer_create(actor=admin, data={"name": "甲", "phone": "13800000001"})
    from guanxi.customers.services import customer_delete

    customer_id = customer.pk
    customer_delete(actor=admin, customer=customer)
    verbs = [e.verb for e in activity_list(user=admin, customer_id=customer_id)]
    assert verbs == ["deleted", "created"]
