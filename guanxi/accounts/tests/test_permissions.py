import pytest

from guanxi.accounts.permissions import mask_email, mask_phone, visible_to
from guanxi.accounts.tests.factories import DepartmentFactory, TeamFactory, UserFactory
from guanxi.customers.models import Contact, Customer
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


def test_masking():
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_phone("") == ""


def _ids(user, model=Customer):
    return set(visible_to(user, model.objects.all()).values_list("pk", flat=True))


def test_scope_matrix():
    dept = DepartmentFactory()
    team_a, team_b = TeamFactory(department=dept), TeamFactory(department=dept)
    team_other = TeamFactory()
    sales = UserFactory(role_slug="sales", team=team_a)
    peer = UserFactory(role_slug="sales", team=team_a)
    boss = UserFactory(role_slug="supervisor", team=team_a)
    mine = CustomerFactory(owner=sales)
    peers = CustomerFactory(owner=peer)
    same_dept = CustomerFactory(owner=UserFactory(team=team_b))
    elsewhere = CustomerFactory(owner=UserFactory(team=team_other))
    assert _ids(sales) == {mine.pk}
    assert _ids(boss) == {mine.pk, peers.pk}
    boss.data_scope = "department"
    assert _ids(boss) == {mine.pk, peers.pk, same_dept.pk}
    boss.data_scope = "all"
    assert _ids(boss) == {mine.pk, peers.pk, same_dept.pk, elsewhere.pk}
    assert {c.customer_id for c in visible_to(sales, Contact.objects.all())} <= {mine.pk}


def test_region_restriction_is_anded_with_scope():
    admin = UserFactory(role_slug="admin", scope_provinces=["广东省"])
    gd = CustomerFactory(province="广东省")
    CustomerFactory(province="上海市")
    assert _ids(admin) == {gd.pk}


def test_anonymous_and_roleless_users_see_nothing():
    from django.contrib.auth.models import AnonymousUser

    CustomerFactory()
    assert _ids(AnonymousUser()) == set()
    assert _ids(UserFactory(role=None)) == set()


def test_contact_factory_rows_follow_customer_scope():
    sales = UserFactory(role_slug="sales")
    ContactFactory(customer=CustomerFactory(owner=sales))
    ContactFactory()
    assert visible_to(sales, Contact.objects.all()).count() == 1
