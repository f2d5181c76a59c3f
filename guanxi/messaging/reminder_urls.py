from django.urls import path

from guanxi.messaging import reminder_views as views

app_name = "reminders"
urlpatterns = [
    path("", views.policy_list, name="list"),
    path("new/", views.policy_edit, name="create"),
    path("<int:pk>/", views.policy_edit, name="edit"),
    path("<int:pk>/deactivate/", views.policy_deactivate, name="deactivate"),
    path("preferences/", views.preferences, name="preferences"),
]
