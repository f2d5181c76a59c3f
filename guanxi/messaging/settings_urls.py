from django.urls import path  # noqa: F401

app_name = "messaging_settings"
urlpatterns: list = []
