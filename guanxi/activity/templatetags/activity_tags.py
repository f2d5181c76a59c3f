from django import template

from guanxi.activity import display

register = template.Library()


@register.filter
def target_label(target_type: str) -> str:
    """`customers.customer` → its translated model name ("customer" / "客户")."""
    return display.target_type_label(target_type)
