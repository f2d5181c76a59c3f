from django.urls import path

from guanxi.messaging import template_views as views

app_name = "message_templates"
urlpatterns = [
    path("", views.template_list, name="list"),
    path("new/", views.template_create, name="create"),
    path("preview/", views.template_preview, name="draft_preview"),
    path("<int:pk>/", views.template_detail, name="detail"),
    path("<int:pk>/versions/<int:number>/", views.template_detail, name="version"),
    path("<int:pk>/edit/", views.template_edit, name="edit"),
    path("<int:pk>/preview/", views.template_preview, name="preview"),
    path("<int:pk>/test/", views.template_send_test, name="send_test"),
    path("<int:pk>/active/", views.template_set_active, name="set_active"),
]
