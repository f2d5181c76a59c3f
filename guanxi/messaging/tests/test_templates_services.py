"""Template services: validation by the sandbox, versioning, activation, permission, audit."""

import importlib

import pytest
from django.apps import apps as django_apps

from guanxi.accounts.tests.factories import UserFactory
from guanxi.activity.models import ActivityEvent
from guanxi.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import rendering, sending
from guanxi.messaging import template_services as services
from guanxi.messaging.models import Message, MessageTemplate, TemplateVersion
from guanxi.messaging.sending_many import messages_queue_many

pytestmark = pytest.mark.django_db
seeds = importlib.import_module("guanxi.messaging.migrations.0004_seed_templates")


def _email(actor, key="promo", **overrides):
    fields = {
        "key": key, "name": "推广", "channel": "email", "category": "marketing",
        "language": "zh-hans", "description": "", "subject": "{{ customer.name }}您好",
        "html_body": "<p>{{ contact.salutation }}</p>", "text_body": "",
    } | overrides  # fmt: skip
    return services.template_create(actor=actor, **fields)


def test_create_stores_version_one_as_current_and_audits():
    admin = UserFactory(role_slug="admin")
    template = _email(admin)
    version = template.current_version
    assert (version.number, version.subject, version.created_by) == (
        1,
        "{{ customer.name }}您好",
        admin,
    )
    event = ActivityEvent.objects.get(
        target_type="messaging.messagetemplate", target_id=template.pk
    )
    assert (event.verb, event.actor) == ("created", admin)


@pytest.mark.parametrize("role", ["sales", "supervisor", "marketing", "service"])
def test_only_config_managers_create_and_nothing_is_stored_on_refusal(role):
    before = MessageTemplate.objects.count()
    with pytest.raises(PermissionDeniedError):
        _email(UserFactory(role_slug=role))
    assert MessageTemplate.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"subject": "{{ customer.secret }}"}, "subject", None),
        ({"html_body": "<p>{{ nope }}</p>"}, "html_body", "Unknown variable: nope"),
        ({"html_body": "<p>{% if %}</p>"}, "html_body", None),
        ({"subject": ""}, "subject", "An email needs a subject."),
        (
            {"html_body": "", "text_body": ""},
            "html_body",
            "An email needs an HTML body or a text body.",
        ),
        ({"key": "not a slug"}, "key", "Use letters, digits, hyphens and underscores only."),
        ({"key": "product-intro"}, "key", "Another template already has this key."),
        ({"channel": "fax"}, "channel", "Choose email or SMS."),
        ({"language": "fr"}, "language", "Choose one of the languages Guanxi speaks."),
    ],
)
def test_create_rejects_bad_input_with_field_errors(settings, overrides, field, message):
    settings.LANGUAGE_CODE = "en"
    admin = UserFactory(role_slug="admin")
    before = MessageTemplate.objects.count()
    with pytest.raises(ApplicationError) as caught:
        _email(admin, **overrides)
    assert field in caught.value.errors
    if message:
        assert caught.value.errors[field] == [message]
    assert MessageTemplate.objects.count() == before


def test_sms_needs_text_within_500_characters_and_drops_subject_and_html(settings):
    settings.LANGUAGE_CODE = "en"
    admin = UserFactory(role_slug="admin")
    sms = {"channel": "sms", "subject": "x", "html_body": "<p>x</p>"}
    with pytest.raises(ApplicationError) as caught:
        _email(admin, key="s1", text_body="", **sms)
    assert caught.value.errors == {"text_body": ["An SMS template needs its text."]}
    with pytest.raises(ApplicationError) as caught:
        _email(admin, key="s1", text_body="字" * 501, **sms)
    assert caught.value.errors == {
        "text_body": ["An SMS template can have at most 500 characters (it has 501)."]
    }
    template = _email(admin, key="s1", text_body="字" * 500, **sms)
    version = template.current_version
    assert (version.subject, version.html_body, len(version.text_body)) == ("", "", 500)


def test_update_with_changed_text_saves_a_new_version_and_keeps_the_old():
    admin = UserFactory(role_slug="admin")
    template = _email(admin)
    updated = services.template_update(
        actor=admin, template=template, subject="新主题", html_body="<p>新</p>", text_body="",
        expected_version=1,
    )  # fmt: skip
    assert updated.current_version.number == 2
    assert list(template.versions.order_by("number").values_list("subject", flat=True)) == [
        "{{ customer.name }}您好", "新主题",
    ]  # fmt: skip
    event = ActivityEvent.objects.filter(target_id=template.pk, verb="updated").get()
    assert event.changes == {"version": [1, 2]}


