"""Pieces every customer-related form uses: blank choices, date inputs, tag splitting, user
pickers, and putting a service's errors onto a form."""

from __future__ import annotations

import re

from django import forms
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.errors import ApplicationError
from guanxi.core.forms import apply_errors

# Provincial-level divisions, offered as suggestions; the field stays free text.
PROVINCES = [
    "北京市", "天津市", "上海市", "重庆市", "河北省", "山西省", "辽宁省", "吉林省", "黑龙江省",
    "江苏省", "浙江省", "安徽省", "福建省", "江西省", "山东省", "河南省", "湖北省", "湖南省",
    "广东省", "海南省", "四川省", "贵州省", "云南省", "陕西省", "甘肃省", "青海省", "台湾省",
    "内蒙古自治区", "广西壮族自治区", "西藏自治区", "宁夏回族自治区", "新疆维吾尔自治区",
    "香港特别行政区", "澳门特别行政区",
]  # fmt: skip

BLANK = ("", BLANK_CHOICE_LABEL)
ANY = ("", _("Any"))  # a filter left empty matches everything
# People type tags separated by commas (either width), 、 or semicolons.
TAG_SEPARATORS = re.compile(r"[,，、;；\n]+")
CONTACT_DETAIL_FIELDS = ("phone", "phone_alt", "email")


def split_tags(text: str) -> list[str]:
    return [t.strip() for t in TAG_SEPARATORS.split(text or "") if t.strip()]


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def show_service_errors(
    form: forms.Form, exc: ApplicationError, *, field_names: dict[str, str] | None = None
) -> None:
    """Put a service's errors under the fields they name (renamed where the form calls a
    field differently), the rest above the form, and mark those inputs invalid."""
    names = field_names or {}
    renamed = ApplicationError(
        exc.message, errors={names.get(key, key): msgs for key, msgs in exc.errors.items()}
    )
    apply_errors(form, renamed)
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            if "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
            widget.attrs["aria-invalid"] = "true"


def user_label(user: User) -> str:
    return f"{user.label} · {user.team}" if user.team_id else user.label


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return user_label(obj)


def customer_from_code(*, user: User, text: str):
    """The customer a "code name" picker value names (its first word is the code), within
    the user's scope; None for an empty value; a form error for an unknown code."""
    from guanxi.core.errors import NotFoundError
    from guanxi.customers.selectors import customer_get_by_code

    text = (text or "").strip()
    if not text:
        return None
    code = text.split()[0].upper()
    try:
        return customer_get_by_code(user=user, code=code)
    except NotFoundError as exc:
        raise forms.ValidationError(
            _("No customer with code “%(code)s” among your customers.") % {"code": code}
        ) from exc
