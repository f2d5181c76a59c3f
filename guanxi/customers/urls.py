from django.urls import path

from guanxi.core.stub import placeholder

app_name = "customers"
urlpatterns = [
    path("", placeholder, name="list"),
    path("new/", placeholder, name="create"),
    path("<int:pk>/", placeholder, name="detail"),
]
