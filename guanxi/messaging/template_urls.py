from django.urls import path  # noqa: F401

app_name = "message_templates"
urlpatterns: list = []
