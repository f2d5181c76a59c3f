"""/api/: the v1 resources, the OpenAPI schema and the interactive docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from guanxi.accounts.apis import TokenViewSet, UserViewSet
from guanxi.activity.apis import ActivityViewSet
from guanxi.api.schema import DocsView
from guanxi.automation.apis import register as register_automation
from guanxi.customers.apis import ContactViewSet, CustomerViewSet, TagViewSet
from guanxi.deals.apis import register as register_deals
from guanxi.exports.apis import register as register_exports
from guanxi.followups.apis import FollowUpViewSet, TaskViewSet
from guanxi.followups.plans.apis import register as register_plans
from guanxi.followups.suggestions.apis import register as register_suggestions
from guanxi.imports.apis import register as register_imports
from guanxi.messaging.apis import register as register_messaging
from guanxi.quality.apis import register as register_quality

v1 = DefaultRouter(use_regex_path=False)
v1.include_format_suffixes = False  # one renderer (JSON): no .json URLs to document
v1.register("customers", CustomerViewSet, basename="customer")
v1.register("contacts", ContactViewSet, basename="contact")
v1.register("tags", TagViewSet, basename="tag")
v1.register("followups", FollowUpViewSet, basename="followup")
v1.register("tasks", TaskViewSet, basename="task")
v1.register("users", UserViewSet, basename="user")
v1.register("tokens", TokenViewSet, basename="token")
v1.register("activity", ActivityViewSet, basename="activity")
register_imports(v1)
register_exports(v1)
register_quality(v1)
register_messaging(v1)
register_automation(v1)
register_deals(v1)
register_plans(v1)
register_suggestions(v1)

app_name = "api"
urlpatterns = [
    # Names: api:v1:customer-list, api:v1:customer-detail, …
    path("v1/", include((v1.urls, "v1"))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(), name="docs"),
]
