"""REST API of the quality app, registered on /api/v1/ by `register`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.customers.merging import customers_merge
from guanxi.customers.serializers import CustomerSerializer
from guanxi.quality import selectors, services
from guanxi.quality import serializers as s
from guanxi.quality.models import DuplicateGroup
from guanxi.quality.tasks import refresh_duplicates


def _group_payload(group: DuplicateGroup, members: list) -> dict:
    return {
        "id": group.pk,
        "score": group.score,
        "reasons": group.reasons,
        "computed_at": group.computed_at,
        "customers": members,
    }


class DuplicateGroupViewSet(ApiViewSet):
    queryset = DuplicateGroup.objects.none()  # schema introspection only
    serializer_class = s.DuplicateGroupSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {
        "list": Perm.CUSTOMER_VIEW,
        "retrieve": Perm.CUSTOMER_VIEW,
        "dismiss": Perm.CUSTOMER_MERGE,
        "refresh": Perm.CUSTOMER_MERGE,
    }

    def _respond_groups(self, groups: list[DuplicateGroup]) -> list[dict]:
        members = selectors.group_members(user=self.request.user, groups=groups)
        payload = [_group_payload(g, members.get(g.pk, [])) for g in groups]
        return s.DuplicateGroupSerializer(
            payload, many=True, context=self.get_serializer_context()
        ).data

    @extend_schema(parameters=[s.DuplicateQuerySerializer], responses=s.DuplicateGroupSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.DuplicateQuerySerializer)
        qs = selectors.duplicate_groups(user=request.user, min_score=params.get("min_score", 0))
        page = list(self.paginate_queryset(qs))
        return self.get_paginated_response(self._respond_groups(page))

    @extend_schema(responses=s.DuplicateGroupSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        group = selectors.duplicate_group_get(user=request.user, pk=pk)
        return Response(self._respond_groups([group])[0])

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: int) -> Response:
        """Not duplicates: remembered, audited; the finder never suggests these pairs again."""
        group = selectors.duplicate_group_get(user=request.user, pk=pk)
        services.duplicate_group_dismiss(actor=request.user, group=group, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: s.RefreshSerializer})
    @action(detail=False, methods=["post"])
    def refresh(self, request: Request) -> Response:
        """Start a new scan in the background (it also runs every night)."""
        result = refresh_duplicates.enqueue()
        return Response({"task_id": str(result.id)}, status=status.HTTP_202_ACCEPTED)


class MergeViewSet(ApiViewSet):
    queryset = DuplicateGroup.objects.none()  # schema introspection only
    serializer_class = s.MergeSerializer
    http_method_names = ["post"]
    required_perms = {"create": Perm.CUSTOMER_MERGE}

    @extend_schema(
        request=s.MergeSerializer,
        responses={
            200: CustomerSerializer,
            404: OpenApiResponse(description="A customer is not found or not yours."),
            409: OpenApiResponse(description="Stale version."),
        },
        description=(
            "Merge `others` into `survivor` in one transaction: per field the chosen value, "
            "contacts (same phone/email folded), follow-ups, tasks, files, tags and history "
            "moved; the others are removed. Returns the survivor."
        ),
    )
    def create(self, request: Request) -> Response:
        data = self.parse(s.MergeSerializer)
        customers = selectors.merge_customers(
            user=request.user, ids=[data["survivor"], *data["others"]]
        )
        survivor = customers_merge(
            actor=request.user,
            survivor=customers[0],
            others=customers[1:],
            field_choices=data.get("field_choices"),
            expected_version=data.get("version"),
            source=SOURCE,
        )
        return self.respond(CustomerSerializer, survivor)


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("duplicates", DuplicateGroupViewSet, basename="duplicate")
    router.register("merges", MergeViewSet, basename="merge")
