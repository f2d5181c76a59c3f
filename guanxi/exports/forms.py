"""The export form: which fields, which format, for which filter (carried as a query string)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.core.forms import BootstrapMixin
from guanxi.exports.entities import ExportEntity
from guanxi.exports.models import FileFormat


def parse_ids(values: list[str]) -> list[int]:
    """Ticked rows arrive as `ids=1&ids=2` or `ids=1,2`; anything not a number is dropped."""
    ids = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit():
                ids.append(int(part))
    return ids


class ExportForm(BootstrapMixin, forms.Form):
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    ids = forms.CharField(required=False, widget=forms.HiddenInput)
    fields = forms.MultipleChoiceField(
        label=_("Fields"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one field.")},
    )
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=FileFormat.choices,
        initial=FileFormat.XLSX,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, entity: ExportEntity, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.entity = entity
        self.fields["fields"].choices = [(c.key, c.label) for c in entity.all_columns()]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "entity": self.entity.name,
            "file_format": data["file_format"],
            "fields": data["fields"],
            "query": data.get("query") or "",
            "ids": parse_ids([data.get("ids") or ""]),
        }
