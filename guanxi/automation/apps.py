from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AutomationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "guanxi.automation"
    verbose_name = _("Automation")

    def ready(self) -> None:
        from guanxi.automation.listener import on_event
        from guanxi.automation.merging import move_enrollments
        from guanxi.core.events import subscribe
        from guanxi.customers.merging import leave_for_cascade, register_mover

        # The engine hears domain events through the explicit bus (core.events), after commit.
        subscribe(on_event)
        register_mover("automation.enrollment", move_enrollments)
        # Membership is "matched at the last scan": the survivor's own row says it.
        register_mover("automation.rulemembership", leave_for_cascade)
