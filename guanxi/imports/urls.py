from django.urls import path

from guanxi.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.job_list, name="list"),
    path("new/", views.job_new, name="new"),
    path("template/", views.template_download, name="template"),
    path("<int:pk>/", views.job_detail, name="detail"),
    path("<int:pk>/mapping/", views.job_mapping, name="mapping"),
    path("<int:pk>/start/", views.job_start, name="start"),
    path("<int:pk>/undo/", views.job_undo, name="undo"),
    path("<int:pk>/error-report/", views.error_report, name="error_report"),
]
