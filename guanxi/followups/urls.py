from django.urls import path

from guanxi.core.stub import placeholder

app_name = "followups"
urlpatterns = [
    path("", placeholder, name="list"),
    path("tasks/", placeholder, name="tasks"),
    path("tasks/<int:pk>/", placeholder, name="task_detail"),
]
