from django.urls import path

from guanxi.core.stub import placeholder

app_name = "accounts"
urlpatterns = [
    path("login/", placeholder, name="login"),
    path("logout/", placeholder, name="logout"),
    path("profile/", placeholder, name="profile"),
    path("tokens/", placeholder, name="tokens"),
    path("users/", placeholder, name="users"),
    path("roles/", placeholder, name="roles"),
]
