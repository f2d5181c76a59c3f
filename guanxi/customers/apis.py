"""REST API for customers, contacts and tags (/api/v1/)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.core.errors import ConflictError
from guanxi.customers import serializers as s
from guanxi.customers.merging import merged_survivor_id
from guanxi.customers.models import Contact, Customer, Tag
from guanxi.customers.selectors import (
    CustomerFilters,
    contact_get,
    contact_list,
    customer_get,
    customer_list,
    customer_row_get,
    customer_rows,
    rows_with_contacts_and_tags,
    tag_list,
)
from guanxi.customers.services import (
    contact_create,
    contact_delete,
    contact_reveal,
    contact_update,
    customer_create,
    customer_delete,
    customer_update,
    tag_create,
)

_IF_MATCH = re.compile(r'^\s*(?:W/)?"?(\d+)"?\s*$')

IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=gettext_lazy('The version you last read, as the ETag gives it ("3"). Stale → 409.'),
)


def _etag(customer: Customer | dict) -> dict[str, str]:
    version = customer["version"] if isinstance(customer, dict) else customer.version
    return {"ETag": f'"{version}"'}


def _expected_version(request: Request, body_version: int | None) -> int | None:
    """The version the caller last read: `version` in the body, else the If-Match header."""
    if body_version is not None:
        return body_version
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    match = _IF_MATCH.match(header)
    if match is None:
        raise ValidationError(
            {"version": [_('If-Match must be the version you last read, like "3".')]}
        )
    return int(match.group(1))


def _filters(params: dict[str, Any]) -> CustomerFilters:
    return CustomerFilters(
        search=params.get("search", ""),
        industry=[industry.pk for industry in params.get("industry", [])],
        province=params.get("province", ""),
        city=params.get("city", ""),
        level=[level.pk for level in params.get("level", [])],
        intent=params.get("intent", []),
        stage=params.get("stage", []),
        tag=params.get("tag", []),
        owner=params.get("owner", []),
        team=params.get("team", []),
        source=params.get("source", []),
        last_contact_from=params.get("last_contact_from"),
        last_contact_to=params.get("last_contact_to"),
        created_from=params.get("created_from"),
        created_to=params.get("created_to"),
        no_owner=params.get("no_owner", False),
        sort=params.get("sort", "newest"),
    )


class CustomerViewSet(ApiViewSet):
    queryset = Customer.objects.none()  # schema introspection only; data comes from selectors
    serializer_class = s.CustomerSerializer
    http_method_names = ["get", "post", "put", "patch", "delete", "head"]
    required_perms = {
        "list": Perm.CUSTOMER_VIEW,
        "retrieve": Perm.CUSTOMER_VIEW,
        "create": Perm.CUSTOMER_CREATE,
        "partial_update": Perm.CUSTOMER_EDIT,
        "destroy": Perm.CUSTOMER_DELETE,
    }

    @extend_schema(parameters=[s.CustomerQuerySerializer], responses=s.CustomerSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.CustomerQuerySerializer)
        qs = customer_list(user=request.user, filters=_filters(params))
        page = rows_with_contacts_and_tags(self.paginate_queryset(customer_rows(qs)))
        context = self.get_serializer_context()
        return self.get_paginated_response(
            s.CustomerSerializer(page, many=True, context=context).data
        )

    @extend_schema(responses=s.CustomerSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        row = customer_row_get(user=request.user, pk=pk)
        return self.respond(s.CustomerSerializer, row, headers=_etag(row))

    @extend_schema(request=s.CustomerCreateSerializer, responses={201: s.CustomerSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.CustomerCreateSerializer)
        customer = customer_create(actor=request.user, data=data, source=SOURCE)
        return self.respond(
            s.CustomerSerializer,
            customer,
            status_code=status.HTTP_201_CREATED,
            headers=_etag(customer),
        )

    @extend_schema(
        request=s.CustomerUpdateSerializer,
        responses={
            200: s.CustomerSerializer,
            409: OpenApiResponse(description=gettext_lazy("Stale version.")),
        },
        parameters=[IF_MATCH_PARAMETER],
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        customer = customer_get(user=request.user, pk=pk)
        data = self.parse(s.CustomerUpdateSerializer, partial=True)
        expected = _expected_version(request, data.pop("version", None))
        customer = customer_update(
            actor=request.user,
            customer=customer,
            data=data,
            expected_version=expected,
            source=SOURCE,
        )
        return self.respond(s.CustomerSerializer, customer, headers=_etag(customer))

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: int) -> Response:
        customer = customer_get(user=request.user, pk=pk)
        customer_delete(actor=request.user, customer=customer, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.CustomerUpsertSerializer,
        responses={200: s.CustomerSerializer, 201: s.CustomerSerializer},
        description=gettext_lazy(
            "For integrations: create the customer with this external_source + external_id, "
            "or update the one that has it (201 created, 200 updated). Fields left out are "
            "left as they are."
        ),
    )
    @action(detail=False, methods=["put", "post"], url_path="upsert")
    def upsert(self, request: Request) -> Response:
        data = self.parse(s.CustomerUpsertSerializer)
        existing = self._by_external_id(data)
        if existing is None:
            try:
                customer = customer_create(actor=request.user, data=data, source=SOURCE)
            except ConflictError:
                # Another request created it a moment ago: update that one instead.
                existing = self._by_external_id(data)
                if existing is None:
                    raise
            else:
                return self.respond(
                    s.CustomerSerializer,
                    customer,
                    status_code=status.HTTP_201_CREATED,
                    headers=_etag(customer),
                )
        customer = customer_update(actor=request.user, customer=existing, data=data, source=SOURCE)
        return self.respond(s.CustomerSerializer, customer, headers=_etag(customer))

    def _by_external_id(self, data: dict[str, Any]) -> Customer | None:
        scoped = customer_list(user=self.request.user)
        found = scoped.filter(
            external_source=data["external_source"], external_id=data["external_id"]
        ).first()
        if found is None:
            # A customer merged away: its external id leads to the survivor, which keeps its
            # own external id (customers.merging, docs/data-quality.md).
            survivor_id = merged_survivor_id(
                external_source=data["external_source"], external_id=data["external_id"]
            )
            found = scoped.filter(pk=survivor_id).first() if survivor_id else None
            if found is not None:
                data.pop("external_source", None)
                data.pop("external_id", None)
        return found


class ContactViewSet(ApiViewSet):
    queryset = Contact.objects.none()  # schema introspection only
    serializer_class = s.ContactSerializer
    http_method_names = ["get", "post", "patch", "delete", "head"]
    required_perms = {
        "list": Perm.CUSTOMER_VIEW,
        "retrieve": Perm.CUSTOMER_VIEW,
        "create": Perm.CUSTOMER_EDIT,
        "partial_update": Perm.CUSTOMER_EDIT,
        "destroy": Perm.CUSTOMER_EDIT,
    }

    @extend_schema(parameters=[s.ContactQuerySerializer], responses=s.ContactSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.ContactQuerySerializer)
        qs = contact_list(
            user=request.user, customer_id=params.get("customer"), search=params.get("search", "")
        )
        return self.respond_page(s.ContactSerializer, qs)

    @extend_schema(responses=s.ContactSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.ContactSerializer, contact_get(user=request.user, pk=pk))

    @extend_schema(request=s.ContactCreateSerializer, responses={201: s.ContactSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.ContactCreateSerializer)
        customer = data.pop("customer")
        contact = contact_create(actor=request.user, customer=customer, data=data, source=SOURCE)
        return self.respond(s.ContactSerializer, contact, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.ContactUpdateSerializer, responses=s.ContactSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        contact = contact_get(user=request.user, pk=pk)
        data = self.parse(s.ContactUpdateSerializer, partial=True)
        contact = contact_update(actor=request.user, contact=contact, data=data, source=SOURCE)
        return self.respond(s.ContactSerializer, contact)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, pk: int) -> Response:
        contact = contact_get(user=request.user, pk=pk)
        contact_delete(actor=request.user, contact=contact, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=s.RevealSerializer,
        responses=s.RevealedSerializer,
        description=gettext_lazy(
            "Show one masked phone or email in full. Every reveal is audited."
        ),
    )
    @action(detail=True, methods=["post"])
    def reveal(self, request: Request, pk: int) -> Response:
        contact = contact_get(user=request.user, pk=pk)
        field = self.parse(s.RevealSerializer)["field"]
        value = contact_reveal(actor=request.user, contact=contact, field=field, source=SOURCE)
        return Response({"field": field, "value": value})


class TagViewSet(ApiViewSet):
    queryset = Tag.objects.none()  # schema introspection only
    serializer_class = s.TagSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {"create": Perm.CUSTOMER_EDIT}

    @extend_schema(parameters=[s.TagQuerySerializer], responses=s.TagSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.TagQuerySerializer)
        qs = tag_list(user=request.user)
        if params.get("search"):
            qs = qs.filter(name__icontains=params["search"])
        return self.respond_page(s.TagSerializer, qs.order_by("name"))

    @extend_schema(
        request=s.TagCreateSerializer,
        responses={201: s.TagSerializer, 200: s.TagSerializer},
        description=gettext_lazy("Create a tag, or return the existing one with that name (200)."),
    )
    def create(self, request: Request) -> Response:
        name = self.parse(s.TagCreateSerializer)["name"]
        tag, created = tag_create(actor=request.user, name=name, source=SOURCE)
        return self.respond(
            s.TagSerializer, tag, status_code=status.HTTP_201_CREATED if created else 200
        )
