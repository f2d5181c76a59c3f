import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone, translation

from guanxi.accounts.models import Role
from guanxi.accounts.tests.factories import TeamFactory, UserFactory
from guanxi.activity.models import ActivityEvent, Verb
from guanxi.api.tests.clients import api_client, token_client
from guanxi.customers.config_services import choice_save
from guanxi.customers.models import Contact, Customer, Industry, Tag
from guanxi.customers.references import forget_reference_labels, reference_labels
from guanxi.customers.services import customer_create
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/customers/"


def detail(pk: int) -> str:
    return f"{URL}{pk}/"


def role_user(*perms: str, **kwargs):
    """A user whose custom role holds exactly these permissions."""
    role, _ = Role.objects.get_or_create(
        slug="custom-" + ("-".join(sorted(p.replace(".", "_") for p in perms)) or "none"),
        defaults={"name": "custom", "permissions": list(perms)},
    )
    user = UserFactory(**kwargs)
    user.role = role
    user.data_scope = "all"
    user.save()
    return user


def page_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


# --- authorization matrix ----------------------------------------------------------------


def _arrange():
    team_a, team_b = TeamFactory(), TeamFactory()
    owner = UserFactory(role_slug="sales", team=team_a)
    customer = CustomerFactory(owner=owner, remarks="原备注")
    people = {
        "owner": owner,
        "supervisor_a": UserFactory(role_slug="supervisor", team=team_a),
        "supervisor_b": UserFactory(role_slug="supervisor", team=team_b),
        "sales_b": UserFactory(role_slug="sales", team=team_b),
        "finance": UserFactory(role_slug="finance", team=team_a),
        "no_perms": role_user(team=team_a),
        "anonymous": None,
    }
    return customer, people


MATRIX = [
    # method, who, expected status
    ("get", "anonymous", 401),
    ("get", "no_perms", 403),
    ("get", "sales_b", 404),
    ("get", "owner", 200),
    ("patch", "anonymous", 401),
    ("patch", "finance", 403),
    ("patch", "sales_b", 404),
    ("patch", "owner", 200),
    ("delete", "anonymous", 401),
    ("delete", "owner", 403),  # sales never delete, not even their own customers
    ("delete", "supervisor_b", 404),
    ("delete", "supervisor_a", 204),
]


@pytest.mark.parametrize(("method", "who", "expected"), MATRIX)
def test_customer_detail_authorization_matrix(method, who, expected):
    customer, people = _arrange()
    client = api_client(people[who])
    body = {"remarks": "改过"} if method == "patch" else None

    response = getattr(client, method)(detail(customer.pk), body, format="json")

    assert response.status_code == expected
    if expected >= 400:
        assert set(response.json()) == {"detail", "errors"}
        row = Customer.objects.filter(pk=customer.pk).values("remarks", "version").get()
        assert row == {"remarks": "原备注", "version": 1}
        assert ActivityEvent.objects.count() == 0


def test_list_anonymous_is_401_and_without_permission_is_403():
    CustomerFactory()
    assert api_client().get(URL).status_code == 401
    assert api_client(role_user()).get(URL).status_code == 403


def test_list_shows_only_the_callers_scope():
    sales = UserFactory(role_slug="sales")
    mine = CustomerFactory(owner=sales)
    CustomerFactory()  # another team's
    response = api_client(sales).get(URL)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [mine.pk]


def test_permission_is_checked_before_the_lookup():
    # A refusal must not reveal whether the id exists.
    finance = UserFactory(role_slug="finance")
    response = api_client(finance).patch(detail(999999), {"remarks": "x"}, format="json")
    assert response.status_code == 403


# --- create: the minimum contract ----------------------------------------------------------


