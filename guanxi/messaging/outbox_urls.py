from django.urls import path

from guanxi.messaging import outbox_views as views

app_name = "outbox"
urlpatterns = [
    path("", views.outbox_list, name="list"),
    path("<int:pk>/", views.outbox_detail, name="detail"),
    path("<int:pk>/retry/", views.outbox_retry, name="retry"),
    path("<int:pk>/cancel/", views.outbox_cancel, name="cancel"),
    path("<int:pk>/message.eml", views.outbox_eml, name="eml"),
    path("send/<int:customer_pk>/<str:channel>/", views.send, name="send"),
]
