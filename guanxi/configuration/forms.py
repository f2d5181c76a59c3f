from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import FieldType, Industry


class BootstrapForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if not isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", css)


class ChoiceForm(BootstrapForm):
    code = forms.SlugField(label=_("Code"), max_length=50, required=False)
    name = forms.CharField(label=_("Name (Chinese)"), max_length=100)
    name_en = forms.CharField(label=_("Name (English)"), max_length=100, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class CustomFieldForm(BootstrapForm):
    industry = forms.ModelChoiceField(
        label=_("Industry"),
        queryset=Industry.objects.all(),
        required=False,
        empty_label=_("All industries"),
    )
    key = forms.SlugField(
        label=_("Key"),
        max_length=50,
        help_text=_("Used by imports and the API, e.g. purchase_frequency."),
    )
    label = forms.CharField(label=_("Label (Chinese)"), max_length=100)
    label_en = forms.CharField(label=_("Label (English)"), max_length=100, required=False)
    field_type = forms.ChoiceField(label=_("Type"), choices=FieldType.choices)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For a choice field: separate choices with commas."),
    )
    required = forms.BooleanField(label=_("Required"), required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0)


class TagForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=50)
