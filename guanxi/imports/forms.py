"""Forms of the import pages: they parse, the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import User
from guanxi.core.forms import BootstrapMixin
from guanxi.imports.mapping import field_specs
from guanxi.imports.models import Entity, ImportJob, ImportTemplate, Mode
from guanxi.imports.rows import assignable_owners

ENCODING_CHOICES = [
    ("", _("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", _("UTF-8 with BOM")),
    ("gb18030", "GBK / GB18030"),
]


class UploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File"), help_text=_(".xlsx, .xls or .csv"))
    entity = forms.ChoiceField(label=_("The file contains"), choices=Entity.choices)
    encoding = forms.ChoiceField(label=_("CSV encoding"), choices=ENCODING_CHOICES, required=False)
    mode = forms.ChoiceField(
        label=_("Rows matching an existing customer"), choices=Mode.choices, initial=Mode.SKIP
    )
    default_owner = forms.ModelChoiceField(
        label=_("Owner when the row names none"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("Me"),
    )
    template = forms.ModelChoiceField(
        label=_("Column mapping template"),
        queryset=ImportTemplate.objects.all(),
        required=False,
        empty_label=_("Match columns automatically"),
    )
    automation = forms.BooleanField(
        label=_("Let automation rules react to imported customers"),
        required=False,
        help_text=_("Off: rules such as the welcome email do not fire for these customers."),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_owner"].queryset = User.objects.filter(
            assignable_owners(user)
        ).order_by("username")
        self.fields["file"].widget.attrs["accept"] = ".xlsx,.xls,.csv"


class MappingForm(BootstrapMixin, forms.Form):
    """One select per column of the file, plus the sheet and an optional template name."""

    sheet = forms.ChoiceField(label=_("Sheet"), required=False)
    template_name = forms.CharField(
        label=_("Save this mapping as a template"),
        required=False,
        max_length=100,
        help_text=_("Optional: a name, to reuse the mapping for files like this one."),
    )

    def __init__(self, *args, job: ImportJob, sheets: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.job = job
        self.fields["sheet"].choices = [(s, s) for s in sheets]
        self.fields["sheet"].initial = job.sheet
        if len(sheets) < 2:
            del self.fields["sheet"]
        choices = [("", _("— do not import —"))] + [
            (spec.key, str(spec.label) + (" *" if spec.required else ""))
            for spec in field_specs(job.entity)
        ]
        for index, header in enumerate(job.headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("(no header)"),
                choices=choices,
                required=False,
                initial=job.mapping.get(str(index), ""),
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def column_fields(self) -> list[tuple[int, forms.BoundField]]:
        return [(i, self[f"col_{i}"]) for i in range(len(self.job.headers))]

    def mapping(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            str(i): data[f"col_{i}"] for i in range(len(self.job.headers)) if data.get(f"col_{i}")
        }
