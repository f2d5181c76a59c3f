from django.urls import path

from guanxi.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
]