def test_metadata_change_saves_no_version():
    admin = UserFactory(role_slug="admin")
    template = _email(admin)
    v1 = template.current_version
    updated = services.template_update(
        actor=admin, template=template, name="新名字", category="transactional",
        subject=v1.subject, html_body=v1.html_body, text_body=v1.text_body,
    )  # fmt: skip
    assert (updated.name, updated.category, updated.current_version_id) == (
        "新名字", "transactional", v1.pk,
    )  # fmt: skip
    assert TemplateVersion.objects.filter(template=template).count() == 1


def test_update_without_any_change_writes_nothing():
    admin = UserFactory(role_slug="admin")
    template = _email(admin)
    v1 = template.current_version
    events = ActivityEvent.objects.count()
    services.template_update(
        actor=admin, template=template, name=template.name,
        subject=v1.subject, html_body=v1.html_body, text_body=v1.text_body,
    )  # fmt: skip
    assert ActivityEvent.objects.count() == events
    assert TemplateVersion.objects.filter(template=template).count() == 1


def test_stale_expected_version_is_a_conflict_and_changes_nothing():
    admin = UserFactory(role_slug="admin")
    template = _email(admin)
    services.template_update(actor=admin, template=template, subject="二", html_body="<p>2</p>")
    with pytest.raises(ConflictError):
        services.template_update(
            actor=admin, template=template, subject="三", html_body="<p>3</p>", expected_version=1
        )
    template.refresh_from_db()
    assert template.current_version.number == 2


def test_update_refused_for_non_managers_and_bad_text_changes_nothing():
    admin = UserFactory(role_slug="admin")
    template = _email(admin)
    with pytest.raises(PermissionDeniedError):
        services.template_update(
            actor=UserFactory(role_slug="supervisor"), template=template, subject="x",
            html_body="<p>x</p>",
        )  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        services.template_update(
            actor=admin, template=template, subject="ok", html_body="{{ owner.password }}"
        )
    assert list(caught.value.errors) == ["html_body"]
    template.refresh_from_db()
    assert template.current_version.number == 1


def test_deactivate_and_activate_are_audited_and_idempotent():
    admin = UserFactory(role_slug="admin")
    template = _email(admin)
    assert services.template_deactivate(actor=admin, template=template).is_active is False
    services.template_deactivate(actor=admin, template=template)
    assert services.template_activate(actor=admin, template=template).is_active is True
    changes = list(
        ActivityEvent.objects.filter(target_id=template.pk, verb="updated")
        .order_by("id")
        .values_list("changes", flat=True)
    )
    assert changes == [{"is_active": [True, False]}, {"is_active": [False, True]}]
    with pytest.raises(PermissionDeniedError):
        services.template_deactivate(actor=UserFactory(role_slug="sales"), template=template)
    template.refresh_from_db()
    assert template.is_active is True


def test_send_test_goes_to_the_actors_own_address_rendered_for_the_customer():
    admin = UserFactory(role_slug="admin", email="me@example.com")
    customer = CustomerFactory(name="华兴科技")
    ContactFactory(customer=customer, name="王芳", email="wang@example.com")
    template = _email(admin)
    message = services.template_send_test(actor=admin, template=template, customer=customer)
    assert (message.recipient, message.category, message.subject) == (
        "me@example.com", "transactional", "华兴科技您好",
    )  # fmt: skip
    assert "<p>王芳</p>" in message.body_html
    assert message.template_version == template.current_version


def test_send_test_without_own_address_queues_nothing(settings):
    settings.LANGUAGE_CODE = "en"
    admin = UserFactory(role_slug="admin", phone="")
    template = _email(admin, key="s2", channel="sms", text_body="你好")
    with pytest.raises(ApplicationError) as caught:
        services.template_send_test(actor=admin, template=template)
    assert caught.value.message == "Add a mobile number to your profile to receive test SMS."
    assert Message.objects.count() == 0


# --- SMS provider templates -------------------------------------------------------------

PARAMS = [["name", "{{ contact.salutation }}"], ["day", "{{ today }}"]]


