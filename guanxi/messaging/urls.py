from django.urls import path

from guanxi.core.stub import placeholder

app_name = "messaging"
urlpatterns = [
    path("", placeholder, name="list"),
    path("bell/", placeholder, name="bell"),
]
