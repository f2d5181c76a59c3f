from django import template

from guanxi.activity import display

register = template.Library()


@register.filter
def target_label(target_type: str) -> str:
    """`customers.customer` → its translated model name ("customer" / "客户")."""
    return display.target_type_label(target_type)


@register.simple_tag(takes_context=True)
def change_rows(context, event):
    """{% change_rows event as rows %}: the event's changes, masked for the request's user."""
    request = context.get("request")
    return display.change_rows(event, getattr(request, "user", None))
