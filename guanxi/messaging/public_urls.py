from django.urls import path

from guanxi.messaging import public_views

app_name = "messaging_public"
urlpatterns = [
    path("o/<str:token>/<str:sig>.gif", public_views.open_pixel, name="open"),
    path("c/<str:token>/<int:index>/<str:sig>/", public_views.click, name="click"),
    path("u/<str:token>/<str:sig>/", public_views.unsubscribe, name="unsubscribe"),
    path("inbound/mail/<str:key>/", public_views.inbound_mail, name="inbound_mail"),
    path("inbound/sms/<str:key>/", public_views.inbound_sms, name="inbound_sms"),
]
