from django import template

from guanxi.accounts.forms import role_label as _role_label
from guanxi.accounts.permissions import PERM_LABELS, Perm

register = template.Library()


@register.filter
def role_label(role) -> str:
    """A role's name in the current language (roles carry a Chinese and an English name)."""
    return _role_label(role) if role else ""


@register.filter
def perm_label(code: str) -> str:
    try:
        return str(PERM_LABELS[Perm(code)])
    except ValueError:
        return code
