import datetime as dt

import pytest
from django.urls import reverse

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.activity.services import activity_record
from guanxi.core import clock
from guanxi.customers.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _phone_change(customer, actor):
    return activity_record(
        actor=actor,
        verb="updated",
        target_type="customers.contact",
        target_id=1,
        customer_id=customer.pk,
        changes={
            "phone": ["+8613812345678", "+8613987654321"],
            "email": ["", "zhang.san@example.com"],
        },
    )


def test_audit_page_needs_login(client):
    response = client.get(reverse("activity:list"))
    assert response.status_code == 302


@pytest.mark.parametrize("role_slug", ["sales", "service", "marketing", "finance"])
def test_audit_page_is_denied_without_the_audit_permission(client, role_slug):
    client.force_login(UserFactory(role_slug=role_slug))
    assert client.get(reverse("activity:list")).status_code == 403
    assert client.get(reverse("activity:export")).status_code == 403


@pytest.mark.parametrize("role_slug", ["supervisor", "admin"])
def test_audit_page_opens_for_supervisor_and_admin(client, role_slug):
    user = UserFactory(role_slug=role_slug)
    _phone_change(CustomerFactory(owner=user), user)
    client.force_login(user)
    response = client.get(reverse("activity:list"), **EN)
    assert response.status_code == 200
    assert len(response.context["events"]) == 1


def test_changes_show_before_and_after_unmasked_for_a_viewer_with_contact_details(client):
    admin = UserFactory(role_slug="admin")
    _phone_change(CustomerFactory(), admin)
    client.force_login(admin)
    body = client.get(reverse("activity:list"), **EN).content.decode()
    assert "138 1234 5678" in body and "139 8765 4321" in body  # readable, not E.164
    assert "zhang.san@example.com" in body


def test_phones_and_emails_in_changes_are_masked_without_contact_details(client):
    auditor_role = Role.objects.create(
        slug="auditor",
        name="审计",
        permissions=["customer.view", "audit.view"],
        default_scope="all",
    )
    auditor = UserFactory(role=auditor_role, data_scope="all")
    _phone_change(CustomerFactory(), UserFactory(role_slug="admin"))
    client.force_login(auditor)
    body = client.get(reverse("activity:list"), **EN).content.decode()
    assert "138****5678" in body and "139****4321" in body and "z***@example.com" in body
    assert "+8613812345678" not in body and "zhang.san@example.com" not in body
    export = b"".join(client.get(reverse("activity:export")).streaming_content).decode()
    assert "138****5678" in export and "+8613812345678" not in export


def test_supervisor_sees_only_the_teams_rows(client):
    team, other = TeamFactory(), TeamFactory()
    boss = UserFactory(role_slug="supervisor", team=team)
    mine = _phone_change(CustomerFactory(owner=UserFactory(team=team)), boss)
    _phone_change(CustomerFactory(owner=UserFactory(team=other)), UserFactory(role_slug="admin"))
    client.force_login(boss)
    events = client.get(reverse("activity:list")).context["events"]
    assert [e.pk for e in events] == [mine.pk]


def test_filters_by_verb_actor_and_date(client):
    admin = UserFactory(role_slug="admin")
    other = UserFactory(role_slug="sales")
    customer = CustomerFactory()
    with clock.frozen_at(clock.now() - dt.timedelta(days=10)):
        old = activity_record(actor=admin, verb="created", target=customer, customer_id=customer.pk)
    new = activity_record(actor=other, verb="updated", target=customer, customer_id=customer.pk)
    client.force_login(admin)
    url = reverse("activity:list")
    assert [e.pk for e in client.get(url, {"verb": "created"}).context["events"]] == [old.pk]
    assert [e.pk for e in client.get(url, {"actor": other.pk}).context["events"]] == [new.pk]
    today = clock.today().isoformat()
    assert [e.pk for e in client.get(url, {"since": today, "until": today}).context["events"]] == [
        new.pk
    ]
    assert [e.pk for e in client.get(url, {"target_type": "accounts.user"}).context["events"]] == []


