"""REST API for deals, pipeline stages and orders (/api/v1/)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.deals import selectors
from guanxi.deals import serializers as s
from guanxi.deals.forms import month_start
from guanxi.deals.models import Deal, DealStage, Order
from guanxi.deals.order_sync import orders_upsert
from guanxi.deals.services import deal_create, deal_delete, deal_move, deal_update


class DealViewSet(ApiViewSet):
    """Deals of customers in the caller's scope; writes need deal.edit."""

    queryset = Deal.objects.none()  # schema introspection only; data comes from selectors
    serializer_class = s.DealSerializer
    http_method_names = ["get", "post", "patch", "delete", "head"]
    required_perms = {
        "list": Perm.CUSTOMER_VIEW,
        "retrieve": Perm.CUSTOMER_VIEW,
        "create": Perm.DEAL_EDIT,
        "partial_update": Perm.DEAL_EDIT,
        "destroy": Perm.DEAL_EDIT,
        "move": Perm.DEAL_EDIT,
    }

    @extend_schema(parameters=[s.DealQuerySerializer], responses=s.DealSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.DealQuerySerializer)
        filters = selectors.DealFilters(
            owner_id=params.get("owner"),
            team_id=params.get("team"),
            close_month=month_start(params.get("close_month", "")),
            stage_id=params["stage"].pk if params.get("stage") else None,
            status=params.get("status", ""),
            customer_id=params.get("customer"),
            search=params.get("search", ""),
        )
        qs = selectors.deal_list(user=request.user, filters=filters)
        qs = qs.select_related("customer", "stage", "owner").order_by("-id")
        return self.respond_page(s.DealSerializer, qs)

    @extend_schema(responses=s.DealSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.DealSerializer, selectors.deal_get(user=request.user, pk=pk))

    @extend_schema(request=s.DealCreateSerializer, responses={201: s.DealSerializer})
    def create(self, request: Request) -> Response:
        data = self.parse(s.DealCreateSerializer)
        customer = data.pop("customer")
        deal = deal_create(actor=request.user, customer=customer, data=data, source=SOURCE)
        deal = selectors.deal_get(user=request.user, pk=deal.pk)
        return self.respond(s.DealSerializer, deal, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=s.DealUpdateSerializer, responses=s.DealSerializer)
    def partial_update(self, request: Request, pk: int) -> Response:
        deal = selectors.deal_get(user=request.user, pk=pk)
        data = self.parse(s.DealUpdateSerializer, partial=True)
        deal_update(actor=request.user, deal=deal, data=data, source=SOURCE)
        return self.respond(s.DealSerializer, selectors.deal_get(user=request.user, pk=pk))

    def destroy(self, request: Request, pk: int) -> Response:
        deal = selectors.deal_get(user=request.user, pk=pk)
        deal_delete(actor=request.user, deal=deal, source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=s.DealMoveSerializer, responses=s.DealSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: int) -> Response:
        """Move the deal to another stage (id or code); a lost stage needs a reason."""
        deal = selectors.deal_get(user=request.user, pk=pk)
        data = self.parse(s.DealMoveSerializer)
        deal_move(
            actor=request.user,
            deal=deal,
            stage=data["stage"],
            reason=data.get("reason", ""),
            closed_on=data.get("closed_on"),
            source=SOURCE,
        )
        return self.respond(s.DealSerializer, selectors.deal_get(user=request.user, pk=pk))


class DealStageViewSet(ApiViewSet):
    """The pipeline's stages in board order (administrators change them in the UI)."""

    queryset = DealStage.objects.none()
    serializer_class = s.StageSerializer
    http_method_names = ["get", "head"]
    pagination_class = None
    required_perms = {"list": Perm.CUSTOMER_VIEW, "retrieve": Perm.CUSTOMER_VIEW}

    @extend_schema(responses=s.StageSerializer(many=True))
    def list(self, request: Request) -> Response:
        stages = selectors.stage_list(active_only=False)
        return Response(s.StageSerializer(stages, many=True).data)

    @extend_schema(responses=s.StageSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.StageSerializer, selectors.stage_get(pk=pk))


BULK_EXAMPLE = [
    {
        "source": "erp",
        "external_id": "SO-2024-0001",
        "customer_code": "C20240501001",
        "ordered_at": "2024-05-01T10:30:00+08:00",
        "amount": "1999.00",
        "status": "paid",
        "items_summary": "智能门锁 ×2",
    },
    {
        "source": "shop",
        "external_id": "T88231",
        "customer_phone": "138 1234 5678",
        "ordered_at": "2024-05-02",
        "amount": 299,
        "status": "completed",
    },
]


class OrderViewSet(ApiViewSet):
    """Orders of customers in the caller's scope; `bulk` upserts a batch from another system."""

    queryset = Order.objects.none()
    serializer_class = s.OrderSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {
        "list": Perm.CUSTOMER_VIEW,
        "retrieve": Perm.CUSTOMER_VIEW,
        "bulk": Perm.ORDER_SYNC,
    }

    @extend_schema(parameters=[s.OrderQuerySerializer], responses=s.OrderSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.OrderQuerySerializer)
        filters = selectors.OrderFilters(
            customer_id=params.get("customer"),
            source=params.get("source", ""),
            status=params.get("status", ""),
            since=params.get("since"),
            until=params.get("until"),
        )
        return self.respond_page(
            s.OrderSerializer, selectors.order_list(user=request.user, filters=filters)
        )

    @extend_schema(responses=s.OrderSerializer)
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.OrderSerializer, selectors.order_get(user=request.user, pk=pk))

    @extend_schema(
        request=s.OrderInSerializer(many=True),
        responses={200: s.OrderResultSerializer(many=True)},
        examples=[OpenApiExample("Two orders", value=BULK_EXAMPLE, request_only=True)],
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request: Request) -> Response:
        """Create or update up to 1,000 orders by (source, external_id). Answers 200 with one
        result per item, in order: created, updated, unchanged or error (with its errors); a
        bad item never rejects the others. More than 1,000 items: 400, nothing written."""
        results = orders_upsert(actor=request.user, items=request.data, source=SOURCE)
        return Response(results)


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("deals", DealViewSet, basename="deal")
    router.register("deal-stages", DealStageViewSet, basename="deal-stage")
    router.register("orders", OrderViewSet, basename="order")
