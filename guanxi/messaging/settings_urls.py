from django.urls import path

from guanxi.messaging import settings_views

app_name = "messaging_settings"
urlpatterns = [
    path("", settings_views.settings_page, name="page"),
    path("inbound/<str:kind>/", settings_views.endpoint_action, name="endpoint"),
    path(
        "suppressions/<int:pk>/remove/",
        settings_views.suppression_remove,
        name="suppression_remove",
    ),
]
