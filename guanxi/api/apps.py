from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "guanxi.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        # drf-spectacular finds extensions by import; this registers ours.
        from guanxi.api import schema  # noqa: F401