def _mapped(actor, key="mapped", **overrides):
    fields = {
        "channel": "sms", "text_body": "{{ contact.salutation }}您好，今天是{{ today }}。",
        "provider_template_code": "SMS_154950909", "provider_params": PARAMS,
    } | overrides  # fmt: skip
    return _email(actor, key=key, **fields)


def test_the_provider_template_belongs_to_the_version():
    admin = UserFactory(role_slug="admin")
    template = _mapped(admin)
    v1 = template.current_version
    assert (v1.provider_template_code, v1.provider_params) == ("SMS_154950909", PARAMS)
    # The same text and mapping (as lists, as a form or the API gives them): no version.
    services.template_update(
        actor=admin, template=template, text_body=v1.text_body,
        provider_template_code="SMS_154950909", provider_params=[list(p) for p in PARAMS],
    )  # fmt: skip
    assert TemplateVersion.objects.filter(template=template).count() == 1
    # A changed order is a changed mapping (Tencent fills {1}, {2} by position).
    updated = services.template_update(
        actor=admin, template=template, text_body=v1.text_body,
        provider_template_code="SMS_154950909", provider_params=PARAMS[::-1],
    )  # fmt: skip
    v2 = updated.current_version
    assert (v2.number, v2.provider_params) == (2, PARAMS[::-1])
    v1.refresh_from_db()
    assert v1.provider_params == PARAMS  # versions are never edited


def test_an_email_keeps_no_provider_template():
    admin = UserFactory(role_slug="admin")
    template = _email(admin, provider_template_code="SMS_1", provider_params=PARAMS)
    version = template.current_version
    assert (version.provider_template_code, version.provider_params) == ("", [])


@pytest.mark.parametrize(
    ("overrides", "field", "messages"),
    [
        (
            {"provider_template_code": "SMS 154950909"},
            "provider_template_code",
            ["Use letters, digits, underscores and hyphens only, as the provider shows it."],
        ),
        (
            {"provider_template_code": "S" * 65},
            "provider_template_code",
            ["The template code can have at most 64 characters."],
        ),
        (
            {"provider_template_code": ""},
            "provider_template_code",
            ["Give the code of the provider's template these variables belong to."],
        ),
        (
            {"provider_params": [["na-me", "x"], ["day", "{{ today }}"]]},
            "provider_params",
            ["“na-me” cannot be a variable name: use letters, digits and underscores."],
        ),
        (
            {"provider_params": [["name", "x"], ["name", "y"]]},
            "provider_params",
            ["The variable “name” is given twice."],
        ),
        (
            {"provider_params": [["name", "{{ customer.secret }}"]]},
            "provider_params",
            None,
        ),
        (
            {"provider_params": [["name", "contact.salutation"]]},
            "provider_params",
            ["name: Write {{ contact.salutation }} to insert the variable."],
        ),
        ({"provider_params": [["name", "  "]]}, "provider_params", None),
        (
            {"provider_params": [["name"]]},
            "provider_params",
            ["Variable 1: give a name and a value."],
        ),
    ],
)
def test_a_bad_provider_template_is_refused_on_its_field(settings, overrides, field, messages):
    settings.LANGUAGE_CODE = "en"
    admin = UserFactory(role_slug="admin")
    before = MessageTemplate.objects.count()
    with pytest.raises(ApplicationError) as caught:
        _mapped(admin, **overrides)
    assert list(caught.value.errors) == [field]
    if messages:
        assert caught.value.errors[field] == messages
    assert MessageTemplate.objects.count() == before


def test_both_unknown_variable_and_syntax_error_are_named_per_variable(settings):
    settings.LANGUAGE_CODE = "en"
    admin = UserFactory(role_slug="admin")
    with pytest.raises(ApplicationError) as caught:
        _mapped(admin, provider_params=[["name", "{{ nope }}"], ["day", "{% if %}"]])
    first, second = caught.value.errors["provider_params"]
    assert first == "name: Unknown variable: nope"
    assert second.startswith("day: Line 1: ")


def test_queueing_renders_the_variables_onto_the_message():
    admin = UserFactory(role_slug="admin")
    template = _mapped(admin)
    customer = CustomerFactory(name="华兴科技")
    ContactFactory(customer=customer, name="王芳", phone="13800138000")
    message = sending.message_queue(actor=None, channel="sms", customer=customer, template=template)
    today = message.body_text.removeprefix("王芳您好，今天是").removesuffix("。")
    assert message.provider_template == {
        "code": "SMS_154950909", "params": [["name", "王芳"], ["day", today]],
    }  # fmt: skip
    # An ad-hoc text names no provider template: it goes through the carrier one.
    adhoc = sending.message_queue(
        actor=None, channel="sms", customer=customer, content=sending.Content(text="你好")
    )
    assert adhoc.provider_template == {}


