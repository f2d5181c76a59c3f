from django.urls import path

from guanxi.activity import views

app_name = "activity"
urlpatterns = [
    path("", views.audit_list, name="list"),
    path("export.csv", views.audit_export, name="export"),
]
