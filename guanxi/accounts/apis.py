"""REST API for users (read only) and the caller's own API tokens (/api/v1/)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts import serializers as s
from guanxi.accounts.models import ApiToken, User
from guanxi.accounts.permissions import Perm, has_perm
from guanxi.accounts.selectors import token_get, token_list, user_get, user_list
from guanxi.accounts.tokens import token_create, token_revoke
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.core.errors import NotFoundError
from guanxi.customers.selectors import owner_choices


class UserViewSet(ApiViewSet):
    """People the caller may pick as an owner or assignee: user managers see everyone,
    others the active users of their own data scope."""

    queryset = User.objects.none()  # schema introspection only; data comes from selectors
    serializer_class = s.UserSerializer
    http_method_names = ["get", "head"]

    def _visible(self, params: dict) -> QuerySet[User]:
        user = self.request.user
        if has_perm(user, Perm.USER_MANAGE):
            return user_list(user=user, search=params.get("search", ""), team_id=params.get("team"))
        qs = owner_choices(user=user)
        if params.get("search"):
            term = params["search"]
            qs = qs.filter(Q(username__icontains=term) | Q(display_name__icontains=term))
        if params.get("team"):
            qs = qs.filter(team_id=params["team"])
        return qs

    @extend_schema(parameters=[s.UserQuerySerializer], responses=s.UserSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.UserQuerySerializer)
        return self.respond_page(s.UserSerializer, self._visible(params).select_related("role"))

    @extend_schema(responses=s.UserSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        if has_perm(request.user, Perm.USER_MANAGE):
            return self.respond(s.UserSerializer, user_get(user=request.user, pk=pk))
        found = owner_choices(user=request.user).select_related("role").filter(pk=pk).first()
        if found is None:
            raise NotFoundError(_("User not found."))
        return self.respond(s.UserSerializer, found)

    @extend_schema(responses=s.UserSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        """The user this token or session belongs to."""
        return self.respond(s.UserSerializer, request.user)


class TokenViewSet(ApiViewSet):
    """The caller's own personal API tokens."""

    queryset = ApiToken.objects.none()  # schema introspection only
    serializer_class = s.TokenSerializer
    http_method_names = ["get", "post", "delete", "head"]

    @extend_schema(responses=s.TokenSerializer)
    def list(self, request: Request) -> Response:
        return self.respond_page(s.TokenSerializer, token_list(user=request.user))

    @extend_schema(request=s.TokenCreateSerializer, responses={201: s.NewTokenSerializer})
    def create(self, request: Request) -> Response:
        name = self.parse(s.TokenCreateSerializer).get("name", "")
        token, key = token_create(actor=request.user, user=request.user, name=name, source=SOURCE)
        token.key = key  # type: ignore[attr-defined]  # shown once, never stored
        return self.respond(s.NewTokenSerializer, token, status_code=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: int) -> Response:
        token = token_get(user=request.user, pk=pk)
        token_revoke(actor=request.user, token=token, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)
