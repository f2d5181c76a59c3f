"""The shape every API view set shares: parse → service/selector → respond.

Views stay thin: serializers check types, services and selectors decide everything else.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from django.utils import translation
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.viewsets import GenericViewSet

from guanxi.accounts.permissions import Perm, require_perm
from guanxi.activity.models import Source

SOURCE = Source.API
_PAGING_PARAMS = {"cursor", "page_size"}
_EMPTY_QUERIES: dict[type, dict[str, Any]] = {}


class ActionPermission(BasePermission):
    """The permission an action needs, declared on the view set as `required_perms`.

    Checked before any lookup, so a refusal never tells whether the record exists.
    Raises rather than returning False so the reason reaches the caller in their language.
    """

    def has_permission(self, request, view) -> bool:
        perm = getattr(view, "required_perms", {}).get(getattr(view, "action", None))
        if perm is not None:
            require_perm(request.user, perm)
        return True


class ApiViewSet(GenericViewSet):
    permission_classes = [IsAuthenticated, ActionPermission]
    # Selectors filter and order; a query serializer validates the parameters first.
    filter_backends: ClassVar[list] = []
    lookup_value_converter = "int"
    # The OpenAPI schema describes each endpoint; DRF's OPTIONS metadata would describe the
    # output serializer as if it were the input, and fails on list-level PUT actions.
    metadata_class = None
    required_perms: ClassVar[dict[str, Perm]] = {}

    def perform_authentication(self, request) -> None:
        """A token caller is known only here, after LocaleMiddleware chose the language from
        Accept-Language. Without that header the user's own language choice applies, as it
        does in the web UI; an explicit Accept-Language from an integration still wins."""
        super().perform_authentication(request)
        language = getattr(request.user, "language", "")
        if language and "HTTP_ACCEPT_LANGUAGE" not in request.META:
            translation.activate(language)
            request.LANGUAGE_CODE = language

    def parse(
        self, serializer_class: type[BaseSerializer], *, data: Any = None, partial: bool = False
    ) -> dict[str, Any]:
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            partial=partial,
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def parse_query(self, serializer_class: type[BaseSerializer]) -> dict[str, Any]:
        params = self.request.query_params
        if params.keys() <= _PAGING_PARAMS:
            # Nothing to check (an integration paging through everything): the parsed form
            # of an empty query never changes, and building a DRF serializer costs ~1 ms.
            empty = _EMPTY_QUERIES.get(serializer_class)
            if empty is None:
                empty = _EMPTY_QUERIES[serializer_class] = self.parse(serializer_class, data={})
            return copy.deepcopy(empty)
        return self.parse(serializer_class, data=params)

    def respond(
        self,
        serializer_class: type[BaseSerializer],
        instance: Any,
        *,
        status_code: int = status.HTTP_200_OK,
        headers: dict[str, str] | None = None,
    ) -> Response:
        data = serializer_class(instance, context=self.get_serializer_context()).data
        return Response(data, status=status_code, headers=headers)

    def respond_page(self, serializer_class: type[BaseSerializer], queryset) -> Response:
        page = self.paginate_queryset(queryset)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)
