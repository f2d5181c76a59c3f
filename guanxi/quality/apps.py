from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "guanxi.quality"
    label = "quality"
    verbose_name = _("Data quality")

    def ready(self) -> None:
        from guanxi.customers.merging import leave_for_cascade, register_mover

        # Finder rows describe the merged-away customer itself: they go with it, and the
        # next refresh finds whatever the survivor still duplicates.
        register_mover("quality.duplicatemember", leave_for_cascade)
        register_mover("quality.duplicatedismissal", leave_for_cascade)
