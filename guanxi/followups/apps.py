from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "guanxi.followups"
    label = "followups"
    verbose_name = _("Follow-ups and tasks")

    def ready(self) -> None:
        from guanxi.customers.merging import register_mover
        from guanxi.followups.plans.merging import move_occurrences

        register_mover("followups.planoccurrence", move_occurrences)