def test_queueing_many_renders_the_variables_per_customer():
    admin = UserFactory(role_slug="admin")
    template = _mapped(admin, provider_params=[["name", "{{ contact.salutation }}"]])
    customers = []
    for name in ("王芳", "李雷"):
        customer = CustomerFactory()
        ContactFactory(customer=customer, name=name, phone=f"1380013800{len(customers)}")
        customers.append(customer)
    messages = messages_queue_many(
        channel="sms", template=template, customers=customers,
        idempotency_key=lambda c: f"many:{c.pk}",
    )  # fmt: skip
    assert [m.provider_template for m in messages] == [
        {"code": "SMS_154950909", "params": [["name", "王芳"]]},
        {"code": "SMS_154950909", "params": [["name", "李雷"]]},
    ]
    assert [m.provider_template for m in Message.objects.order_by("id")] == [
        m.provider_template for m in messages
    ]


# --- seeds -----------------------------------------------------------------------------


def test_every_seeded_template_exists_at_its_shipped_version_and_passes_the_check():
    keys = {seed["key"] for seed in seeds.TEMPLATES}
    assert len(keys) == 16
    templates = MessageTemplate.objects.filter(key__in=keys).select_related("current_version")
    assert templates.count() == 16
    # 0006 made the coupon paragraphs conditional: version 2 of those two.
    coupon = {"coupon-new-feature", "coupon-new-feature-en"}
    for template in templates:
        version = template.current_version
        assert version.number == (2 if template.key in coupon else 1), template.key
        assert (
            services.text_problems(
                channel=template.channel,
                text=services.TemplateText(
                    subject=version.subject,
                    html_body=version.html_body,
                    text_body=version.text_body,
                ),
            )
            == {}
        ), template.key


def test_every_seed_has_an_english_twin_of_the_same_kind():
    by_key = {seed["key"]: seed for seed in seeds.TEMPLATES}
    chinese = [k for k, seed in by_key.items() if seed["language"] == "zh-hans"]
    assert sorted(chinese) == [
        "birthday-email", "birthday-sms", "coupon-new-feature", "product-intro",
        "satisfaction-email", "satisfaction-sms", "usage-report", "welcome-guide",
    ]  # fmt: skip
    for key in chinese:
        twin = by_key[f"{key}-en"]
        assert (twin["language"], twin["channel"], twin["category"]) == (
            "en", by_key[key]["channel"], by_key[key]["category"],
        )  # fmt: skip


def test_marketing_seeds_offer_unsubscribing():
    context = rendering.example_context()
    for seed in seeds.TEMPLATES:
        if seed["category"] != "marketing":
            continue
        if seed["channel"] == "email":
            assert 'href="{{ unsubscribe_url }}"' in seed["html_body"], seed["key"]
        else:
            text = rendering.render_text(seed["text_body"], context)
            ending = "回T退订" if seed["language"] == "zh-hans" else "Reply T to opt out"
            assert text.endswith(ending), seed["key"]


def test_coupon_seed_renders_the_coupon_code_for_a_customer():
    template = MessageTemplate.objects.get(key="coupon-new-feature")
    customer = CustomerFactory(name="华兴科技")
    context = sending.context_for(
        customer=customer, contact=None, token="t" * 32, params={"coupon_code": "VIP-2024"}
    )
    html = rendering.render_html(template.current_version.html_body, context)
    assert "VIP-2024" in html and "尊敬的华兴科技，您好" in html


def test_installing_the_seeds_again_adds_nothing_and_keeps_edits():
    admin = UserFactory(role_slug="admin")
    template = MessageTemplate.objects.get(key="product-intro")
    services.template_update(actor=admin, template=template, subject="改过", html_body="<p>x</p>")
    before = (MessageTemplate.objects.count(), TemplateVersion.objects.count())
    seeds.install(django_apps, None)
    assert (MessageTemplate.objects.count(), TemplateVersion.objects.count()) == before
    template.refresh_from_db()
    assert template.current_version.subject == "改过"
