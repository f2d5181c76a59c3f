from django.urls import path

from guanxi.configuration import views

app_name = "configuration"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("fields/new/", views.field_edit, name="field_create"),
    path("fields/<int:pk>/", views.field_edit, name="field_edit"),
    path("fields/<int:pk>/delete/", views.field_delete, name="field_delete"),
    path("tags/<int:pk>/", views.tag_edit, name="tag_edit"),
    path("tags/<int:pk>/delete/", views.tag_delete, name="tag_delete"),
    path("<str:kind>/new/", views.choice_edit, name="choice_create"),
    path("<str:kind>/<int:pk>/", views.choice_edit, name="choice_edit"),
    path("<str:kind>/<int:pk>/delete/", views.choice_delete, name="choice_delete"),
]
