"""REST API of the exports app, registered on /api/v1/ by `register`."""

from rest_framework.routers import DefaultRouter


def register(router: DefaultRouter) -> None:
    """Add this app's viewsets to the v1 router."""
