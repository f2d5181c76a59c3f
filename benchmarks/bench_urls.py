"""The application's routes plus the baselines the load figures are compared with."""

from django.http import Http404, HttpRequest, JsonResponse
from django.urls import include, path

from guanxi.customers.models import Customer


def trivial(request: HttpRequest) -> JsonResponse:
    """The floor: Django's request/response cycle and JSON, no database."""
    return JsonResponse({"ok": True})


def customer_by_pk(request: HttpRequest, pk: int) -> JsonResponse:
    """The same primary-key lookup the API detail does, with nothing around it."""
    try:
        row = Customer.objects.values().get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc
    return JsonResponse(row)


urlpatterns = [
    path("bench/trivial/", trivial),
    path("bench/customer/<int:pk>/", customer_by_pk),
    path("", include("guanxi.urls")),
]
