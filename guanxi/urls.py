from django.urls import include, path

urlpatterns = [
    path("", include("guanxi.core.urls")),
    path("accounts/", include("guanxi.accounts.urls")),
    path("customers/", include("guanxi.customers.urls")),
    path("followups/", include("guanxi.followups.urls")),
    path("deals/", include("guanxi.deals.urls")),
    path("notifications/", include("guanxi.messaging.urls")),
    path("m/", include("guanxi.messaging.public_urls")),
    path("messaging/templates/", include("guanxi.messaging.template_urls")),
    path("messaging/outbox/", include("guanxi.messaging.outbox_urls")),
    path("messaging/reminders/", include("guanxi.messaging.reminder_urls")),
    path("messaging/settings/", include("guanxi.messaging.settings_urls")),
    path("automation/", include("guanxi.automation.urls")),
    path("imports/", include("guanxi.imports.urls")),
    path("exports/", include("guanxi.exports.urls")),
    path("quality/", include("guanxi.quality.urls")),
    path("activity/", include("guanxi.activity.urls")),
    path("settings/", include("guanxi.configuration.urls")),
    path("api/", include("guanxi.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
]
