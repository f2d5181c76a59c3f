from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "guanxi.messaging"
    label = "messaging"
    verbose_name = _("Messaging")

    def ready(self) -> None:
        from guanxi.customers.merging import leave_for_cascade, register_mover
        from guanxi.messaging import checks  # noqa: F401  (registers the URL checks)

        # A reminder occurrence only stops a policy reminding twice about the merged-away
        # customer; its task moves to the survivor with the other tasks.
        register_mover("messaging.reminderoccurrence", leave_for_cascade)
