from django.urls import path

from guanxi.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.followup_list, name="list"),
    path("record/<int:customer_pk>/", views.followup_record, name="record"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
]
