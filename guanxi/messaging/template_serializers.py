"""API shapes of message templates, their versions and previews."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.messaging.models import Category, MessageChannel, MessageTemplate, TemplateVersion
from guanxi.messaging.template_services import PROVIDER_CODE_MAX_LENGTH


def _pairs(*, help_text: str, **kwargs) -> serializers.ListField:
    """[[name, value], …]: a list, not an object, because the order is Tencent's {1}, {2}, …"""
    return serializers.ListField(
        child=serializers.ListField(
            child=serializers.CharField(allow_blank=True, trim_whitespace=False),
            min_length=2,
            max_length=2,
        ),
        help_text=help_text,
        **kwargs,
    )


class TemplateVersionSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField(help_text=_("Who saved this version."))
    provider_params = _pairs(
        read_only=True,
        help_text=_("SMS: the provider template's variables as [name, expression] pairs."),
    )

    class Meta:
        model = TemplateVersion
        fields = [
            "id", "number", "subject", "html_body", "text_body", "provider_template_code",
            "provider_params", "created_by", "created_at",
        ]  # fmt: skip
        read_only_fields = fields

    def get_created_by(self, obj: TemplateVersion) -> str | None:
        return str(obj.created_by) if obj.created_by_id else None


class MessageTemplateSerializer(serializers.ModelSerializer):
    current_version = TemplateVersionSerializer(read_only=True)

    class Meta:
        model = MessageTemplate
        fields = [
            "id", "key", "name", "channel", "category", "language", "description",
            "is_active", "current_version", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class TemplateQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, default="", help_text=_("Part of name or key."))
    channel = serializers.ChoiceField(choices=MessageChannel.choices, required=False, default="")
    category = serializers.ChoiceField(choices=Category.choices, required=False, default="")
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False, default="")
    active = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text=_("Managers only see inactive.")
    )


class _TextFields(serializers.Serializer):
    subject = serializers.CharField(required=False, allow_blank=True, max_length=200)
    html_body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    text_body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    provider_template_code = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=PROVIDER_CODE_MAX_LENGTH,
        help_text=_("SMS: the code of the provider's approved template (Aliyun, Tencent Cloud)."),
    )
    provider_params = _pairs(
        required=False,
        help_text=_(
            "SMS: the provider template's variables as [name, expression] pairs, in the "
            "provider's order."
        ),
    )


class TemplateCreateSerializer(_TextFields):
    key = serializers.SlugField(max_length=60)
    name = serializers.CharField(max_length=100)
    channel = serializers.ChoiceField(choices=MessageChannel.choices)
    category = serializers.ChoiceField(choices=Category.choices)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, default="zh-hans")
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)


class TemplateUpdateSerializer(_TextFields):
    """Omitted fields keep their value; a changed text saves a new version."""

    name = serializers.CharField(required=False, max_length=100)
    category = serializers.ChoiceField(choices=Category.choices, required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=300)
    expected_version = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=_("The version number you edited; a newer one answers 409."),
    )


class TemplatePreviewRequestSerializer(_TextFields):
    customer = serializers.IntegerField(
        required=False, allow_null=True, help_text=_("Render for this customer (id).")
    )
    version = serializers.IntegerField(
        required=False, min_value=1, help_text=_("A saved version number (default: current).")
    )


class TemplatePreviewSerializer(serializers.Serializer):
    channel = serializers.CharField()
    subject = serializers.CharField()
    html = serializers.CharField()
    text = serializers.CharField()
    characters = serializers.IntegerField(help_text=_("SMS: characters counted."))
    segments = serializers.IntegerField(help_text=_("SMS: messages it is billed as."))
    provider_template_code = serializers.CharField(
        help_text=_("SMS: the provider template it would go through (empty: the carrier one).")
    )
    provider_params = _pairs(help_text=_("SMS: the provider template's variables, rendered."))
