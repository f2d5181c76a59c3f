from __future__ import annotations

import datetime as dt
import io
import json
from collections import Counter

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.utils import timezone

from guanxi.accounts.models import User
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.core import clock
from guanxi.core.phones import try_normalize_phone
from guanxi.core.pinyin import pinyin_keys
from guanxi.customers.models import Contact, Customer, CustomerCodeSequence
from guanxi.customers.services import customer_create
from guanxi.demo.seeding import DEMO_PASSWORD, database_is_empty, seed_demo
from guanxi.followups.models import FollowUp, Task, TaskStatus

pytestmark = pytest.mark.django_db

INSTANT = timezone.make_aware(dt.datetime(2025, 3, 14, 10, 30))


def _snapshot() -> list[tuple]:
    return list(
        Customer.objects.order_by("id").values_list("code", "name", "name_pinyin", "owner_id")
    )


def _wipe_customers() -> None:
    Customer.objects.all().delete()
    CustomerCodeSequence.objects.all().delete()


def test_same_seed_gives_the_same_customers():
    with clock.frozen_at(INSTANT):
        seed_demo(customers=60, seed=7)
        first = _snapshot()
        phones = list(Contact.objects.order_by("id").values_list("phone", flat=True))
        _wipe_customers()
        seed_demo(customers=60, seed=7)
    assert _snapshot() == first
    assert list(Contact.objects.order_by("id").values_list("phone", flat=True)) == phones


def test_another_seed_gives_other_customers():
    with clock.frozen_at(INSTANT):
        seed_demo(customers=60, seed=7)
        first = [name for _code, name, _py, _owner in _snapshot()]
        _wipe_customers()
        seed_demo(customers=60, seed=8)
    assert [name for _code, name, _py, _owner in _snapshot()] != first


def test_demo_users_cover_every_role_but_admin_and_two_teams():
    seed_demo(customers=5)
    users = {u.username: u for u in User.objects.select_related("role", "team")}
    roles = {name: users[name].role.slug for name in users}
    assert roles == {
        "zhangwei": "supervisor",
        "lina": "sales",
        "wangfang": "sales",
        "liuyang": "service",
        "chenjing": "marketing",
        "yangli": "finance",
    }
    assert users["zhangwei"].team.name == users["lina"].team.name == "华东销售一组"
    assert users["wangfang"].team.name == "华南销售组"
    assert users["zhangwei"].data_scope == "team"
    assert users["lina"].check_password(DEMO_PASSWORD)


def test_seeding_twice_keeps_one_set_of_users():
    seed_demo(customers=3)
    seed_demo(customers=3)
    assert User.objects.count() == 6
    assert Customer.objects.count() == 6


def test_every_customer_belongs_to_its_owners_team_and_department():
    seed_demo(customers=120)
    owned = Customer.objects.filter(owner__isnull=False).select_related("owner")
    assert owned.count() > 100
    for customer in owned:
        assert customer.team_id == customer.owner.team_id
        assert customer.department_id == customer.owner.department_id
    assert set(owned.values_list("team__name", flat=True)) == {"华东销售一组", "华南销售组"}


def test_codes_are_unique_and_the_next_created_customer_does_not_collide():
    seed_demo(customers=150)
    codes = list(Customer.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes)) == 150
    for day, last in CustomerCodeSequence.objects.values_list("day", "last"):
        used = [c for c in codes if c.startswith(f"C{day:%Y%m%d}")]
        assert max(int(c[9:]) for c in used) == last
    lina = User.objects.get(username="lina")
    created = customer_create(actor=lina, data={"name": "新客户有限公司", "phone": "13800138000"})
    assert created.code not in codes
    assert created.code.startswith(f"C{clock.today():%Y%m%d}")


def test_search_keys_match_what_the_services_compute():
    seed_demo(customers=200)
    for name, full, initials in Customer.objects.values_list(
        "name", "name_pinyin", "name_initials"
    ):
        assert (full, initials) == pinyin_keys(name)


def test_contacts_have_valid_e164_mobiles_and_one_primary_each():
    seed_demo(customers=80)
    for phone in Contact.objects.values_list("phone", flat=True):
        assert phone.startswith("+861")
        assert try_normalize_phone(phone) == phone
    primaries = Counter(Contact.objects.filter(is_primary=True).values_list("customer", flat=True))
    assert len(primaries) == 80
    assert set(primaries.values()) == {1}


def test_last_contact_is_the_latest_follow_up_and_the_timeline_shows_history():
    seed_demo(customers=100)
    latest = dict(
        FollowUp.objects.values("customer")
        .annotate(m=Max("occurred_at"))
        .values_list("customer", "m")
    )
    assert 200 <= FollowUp.objects.count() <= 400  # ≈3 per customer
    for pk, last_contact in Customer.objects.values_list("pk", "last_contact_at"):
        assert last_contact == latest.get(pk)
    customer = Customer.objects.filter(pk__in=latest).first()
    verbs = Counter(ActivityEvent.objects.filter(customer=customer).values_list("verb", flat=True))
    assert verbs == {
        Verb.CREATED: 1,
        Verb.FOLLOWED_UP: FollowUp.objects.filter(customer=customer).count(),
    }


def test_follow_ups_lie_within_the_last_two_years_and_after_creation():
    with clock.frozen_at(INSTANT):
        seed_demo(customers=60)
    earliest = INSTANT - dt.timedelta(days=731)
    for occurred, created in FollowUp.objects.values_list("occurred_at", "customer__created_at"):
        assert earliest <= created <= occurred <= INSTANT


def test_demo_users_have_overdue_today_and_upcoming_tasks():
    with clock.frozen_at(INSTANT):
        seed_demo(customers=60)
    lina_tasks = Task.objects.filter(assignee__username="lina", status=TaskStatus.OPEN)
    today = timezone.localdate(INSTANT)
    dues = [timezone.localtime(t.due_at) for t in lina_tasks]
    assert any(d < INSTANT and d.date() < today for d in dues)
    assert any(d.date() == today for d in dues)
    assert any(d.date() > today for d in dues)


def test_database_is_empty_until_customers_exist():
    assert database_is_empty()
    seed_demo(customers=1)
    assert not database_is_empty()


def test_demo_command_prints_a_json_summary_with_the_password():
    out = io.StringIO()
    call_command("demo", "--customers", "12", "--seed", "3", "--json", stdout=out)
    summary = json.loads(out.getvalue())
    assert summary["customers"] == 12
    assert summary["password"] == DEMO_PASSWORD
    assert Customer.objects.count() == 12


def test_demo_command_prints_the_password_for_people():
    out = io.StringIO()
    call_command("demo", "--customers", "2", stdout=out)
    assert DEMO_PASSWORD in out.getvalue()
    assert "zhangwei" in out.getvalue()
