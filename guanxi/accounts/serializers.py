"""API serializers for users (read only) and the caller's own API tokens."""

from __future__ import annotations

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from guanxi.api.fields import NamedRefSerializer


class RoleRefSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()

    def to_representation(self, instance):
        return {"slug": instance.slug, "name": _role_name(instance)}


def _role_name(role) -> str:
    if role.name_en and (get_language() or "").startswith("en"):
        return role.name_en
    return role.name


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(source="label", read_only=True)
    role = RoleRefSerializer(read_only=True, allow_null=True)
    team = NamedRefSerializer(read_only=True, allow_null=True)
    is_active = serializers.BooleanField(read_only=True)


class UserQuerySerializer(serializers.Serializer):
    search = serializers.CharField(required=False, allow_blank=True)
    team = serializers.IntegerField(required=False, min_value=1)


class TokenSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True, help_text=_("The key's first characters."))
    created_at = serializers.DateTimeField(read_only=True)
    last_used_at = serializers.DateTimeField(read_only=True, allow_null=True)
    revoked_at = serializers.DateTimeField(read_only=True, allow_null=True)


class NewTokenSerializer(TokenSerializer):
    key = serializers.CharField(
        read_only=True, help_text=_("Shown this once; send it as `Authorization: Token <key>`.")
    )


class TokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
