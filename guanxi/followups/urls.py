from django.urls import path

from guanxi.followups import review_views, views
from guanxi.followups.plans import calendar_views
from guanxi.followups.plans import views as plan_views
from guanxi.followups.suggestions import views as suggestion_views

app_name = "followups"
urlpatterns = [
    path("", views.followup_list, name="list"),
    path("record/<int:customer_pk>/", views.followup_record, name="record"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/", views.task_detail, name="task_detail"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    # Maintenance plans (维护计划)
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/new/", plan_views.plan_create, name="plan_create"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/submit/", plan_views.plan_submit, name="plan_submit"),
    path("plans/<int:pk>/approve/", plan_views.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/reject/", plan_views.plan_reject, name="plan_reject"),
    path("plans/<int:pk>/delete/", plan_views.plan_delete, name="plan_delete"),
    path("plans/templates/<slug:key>/apply/", plan_views.template_apply, name="plan_template"),
    # Calendar
    path("calendar/", calendar_views.calendar_page, name="calendar"),
    path("calendar/tasks/<int:pk>/move/", calendar_views.task_move, name="task_move"),
    # Follow-up review (跟进审核)
    path("review/", review_views.review_page, name="review"),
    path("<int:pk>/review/", review_views.followup_review, name="followup_review"),
    # Status suggestions (seed 003)
    path("suggestions/", suggestion_views.suggestion_list, name="suggestions"),
    path(
        "suggestions/customer/<int:customer_pk>/",
        suggestion_views.customer_suggestions,
        name="customer_suggestions",
    ),
    path(
        "suggestions/<int:pk>/confirm/",
        suggestion_views.suggestion_confirm,
        name="suggestion_confirm",
    ),
    path(
        "suggestions/<int:pk>/dismiss/",
        suggestion_views.suggestion_dismiss,
        name="suggestion_dismiss",
    ),
    path("suggestions/rules/", suggestion_views.rule_list, name="suggestion_rules"),
    path("suggestions/rules/new/", suggestion_views.rule_edit, name="suggestion_rule_create"),
    path("suggestions/rules/<int:pk>/", suggestion_views.rule_edit, name="suggestion_rule_edit"),
    path(
        "suggestions/rules/<int:pk>/delete/",
        suggestion_views.rule_delete,
        name="suggestion_rule_delete",
    ),
]
