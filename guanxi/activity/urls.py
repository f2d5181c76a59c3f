from django.urls import path

from guanxi.core.stub import placeholder

app_name = "activity"
urlpatterns = [
    path("", placeholder, name="list"),
]