def test_create_by_token_answers_201_with_id_and_e164_phone():
    sales = UserFactory(role_slug="sales")
    client = token_client(sales)

    response = client.post(
        URL,
        {
            "name": "张三贸易",
            "phone": "138 1234 5678",
            "email": "Zhang@Example.com",
            "contact_name": "张三",
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    customer = Customer.objects.get()
    assert body["id"] == customer.pk
    assert (body["phone"], body["email"], body["contact_name"]) == (
        "+8613812345678",
        "zhang@example.com",
        "张三",
    )
    assert body["version"] == 1
    assert response["ETag"] == '"1"'
    assert customer.owner == sales
    event = ActivityEvent.objects.get(target_type="customers.customer")
    assert (event.verb, event.source, event.actor) == (Verb.CREATED, "api", sales)


def test_create_reads_back_masked_for_a_viewer_without_contact_details():
    intake = role_user("customer.view", "customer.create")
    response = api_client(intake).post(
        URL, {"name": "某公司", "phone": "13812345678", "email": "zhang@example.com"}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["phone"], response.json()["email"]) == (
        "138****5678",
        "z***@example.com",
    )
    assert Contact.objects.get().phone == "+8613812345678"


def test_finance_sees_masked_phone_and_sales_sees_it_in_full():
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    ContactFactory(customer=customer, phone="+8613812345678", email="li@example.com")
    finance = UserFactory(role_slug="finance")

    masked = api_client(finance).get(detail(customer.pk)).json()
    full = api_client(sales).get(detail(customer.pk)).json()

    assert (masked["phone"], masked["email"]) == ("138****5678", "l***@example.com")
    assert (full["phone"], full["email"]) == ("+8613812345678", "li@example.com")


def test_list_masks_phones_too():
    customer = CustomerFactory()
    ContactFactory(customer=customer, phone="+8613812345678")
    rows = api_client(UserFactory(role_slug="finance")).get(URL).json()["results"]
    assert [row["phone"] for row in rows] == ["138****5678"]


def test_labels_follow_a_rename_and_a_new_owner_at_once():
    admin = UserFactory(role_slug="admin")
    client = api_client(admin)
    customer = customer_create(
        actor=admin,
        data={
            "name": "某公司",
            "phone": "13812345678",
            "industry": Industry.objects.get(code="retail"),
        },
    )
    url = f"{URL}{customer.pk}/"
    assert client.get(url).json()["industry"]["label"] == "零售"  # labels now cached
    choice_save(
        actor=admin, model=Industry, instance=Industry.objects.get(code="retail"),
        data={"name": "零售连锁"},
    )  # fmt: skip
    newcomer = UserFactory(role_slug="sales", display_name="新同事")
    Customer.objects.filter(pk=customer.pk).update(owner=newcomer)  # as another process would
    body = client.get(url).json()
    assert body["industry"]["label"] == "零售连锁"
    assert body["owner"] == {"id": newcomer.pk, "name": "新同事"}


def test_create_accepts_codes_and_shows_code_and_label():
    supervisor = UserFactory(role_slug="supervisor")
    sales = UserFactory(role_slug="sales", team=supervisor.team)
    response = api_client(supervisor).post(
        URL,
        {
            "name": "某公司",
            "phone": "13812345678",
            "industry": "retail",
            "level": "high_value",
            "owner": sales.pk,
            "tags": ["重点", "展会"],
            "intent": "high",
        },
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["industry"] == {"code": "retail", "label": "零售"}
    assert body["level"] == {"code": "high_value", "label": "高价值客户"}
    assert body["owner"] == {"id": sales.pk, "name": sales.label}
    assert body["team"] == {"id": sales.team_id, "name": sales.team.name}
    assert body["tags"] == ["展会", "重点"]


def test_labels_follow_accept_language():
    customer = CustomerFactory(industry=Industry.objects.get(code="retail"))
    body = api_client(customer.owner).get(detail(customer.pk), HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["industry"] == {"code": "retail", "label": "Retail"}


def test_unknown_industry_code_is_a_field_error():
    sales = UserFactory(role_slug="sales")
    response = api_client(sales).post(
        URL, {"name": "某公司", "phone": "13812345678", "industry": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["industry"]
    assert Customer.objects.count() == 0


def test_sales_cannot_give_a_new_customer_to_someone_else():
    sales = UserFactory(role_slug="sales")
    other = UserFactory(role_slug="sales", team=sales.team)
    response = api_client(sales).post(
        URL, {"name": "某公司", "phone": "13812345678", "owner": other.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["owner"]
    assert Customer.objects.count() == 0


# --- validation messages in the caller's language ----------------------------------------


def _invalid_phone_message(language: str) -> str:
    with translation.override(language):
        return translation.gettext("“%(value)s” is not a valid phone number.") % {"value": "12345"}


def test_bad_phone_is_400_in_chinese_by_default():
    response = api_client(UserFactory(role_slug="sales")).post(
        URL, {"name": "某公司", "phone": "12345"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"phone": [_invalid_phone_message("zh-hans")]}
    assert response["Content-Language"] == "zh-hans"
    assert Customer.objects.count() == 0


def test_bad_phone_is_400_in_english_when_asked():
    response = api_client(UserFactory(role_slug="sales")).post(
        URL, {"name": "某公司", "phone": "12345"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"phone": ["“12345” is not a valid phone number."]}
    assert response["Content-Language"] == "en"


def test_missing_phone_message_is_chinese_by_default_and_english_on_request():
    client = api_client(UserFactory(role_slug="sales"))
    zh = client.post(URL, {"name": "某公司"}, format="json")
    en = client.post(URL, {"name": "某公司"}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert zh.json()["errors"] == {"phone": ["请补充完整客户名称或联系电话"]}
    assert en.json()["errors"] == {"phone": ["Please fill in the customer name and contact phone."]}
    assert Customer.objects.count() == 0


def test_wrong_type_is_400_with_the_field_named():
    response = api_client(UserFactory(role_slug="sales")).post(
        URL, {"name": "某公司", "phone": "13812345678", "stage": "bogus"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["stage"]


# --- update and concurrency ----------------------------------------------------------------


def _customer(owner, name="某公司", phone="13812345678"):
    return customer_create(actor=owner, data={"name": name, "phone": phone})


def test_patch_with_current_version_saves_and_bumps_it():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    response = api_client(sales).patch(
        detail(customer.pk), {"remarks": "新备注", "version": 1}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["remarks"], response.json()["version"]) == ("新备注", 2)
    assert response["ETag"] == '"2"'
    assert ActivityEvent.objects.filter(verb=Verb.UPDATED, source="api").count() == 1


def test_patch_with_stale_version_is_409_and_saves_nothing():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    client = api_client(sales)
    client.patch(detail(customer.pk), {"remarks": "第一次"}, format="json")

    response = client.patch(detail(customer.pk), {"remarks": "第二次", "version": 1}, format="json")

    assert response.status_code == 409
    with translation.override("zh-hans"):
        expected = translation.gettext(
            "This customer was changed by someone else since you opened it. "
            "Reload to see their changes, then apply yours again."
        )
    assert response.json() == {"detail": expected, "errors": {}}
    customer.refresh_from_db()
    assert (customer.remarks, customer.version) == ("第一次", 2)


def test_stale_if_match_header_is_409_and_current_one_saves():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    client = api_client(sales)
    client.patch(detail(customer.pk), {"remarks": "第一次"}, format="json")

    stale = client.patch(detail(customer.pk), {"remarks": "旧"}, format="json", HTTP_IF_MATCH='"1"')
    current = client.patch(
        detail(customer.pk), {"remarks": "新"}, format="json", HTTP_IF_MATCH='"2"'
    )

    assert (stale.status_code, current.status_code) == (409, 200)
    customer.refresh_from_db()
    assert customer.remarks == "新"


def test_malformed_if_match_is_400():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    response = api_client(sales).patch(
        detail(customer.pk), {"remarks": "x"}, format="json", HTTP_IF_MATCH="yesterday"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["version"]


def test_patch_without_version_last_write_wins():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    client = api_client(sales)
    client.patch(detail(customer.pk), {"remarks": "第一次"}, format="json")
    response = client.patch(detail(customer.pk), {"remarks": "第二次"}, format="json")
    assert response.status_code == 200
    assert response.json()["remarks"] == "第二次"


def test_patch_phone_goes_to_the_primary_contact():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    response = api_client(sales).patch(
        detail(customer.pk), {"phone": "+86 139-1234-5678", "contact_name": "王五"}, format="json"
    )
    assert (response.json()["phone"], response.json()["contact_name"]) == ("+8613912345678", "王五")
    assert Contact.objects.get(customer=customer).phone == "+8613912345678"


def test_patch_replaces_tags():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    response = api_client(sales).patch(detail(customer.pk), {"tags": ["重点"]}, format="json")
    assert response.json()["tags"] == ["重点"]
    assert list(customer.tags.values_list("name", flat=True)) == ["重点"]


def test_supervisor_delete_is_204_and_audited():
    supervisor = UserFactory(role_slug="supervisor")
    customer = CustomerFactory(owner=UserFactory(role_slug="sales", team=supervisor.team))
    response = api_client(supervisor).delete(detail(customer.pk))
    assert response.status_code == 204
    assert not Customer.objects.filter(pk=customer.pk).exists()
    event = ActivityEvent.objects.get(verb=Verb.DELETED)
    assert (event.source, event.customer_id) == ("api", customer.pk)


def test_put_on_a_customer_is_not_allowed():
    sales = UserFactory(role_slug="sales")
    customer = _customer(sales)
    response = api_client(sales).put(detail(customer.pk), {"name": "x"}, format="json")
    assert response.status_code == 405


# --- search, filters, pagination ----------------------------------------------------------


def test_search_by_pinyin_initials_and_full_pinyin():
    sales = UserFactory(role_slug="sales")
    zhang = _customer(sales, name="张三贸易", phone="13812345678")
    _customer(sales, name="李四科技", phone="13912345678")
    client = api_client(sales)
    assert [r["id"] for r in client.get(URL, {"search": "zsmy"}).json()["results"]] == [zhang.pk]
    assert [r["id"] for r in client.get(URL, {"search": "zhangsan"}).json()["results"]] == [
        zhang.pk
    ]


def test_search_by_phone_in_another_format():
    sales = UserFactory(role_slug="sales")
    zhang = _customer(sales, name="张三贸易", phone="13812345678")
    _customer(sales, name="李四科技", phone="13912345678")
    response = api_client(sales).get(URL, {"search": "+86 138-1234-5678"})
    assert [r["id"] for r in response.json()["results"]] == [zhang.pk]


def test_search_never_reaches_outside_scope():
    sales = UserFactory(role_slug="sales")
    _customer(UserFactory(role_slug="sales"), name="张三贸易")
    assert api_client(sales).get(URL, {"search": "zsmy"}).json()["results"] == []


def test_filters_by_industry_code_tag_and_intent():
    admin = UserFactory(role_slug="admin")
    retail = CustomerFactory(industry=Industry.objects.get(code="retail"), intent="high")
    retail.tags.add(Tag.objects.create(name="重点"))
    CustomerFactory(industry=Industry.objects.get(code="retail"), intent="low")
    CustomerFactory(intent="high")
    client = api_client(admin)

    def ids(**params):
        return [r["id"] for r in client.get(URL, params).json()["results"]]

    assert ids(industry="retail", intent="high") == [retail.pk]
    assert ids(tag="重点") == [retail.pk]
    assert len(ids(intent="high,low")) == 3


def test_unknown_sort_is_a_field_error():
    response = api_client(UserFactory(role_slug="admin")).get(URL, {"sort": "shoe_size"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["sort"]


def test_cursor_pagination_walks_every_customer_once_and_back():
    admin = UserFactory(role_slug="admin")
    created = [CustomerFactory().pk for _ in range(5)]
    client = api_client(admin)

    first = client.get(URL, {"page_size": 2}).json()
    second = client.get(page_path(first["next"])).json()
    third = client.get(page_path(second["next"])).json()
    back = client.get(page_path(second["previous"])).json()

    pages = [first, second, third]
    assert [[r["id"] for r in p["results"]] for p in pages] == [
        sorted(created, reverse=True)[0:2],
        sorted(created, reverse=True)[2:4],
        sorted(created, reverse=True)[4:],
    ]
    assert first["previous"] is None and third["next"] is None
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]


def test_cursor_pagination_by_last_contact_puts_never_contacted_last():
    admin = UserFactory(role_slug="admin")
    now = timezone.now()
    never = [CustomerFactory().pk for _ in range(3)]
    recent = CustomerFactory(last_contact_at=now - dt.timedelta(days=1)).pk
    older = CustomerFactory(last_contact_at=now - dt.timedelta(days=9)).pk
    client = api_client(admin)

    seen, url = [], f"{URL}?sort=-last_contact&page_size=2"
    while url:
        body = client.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = page_path(body["next"]) if body["next"] else None

    assert seen == [recent, older, *sorted(never, reverse=True)]


def test_tampered_cursor_is_404():
    response = api_client(UserFactory(role_slug="admin")).get(URL, {"cursor": "bm9wZQ"})
    assert response.status_code == 404


# --- upsert for integrations ----------------------------------------------------------------


def test_upsert_creates_then_updates_without_duplicating():
    sales = UserFactory(role_slug="sales")
    client = token_client(sales)
    url = f"{URL}upsert/"
    payload = {
        "external_source": "erp",
        "external_id": "A-1",
        "name": "甲公司",
        "phone": "13812345678",
    }

    created = client.put(url, payload, format="json")
    updated = client.put(url, {**payload, "name": "甲公司（更新）"}, format="json")

    assert (created.status_code, updated.status_code) == (201, 200)
    assert created.json()["id"] == updated.json()["id"]
    assert Customer.objects.count() == 1
    assert Customer.objects.get().name == "甲公司（更新）"
    assert list(
        ActivityEvent.objects.filter(target_type="customers.customer")
        .order_by("id")
        .values_list("verb", "source")
    ) == [(Verb.CREATED, "api"), (Verb.UPDATED, "api")]


def test_upsert_by_post_works_too():
    sales = UserFactory(role_slug="sales")
    payload = {
        "external_source": "erp",
        "external_id": "B-2",
        "name": "乙公司",
        "phone": "13812345678",
    }
    response = api_client(sales).post(f"{URL}upsert/", payload, format="json")
    assert response.status_code == 201
    assert (response.json()["external_source"], response.json()["external_id"]) == ("erp", "B-2")


def test_upsert_needs_the_external_key():
    response = api_client(UserFactory(role_slug="sales")).put(
        f"{URL}upsert/", {"name": "甲公司", "phone": "13812345678"}, format="json"
    )
    assert response.status_code == 400
    assert sorted(response.json()["errors"]) == ["external_id", "external_source"]
    assert Customer.objects.count() == 0


def test_upsert_of_someone_elses_record_is_a_conflict_not_a_duplicate():
    customer_create(
        actor=UserFactory(role_slug="sales"),
        data={
            "name": "甲公司",
            "phone": "13812345678",
            "external_source": "erp",
            "external_id": "A-1",
        },
    )
    response = api_client(UserFactory(role_slug="sales")).put(
        f"{URL}upsert/",
        {"external_source": "erp", "external_id": "A-1", "name": "冒名", "phone": "13912345678"},
        format="json",
    )
    assert response.status_code == 409
    assert Customer.objects.get().name == "甲公司"


# --- contacts and tags ------------------------------------------------------------------------


def test_contacts_list_for_one_customer_masked_for_finance():
    customer = CustomerFactory()
    ContactFactory(customer=customer, phone="+8613812345678", email="li@example.com")
    ContactFactory()  # another customer's
    response = api_client(UserFactory(role_slug="finance")).get(
        "/api/v1/contacts/", {"customer": customer.pk}
    )
    rows = response.json()["results"]
    assert [(r["customer"], r["phone"], r["email"]) for r in rows] == [
        (customer.pk, "138****5678", "l***@example.com")
    ]


def test_contact_create_normalises_phone_and_rejects_invisible_customer():
    sales = UserFactory(role_slug="sales")
    mine, theirs = CustomerFactory(owner=sales), CustomerFactory()
    client = api_client(sales)

    ok = client.post(
        "/api/v1/contacts/",
        {"customer": mine.pk, "name": "王五", "phone": "139 1234 5678"},
        format="json",
    )
    refused = client.post(
        "/api/v1/contacts/", {"customer": theirs.pk, "name": "王五"}, format="json"
    )

    assert ok.status_code == 201
    assert (ok.json()["phone"], ok.json()["is_primary"]) == ("+8613912345678", True)
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["customer"]
    assert Contact.objects.filter(customer=theirs).count() == 0


def test_reveal_is_audited_and_refused_to_finance():
    supervisor = UserFactory(role_slug="supervisor")
    contact = ContactFactory(customer=CustomerFactory(owner=supervisor), phone="+8613812345678")
    url = f"/api/v1/contacts/{contact.pk}/reveal/"

    refused = api_client(UserFactory(role_slug="finance")).post(url, {"field": "phone"})
    shown = api_client(supervisor).post(url, {"field": "phone"}, format="json")

    assert refused.status_code == 403
    assert shown.json() == {"field": "phone", "value": "+8613812345678"}
    event = ActivityEvent.objects.get(verb=Verb.REVEALED)
    assert (event.actor, event.source, event.summary) == (supervisor, "api", "phone")


def test_tag_create_is_idempotent_and_needs_edit_permission():
    sales = UserFactory(role_slug="sales")
    first = api_client(sales).post("/api/v1/tags/", {"name": "重点"}, format="json")
    again = api_client(sales).post("/api/v1/tags/", {"name": "重点"}, format="json")
    refused = api_client(UserFactory(role_slug="finance")).post(
        "/api/v1/tags/", {"name": "财务标签"}, format="json"
    )
    assert (first.status_code, again.status_code, refused.status_code) == (201, 200, 403)
    assert first.json()["id"] == again.json()["id"]
    assert list(Tag.objects.values_list("name", flat=True)) == ["重点"]


def test_tags_list():
    Tag.objects.create(name="展会")
    Tag.objects.create(name="重点")
    response = api_client(UserFactory(role_slug="finance")).get("/api/v1/tags/")
    assert [t["name"] for t in response.json()["results"]] == ["展会", "重点"]


def test_list_query_count_does_not_grow_with_rows(django_assert_num_queries):
    admin = UserFactory(role_slug="admin")
    client = api_client(admin)
    tag = Tag.objects.create(name="重点")
    for _ in range(2):
        ContactFactory(customer=CustomerFactory()).customer.tags.add(tag)
    client.get(URL)  # the token and the reference labels are cached from here on
    with django_assert_num_queries(3):  # customers, their tags, primary contacts
        assert len(client.get(URL).json()["results"]) == 2
    for _ in range(8):
        ContactFactory(customer=CustomerFactory()).customer.tags.add(tag)
    forget_reference_labels()
    reference_labels()  # the new owners: loaded once, not once per row
    with django_assert_num_queries(3):
        assert len(client.get(URL).json()["results"]) == 10
