"""Temporary placeholder for routes whose pages are being built. Removed when they exist."""

from django.http import HttpResponse


def placeholder(request, *args, **kwargs):
    return HttpResponse("placeholder", content_type="text/plain")
