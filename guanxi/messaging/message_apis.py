"""REST API for email and SMS messages (/api/v1/messages/): list, read, send, retry, cancel."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.core.errors import ApplicationError, ConflictError
from guanxi.customers.selectors import customer_get
from guanxi.messaging import message_selectors as ms
from guanxi.messaging import message_serializers as s
from guanxi.messaging import sending
from guanxi.messaging.models import Message, MessageTemplate

ERROR = OpenApiResponse(description=gettext_lazy('{"detail": …, "errors": {field: […]}}'))


class MessageViewSet(ApiViewSet):
    """Messages of the customers the caller may see (and their own messages to no customer)."""

    queryset = Message.objects.none()  # schema introspection only; data from selectors
    serializer_class = s.MessageSerializer
    http_method_names = ["get", "post", "head"]
    # Sending (or stopping a send) contacts a customer, as recording a follow-up does.
    required_perms = {
        "create": Perm.FOLLOWUP_RECORD,
        "retry": Perm.FOLLOWUP_RECORD,
        "cancel": Perm.FOLLOWUP_RECORD,
    }

    @extend_schema(parameters=[s.MessageQuerySerializer], responses=s.MessageSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.MessageQuerySerializer)
        qs = ms.message_list(
            user=request.user, status=params.get("status"), channel=params.get("channel"),
            customer_id=params.get("customer"), category=params.get("category"),
            q=params.get("q"),
        )  # fmt: skip
        return self.respond_page(s.MessageSerializer, qs)

    @extend_schema(responses={200: s.MessageDetailSerializer, 404: ERROR})
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.MessageDetailSerializer, ms.message_get(user=request.user, pk=pk))

    @extend_schema(
        request=s.MessageSendSerializer,
        responses={
            201: s.MessageDetailSerializer,
            200: OpenApiResponse(
                s.MessageDetailSerializer,
                description=gettext_lazy("The idempotency key was used before: that message."),
            ),
            400: ERROR,
            404: ERROR,
            409: ERROR,
        },
    )
    def create(self, request: Request) -> Response:
        data = self.parse(s.MessageSendSerializer)
        # Keys are per caller: one integration cannot take (or see) another's key, nor one
        # that automation uses for its own sends.
        key = f"api:{request.user.pk}:{data['idempotency_key']}" if data["idempotency_key"] else ""
        if key:
            existing = ms.message_by_idempotency_key(key=key)
            if existing is not None:
                if not ms.message_list(user=request.user).filter(pk=existing.pk).exists():
                    raise ConflictError(_("This idempotency key was used for another message."))
                return self.respond(s.MessageDetailSerializer, existing)
        customer = customer_get(user=request.user, pk=data["customer"])
        template = self._template(data["template"], channel=data["channel"])
        message = sending.message_queue(
            actor=request.user, channel=data["channel"], customer=customer, template=template,
            recipient=data["recipient"], params=data["params"], idempotency_key=key,
            source=SOURCE,
        )  # fmt: skip
        return self.respond(s.MessageDetailSerializer, message, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: s.MessageDetailSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: int) -> Response:
        message = ms.message_get(user=request.user, pk=pk)
        message = sending.message_retry(actor=request.user, message=message)
        return self.respond(s.MessageDetailSerializer, message)

    @extend_schema(request=None, responses={200: s.MessageDetailSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: int) -> Response:
        message = ms.message_get(user=request.user, pk=pk)
        message = sending.message_cancel(actor=request.user, message=message)
        return self.respond(s.MessageDetailSerializer, message)

    @staticmethod
    def _template(ref: str, *, channel: str) -> MessageTemplate:
        template = ms.template_find(ref=ref)
        if template is None:
            problem = _("No active template with this id or key.")
        elif template.channel != channel:
            problem = _("This template is for another channel.")
        else:
            return template
        raise ApplicationError(problem, errors={"template": [problem]})


def register(router: DefaultRouter) -> None:
    router.register("messages", MessageViewSet, basename="message")
