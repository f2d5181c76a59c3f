from django.urls import path

from guanxi.core.stub import placeholder

app_name = "core"
urlpatterns = [
    path("", placeholder, name="home"),
]
