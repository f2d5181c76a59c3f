from django import template
from django.utils.timesince import timesince

from guanxi.core import clock

register = template.Library()


@register.filter
def overdue_by(value) -> str:
    """How long ago a due time passed, in its largest unit only ("5 days"): fits a badge."""
    return timesince(value, clock.now(), depth=1) if value else ""
