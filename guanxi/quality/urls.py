from django.urls import path

from guanxi.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("checks/<slug:slug>/", views.check_list, name="check"),
    path("checks/<slug:slug>/count/", views.check_count, name="check_count"),
    path("assign-owner/", views.assign_owner, name="assign_owner"),
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("duplicates/count/", views.duplicates_count, name="duplicates_count"),
    path("duplicates/refresh/", views.duplicates_refresh, name="duplicates_refresh"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="dismiss"),
    path("customers/<int:pk>/duplicates/", views.customer_duplicates, name="customer_duplicates"),
    path("merge/", views.merge, name="merge"),
]
