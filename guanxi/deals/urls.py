from django.urls import path

from guanxi.deals import views

app_name = "deals"
urlpatterns = [
    path("", views.board, name="board"),
    path("column/<int:stage_pk>/", views.board_column, name="column"),
    path("list/", views.deal_list, name="list"),
    path("new/", views.deal_create, name="create"),
    path("<int:pk>/", views.deal_detail, name="detail"),
    path("<int:pk>/edit/", views.deal_edit, name="edit"),
    path("<int:pk>/move/", views.deal_move, name="move"),
    path("<int:pk>/delete/", views.deal_delete, name="delete"),
    path("stages/", views.stage_list, name="stages"),
    path("stages/new/", views.stage_edit, name="stage_create"),
    path("stages/<int:pk>/", views.stage_edit, name="stage_edit"),
    path("stages/<int:pk>/delete/", views.stage_delete, name="stage_delete"),
    path("orders/", views.order_list, name="orders"),
    path("orders/import/", views.order_import, name="order_import"),
    path("orders/import/<str:token>/", views.order_import_run, name="order_import_run"),
]
