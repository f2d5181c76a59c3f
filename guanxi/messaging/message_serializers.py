"""API shapes of messages (/api/v1/messages/): output, filters, and a send request."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from guanxi.messaging.message_selectors import shown_recipient
from guanxi.messaging.models import Category, Message, MessageChannel, MessageEvent, MessageStatus


class MessageEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = MessageEvent
        fields = ["kind", "url", "detail", "occurred_at"]
        read_only_fields = fields


class TemplateRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField()
    version = serializers.IntegerField(help_text=_("The version the message was rendered from."))


class MessageSerializer(serializers.ModelSerializer):
    recipient = serializers.SerializerMethodField(
        help_text=_("Masked unless the caller may see contact details.")
    )
    template = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = [
            "id", "channel", "category", "status", "reason", "customer", "contact", "recipient",
            "template", "subject", "body_text", "attempts", "next_attempt_at",
            "provider_message_id", "source", "created_by", "created_at", "sent_at",
            "delivered_at", "opened_at", "clicked_at", "replied_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_recipient(self, obj: Message) -> str:
        request = self.context.get("request")
        return shown_recipient(getattr(request, "user", None), obj)

    @extend_schema_field(TemplateRefSerializer(allow_null=True))
    def get_template(self, obj: Message) -> dict | None:
        version = obj.template_version
        if version is None:
            return None
        template = version.template
        return {
            "id": template.pk,
            "key": template.key,
            "name": template.name,
            "version": version.number,
        }


class ProviderTemplateSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The provider's template code."))
    params = serializers.ListField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("[name, value] pairs as sent, in the provider's order."),
    )


class MessageDetailSerializer(MessageSerializer):
    events = serializers.SerializerMethodField()
    provider_template = serializers.SerializerMethodField(
        help_text=_("SMS sent through the provider's own template; null: the carrier template.")
    )

    class Meta(MessageSerializer.Meta):
        fields = [
            *MessageSerializer.Meta.fields, "body_html", "links", "provider_template", "events",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(ProviderTemplateSerializer(allow_null=True))
    def get_provider_template(self, obj: Message) -> dict | None:
        return obj.provider_template or None

    @extend_schema_field(MessageEventSerializer(many=True))
    def get_events(self, obj: Message) -> list[dict]:
        events = obj.events.order_by("-occurred_at", "-id")
        return MessageEventSerializer(events, many=True).data


class MessageQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MessageStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=MessageChannel.choices, required=False)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    customer = serializers.IntegerField(required=False, min_value=1, help_text=_("Customer id."))
    q = serializers.CharField(
        required=False, max_length=100, help_text=_("Search the subject and text (and the recipient, for callers who may see contact details).")
    )  # fmt: skip


class MessageSendSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=MessageChannel.choices)
    customer = serializers.IntegerField(min_value=1, help_text=_("Customer id."))
    template = serializers.CharField(max_length=60, help_text=_("Template id or key."))
    recipient = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=254,
        help_text=_("Address or mobile number; default: the customer's primary contact's."),
    )  # fmt: skip
    params = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        default=dict,
        help_text=_('Template parameters, e.g. {"coupon_code": "VIP2026"}.'),
    )
    idempotency_key = serializers.CharField(
        required=False, default="", allow_blank=True, max_length=150,
        help_text=_("Sending again with the same key returns the first message (200), sends nothing."),
    )  # fmt: skip
