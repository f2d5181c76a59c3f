"""Send email / SMS from a customer page: the form, the preview, queueing, the Messages card."""

import pytest
from django.urls import reverse

from guanxi.accounts.tests.factories import UserFactory
from guanxi.customers.tests.factories import CustomerFactory
from guanxi.messaging.models import Message, Suppression
from guanxi.messaging.tests.test_outbox_selectors import (
    NOON,
    _noon,  # noqa: F401  (autouse fixture: a fixed clock at noon)
    customer_with_contact,
    queued,
    template,
)

pytestmark = pytest.mark.django_db

KEY = "0123456789abcdef0123456789abcdef"


def send_url(customer, channel="email"):
    return reverse("outbox:send", args=[customer.pk, channel])


def setup(channel="email", **contact):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, **contact)
    return sales, customer, template(channel)


def test_the_form_lists_active_templates_of_the_channel_and_the_recipient(client):
    sales, customer, tmpl = setup(email="wang@example.com")
    other = template("sms")
    client.force_login(sales)
    response = client.get(send_url(customer))
    assert response.status_code == 200
    choices = list(response.context["form"].fields["template"].queryset)
    assert tmpl in choices and other not in choices
    assert response.context["recipient"] == "wang@example.com"
    assert response.context["preview"] == {}


def test_preview_renders_for_this_customer_and_stores_nothing(client):
    sales, customer, tmpl = setup("sms", name="王芳")
    client.force_login(sales)
    data = {"template": tmpl.pk, "coupon_code": "VIP88", "key": KEY, "action": "preview"}
    response = client.post(send_url(customer, "sms"), data)
    assert response.status_code == 200
    preview = response.context["preview"]
    assert preview["rendered"].text == "王芳您好，优惠码VIP88，回T退订"
    assert preview["segments"] == 1
    assert Message.objects.count() == 0


def test_preview_over_htmx_is_only_the_preview_card(client):
    sales, customer, tmpl = setup()
    client.force_login(sales)
    response = client.post(
        send_url(customer), {"template": tmpl.pk, "key": KEY}, headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="send-preview"')
    assert f"{customer.name} 方案" in body
    assert Message.objects.count() == 0


def test_send_queues_the_message_and_returns_to_the_customer(client):
    sales, customer, tmpl = setup("sms")
    client.force_login(sales)
    data = {"template": tmpl.pk, "coupon_code": "VIP88", "key": KEY, "action": "send"}
    response = client.post(send_url(customer, "sms"), data, follow=True)
    assert response.redirect_chain == [
        (reverse("customers:detail", args=[customer.pk]) + "#messages", 302)
    ]
    message = Message.objects.get()
    assert (message.channel, message.status, message.source) == ("sms", "queued", "ui")
    assert message.customer == customer and message.created_by == sales
    assert "VIP88" in message.body_text
    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_a_double_submit_sends_once(client):
    sales, customer, tmpl = setup()
    client.force_login(sales)
    data = {"template": tmpl.pk, "key": KEY, "action": "send"}
    client.post(send_url(customer), data)
    client.post(send_url(customer), data)
    assert Message.objects.count() == 1


def test_a_skipped_message_shows_its_reason_as_a_warning(client):
    sales, customer, _tmpl = setup("sms")
    marketing = template("sms", category="marketing")
    contact = customer.contacts.get()
    Suppression.objects.create(
        channel="sms", address=contact.phone, reason="unsubscribed", created_at=NOON
    )
    client.force_login(sales)
    data = {"template": marketing.pk, "key": KEY, "action": "send"}
    response = client.post(send_url(customer, "sms"), data, follow=True)
    message = Message.objects.get()
    assert message.status == "skipped"
    [shown] = list(response.context["messages"])
    assert shown.level_tag == "warning"
    assert message.reason in str(shown)


def test_sending_without_a_template_shows_the_error_in_place(client):
    sales, customer, _tmpl = setup()
    client.force_login(sales)
    response = client.post(send_url(customer), {"key": KEY, "action": "send"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["template"]
    assert Message.objects.count() == 0


def test_a_template_of_the_other_channel_is_not_a_choice(client):
    sales, customer, _tmpl = setup()
    sms = template("sms")
    client.force_login(sales)
    response = client.post(send_url(customer), {"template": sms.pk, "key": KEY, "action": "send"})
    assert list(response.context["form"].errors) == ["template"]
    assert Message.objects.count() == 0


def test_a_customer_without_an_address_for_the_channel_is_404(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, email="")
    client.force_login(sales)
    assert client.get(send_url(customer, "email")).status_code == 404
    assert client.get(send_url(customer, "fax")).status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("no permission", 403), ("out of scope", 404), ("allowed", 302)],
)
def test_send_permission_matrix(client, who, expected):
    owner = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=owner)
    tmpl = template("email")
    users = {
        "no permission": UserFactory(role_slug="marketing"),  # sees every customer
        "out of scope": UserFactory(role_slug="sales"),
        "allowed": owner,
    }
    if who in users:
        client.force_login(users[who])
    response = client.post(send_url(customer), {"template": tmpl.pk, "key": KEY, "action": "send"})
    assert response.status_code == expected
    assert Message.objects.count() == (1 if who == "allowed" else 0)


# --- the customer page -----------------------------------------------------------------


def test_customer_page_has_send_buttons_and_the_messages_card(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    message = queued(customer)
    queued(customer_with_contact(owner=sales))  # another customer's
    client.force_login(sales)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    body = response.content.decode()
    assert f'href="{send_url(customer, "email")}"' in body
    assert f'href="{send_url(customer, "sms")}"' in body
    assert [m.pk for m in response.context["customer_messages"]] == [message.pk]
    assert f'href="{reverse("outbox:detail", args=[message.pk])}"' in body


def test_customer_page_hides_buttons_without_address_or_permission(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales, email="", phone="+8613812345678")
    client.force_login(sales)
    body = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="send-email"' not in body and 'id="send-sms"' in body
    client.force_login(UserFactory(role_slug="marketing"))
    body = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert 'id="send-email"' not in body and 'id="send-sms"' not in body


def test_customer_page_without_contacts_has_no_buttons_and_no_messages(client):
    sales = UserFactory(role_slug="sales")
    customer = CustomerFactory(owner=sales)
    client.force_login(sales)
    response = client.get(reverse("customers:detail", args=[customer.pk]))
    assert response.context["customer_messages"] == []
    assert 'id="send-sms"' not in response.content.decode()


def test_customer_page_lists_the_latest_20_messages(client):
    sales = UserFactory(role_slug="sales")
    customer = customer_with_contact(owner=sales)
    tmpl = template("email")
    messages = [queued(customer, tmpl=tmpl) for _ in range(21)]
    client.force_login(sales)
    shown = client.get(reverse("customers:detail", args=[customer.pk])).context["customer_messages"]
    assert [m.pk for m in shown] == [m.pk for m in reversed(messages[1:])]
