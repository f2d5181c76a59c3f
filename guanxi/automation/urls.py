from django.urls import path
from django.views.generic import RedirectView

from guanxi.automation.views import coupons, editor, executions, rules, settings

app_name = "automation"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="automation:rules"), name="home"),
    path("rules/", rules.rule_list, name="rules"),
    path("rules/new/", editor.rule_create, name="rule_create"),
    path("rules/dryrun/", editor.draft_dryrun, name="draft_dryrun"),
    path("rules/<int:pk>/", rules.rule_detail, name="rule"),
    path("rules/<int:pk>/edit/", editor.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/activate/", rules.rule_activate, name="rule_activate"),
    path("rules/<int:pk>/pause/", rules.rule_pause, name="rule_pause"),
    path("rules/<int:pk>/dryrun/", editor.rule_dryrun, name="rule_dryrun"),
    path("rules/<int:pk>/executions/", executions.execution_list, name="executions"),
    path("rules/<int:pk>/executions/bulk/", executions.execution_bulk, name="executions_bulk"),
    path(
        "executions/<int:pk>/retry/",
        executions.execution_act,
        {"action": "retry"},
        name="execution_retry",
    ),
    path(
        "executions/<int:pk>/skip/",
        executions.execution_act,
        {"action": "skip"},
        name="execution_skip",
    ),
    path("enroll/", rules.enroll_selected, name="enroll_selected"),
    path("templates/", rules.catalog, name="catalog"),
    path("templates/<slug:key>/install/", rules.catalog_install, name="catalog_install"),
    path("settings/", settings.settings_page, name="settings"),
    path("coupons/", coupons.coupon_list, name="coupons"),
]
