"""OpenAPI details drf-spectacular cannot infer, and the docs page."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularSwaggerSplitView


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "guanxi.api.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        # OpenAPI 3.0 has no "Token" HTTP scheme; an API key in the header is the honest
        # description, and Swagger UI sends it verbatim.
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Personal API token, sent as `Authorization: Token <key>`.",
        }


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI that passes our Content-Security-Policy unchanged.

    The split view serves its start-up script from this same URL (`?script`), so the page
    has no inline script to allow, and the UI's files come from our own static files
    (drf-spectacular-sidecar), never a CDN.
    """

    url_name = "api:schema"
