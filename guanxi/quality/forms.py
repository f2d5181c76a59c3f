"""Parsing the data-quality pages' input; forms never save."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.forms import BootstrapMixin
from guanxi.customers.forms.listing import IdListField, UserChoiceField
from guanxi.customers.merging import CUSTOM_PREFIX, FIELD_GROUPS, PRIMARY_CONTACT
from guanxi.customers.selectors import owner_choices

CHOICE_PREFIX = "choice-"


class MergeForm(forms.Form):
    ids = IdListField(error_messages={"required": _("Select at least two customers.")})
    survivor = forms.IntegerField(required=False)

    def clean_ids(self) -> list[int]:
        ids = list(dict.fromkeys(self.cleaned_data["ids"]))
        if len(ids) < 2:
            raise forms.ValidationError(_("Select at least two customers."))
        return ids

    def field_choices(self) -> dict[str, int]:
        """`choice-<field>` radios: the customer whose value survives, per field."""
        choices: dict[str, Any] = {}
        for key, value in self.data.items():
            name = key.removeprefix(CHOICE_PREFIX)
            known = name in FIELD_GROUPS or name == PRIMARY_CONTACT
            if key.startswith(CHOICE_PREFIX) and (known or name.startswith(CUSTOM_PREFIX)):
                choices[name] = value
        return choices

    def expected_version(self, survivor_id: int) -> int | None:
        raw = self.data.get(f"version-{survivor_id}")
        return int(raw) if raw and str(raw).isdigit() else None


class AssignOwnerForm(BootstrapMixin, forms.Form):
    ids = IdListField(error_messages={"required": _("Select at least one customer.")})
    owner = UserChoiceField(
        User.objects.none(),
        label=_("New owner"),
        error_messages={"required": _("Choose the new owner.")},
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_choices(user=user)
