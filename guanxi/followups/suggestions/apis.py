"""REST API for status suggestions (list, confirm, dismiss) and their rules (admins)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.followups.suggestions import selectors, services
from guanxi.followups.suggestions import serializers as s
from guanxi.followups.suggestions.models import KeywordRule, Suggestion


class SuggestionViewSet(ApiViewSet):
    """Suggestions made after follow-ups, on customers in the caller's scope."""

    queryset = Suggestion.objects.none()  # schema introspection only
    serializer_class = s.SuggestionSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {"list": Perm.CUSTOMER_VIEW, "retrieve": Perm.CUSTOMER_VIEW}

    @extend_schema(parameters=[s.SuggestionQuerySerializer], responses=s.SuggestionSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.SuggestionQuerySerializer)
        qs = selectors.suggestion_list(
            user=request.user, status=params["status"], customer_id=params.get("customer")
        )
        return self.respond_page(s.SuggestionSerializer, qs)

    @extend_schema(responses=s.SuggestionSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(
            s.SuggestionSerializer, selectors.suggestion_get(user=request.user, pk=pk)
        )

    @extend_schema(request=None, responses=s.SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: int) -> Response:
        """Apply the change (through the customers' or deals' service), then mark it confirmed."""
        suggestion = selectors.suggestion_get(user=request.user, pk=pk)
        suggestion = services.suggestion_confirm(
            actor=request.user, suggestion=suggestion, source=SOURCE
        )
        return self.respond(s.SuggestionSerializer, suggestion)

    @extend_schema(request=None, responses=s.SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: int) -> Response:
        suggestion = selectors.suggestion_get(user=request.user, pk=pk)
        suggestion = services.suggestion_dismiss(
            actor=request.user, suggestion=suggestion, source=SOURCE
        )
        return self.respond(s.SuggestionSerializer, suggestion)


class SuggestionRuleViewSet(ApiViewSet):
    """The keyword rules (Perm.CONFIG_MANAGE)."""

    queryset = KeywordRule.objects.none()  # schema introspection only
    serializer_class = s.SuggestionRuleSerializer
    http_method_names = ["get", "post", "patch", "delete", "head"]
    required_perms = {
        "list": Perm.CONFIG_MANAGE,
        "retrieve": Perm.CONFIG_MANAGE,
        "create": Perm.CONFIG_MANAGE,
        "partial_update": Perm.CONFIG_MANAGE,
        "destroy": Perm.CONFIG_MANAGE,
    }
    pagination_class = None

    @extend_schema(responses=s.SuggestionRuleSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(s.SuggestionRuleSerializer(selectors.rule_list(), many=True).data)

    @extend_schema(responses=s.SuggestionRuleSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.SuggestionRuleSerializer, selectors.rule_get(pk=pk))

    @extend_schema(request=s.SuggestionRuleSerializer, responses={201: s.SuggestionRuleSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.SuggestionRuleSerializer)
        rule = services.rule_save(actor=request.user, rule=None, data=data, source=SOURCE)
        return self.respond(s.SuggestionRuleSerializer, rule, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.SuggestionRuleSerializer, responses=s.SuggestionRuleSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        rule = selectors.rule_get(pk=pk)
        data = self.parse(s.SuggestionRuleSerializer, partial=True)
        rule = services.rule_save(actor=request.user, rule=rule, data=data, source=SOURCE)
        return self.respond(s.SuggestionRuleSerializer, rule)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: int) -> Response:
        services.rule_delete(actor=request.user, rule=selectors.rule_get(pk=pk), source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router: DefaultRouter) -> None:
    router.register("suggestions", SuggestionViewSet, basename="suggestion")
    router.register("suggestion-rules", SuggestionRuleViewSet, basename="suggestion-rule")
