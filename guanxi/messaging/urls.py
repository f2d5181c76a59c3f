from django.urls import path

from guanxi.messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.bell, name="bell"),
    path("read-all/", views.mark_all_read, name="read_all"),
    path("<int:pk>/read/", views.mark_read, name="read"),
    path("<int:pk>/open/", views.open_notification, name="open"),
    path("calendar/", views.calendar_settings, name="calendar"),
    path("calendar/<str:key>.ics", views.calendar_feed, name="calendar_feed"),
]