def test_pagination_has_next_without_counting(client):
    admin = UserFactory(role_slug="admin")
    customer = CustomerFactory()
    for _n in range(51):
        activity_record(actor=admin, verb="updated", target=customer, customer_id=customer.pk)
    client.force_login(admin)
    first = client.get(reverse("activity:list")).context
    assert (len(first["events"]), first["has_next"]) == (50, True)
    second = client.get(reverse("activity:list"), {"page": 2}).context
    assert (len(second["events"]), second["has_next"], second["has_previous"]) == (1, False, True)


def test_htmx_filter_request_returns_only_the_results(client):
    admin = UserFactory(role_slug="admin")
    client.force_login(admin)
    body = client.get(reverse("activity:list"), HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<div id="audit-results">')
    assert "<html" not in body


def test_audit_log_is_read_only(client):
    admin = UserFactory(role_slug="admin")
    event = _phone_change(CustomerFactory(), admin)
    client.force_login(admin)
    client.post(reverse("activity:list"), {"verb": "deleted"})
    event.refresh_from_db()
    assert event.verb == "updated"
    assert ActivityEvent.objects.count() == 1


def test_csv_export_is_safe_against_formula_injection(client):
    admin = UserFactory(role_slug="admin")
    customer = CustomerFactory(name="=HYPERLINK(1)")
    activity_record(actor=admin, verb="created", target=customer, customer_id=customer.pk)
    client.force_login(admin)
    response = client.get(reverse("activity:export"))
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode()
    assert "'=HYPERLINK(1)" in content


def test_instants_in_changes_are_shown_in_local_time(client):
    admin = UserFactory(role_slug="admin")
    activity_record(
        actor=admin,
        verb="locked",
        target=admin,
        changes={"locked_until": [None, "2026-11-22T16:20:21.795311+00:00"]},
    )
    client.force_login(admin)
    body = client.get(reverse("activity:list"), **EN).content.decode()
    assert "2026-11-23 00:20" in body  # Asia/Shanghai
    assert "16:20:21" not in body


def test_reassignment_shows_owner_names_not_ids(client):
    from guanxi.customers.services import customer_reassign

    team = TeamFactory()
    boss = UserFactory(role_slug="supervisor", team=team, display_name="张主管")
    old = UserFactory(role_slug="sales", team=team, display_name="李旧")
    new = UserFactory(role_slug="sales", team=team, display_name="王新")
    customer = CustomerFactory(owner=old)
    customer_reassign(actor=boss, customer_ids=[customer.pk], owner=new)
    client.force_login(boss)
    body = client.get(reverse("activity:list"), **EN).content.decode()
    assert "李旧" in body and "王新" in body
    assert f">{old.pk}<" not in body


def test_custom_field_changes_read_by_the_fields_label_in_the_readers_language():
    from django.utils import translation

    from guanxi.activity.display import change_rows
    from guanxi.customers.models import CustomFieldDefinition

    CustomFieldDefinition.objects.get_or_create(
        key="cooperation_stage", defaults={"label": "合作阶段", "label_en": "Cooperation stage"}
    )
    customer = CustomerFactory()
    admin = UserFactory(role_slug="admin")
    event = activity_record(
        actor=admin, verb="updated", target=customer, customer_id=customer.pk,
        changes={"custom_fields": [{"size": "大", "cooperation_stage": "洽谈中"},
                                   {"size": "大", "cooperation_stage": "已成交"}]},
    )  # fmt: skip
    with translation.override("zh-hans"):
        rows = change_rows(event, admin)
    assert [(r.label, r.before, r.after) for r in rows] == [("合作阶段", "洽谈中", "已成交")]
    with translation.override("en"):
        assert change_rows(event, admin)[0].label == "Cooperation stage"
