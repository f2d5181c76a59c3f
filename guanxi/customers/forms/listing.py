"""Forms of the customer list: filters (the query string), bulk actions, saved views."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import Team, User
from guanxi.core.forms import BootstrapMixin
from guanxi.customers import selectors
from guanxi.customers.forms.inputs import ANY, UserChoiceField, date_input, split_tags
from guanxi.customers.models import CustomerSource, Industry, Intent, Level, Stage

SORT_LABELS = {
    "newest": _("Newest first"),
    "oldest": _("Oldest first"),
    "name": _("Name A–Z"),
    "-name": _("Name Z–A"),
    "-last_contact": _("Contacted most recently"),
    "last_contact": _("Contacted longest ago"),
    "expected_close": _("Expected close date"),
    "updated": _("Recently updated"),
}


class CustomerFilterForm(BootstrapMixin, forms.Form):
    """The list's query string. Invalid values are dropped rather than failing the page."""

    ADVANCED = (
        "industry", "province", "city", "level", "intent", "stage", "tag", "owner", "team",
        "source", "no_owner", "last_contact_from", "last_contact_to", "created_from",
        "created_to",
    )  # fmt: skip

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    industry = forms.ModelChoiceField(
        Industry.objects.filter(is_active=True),
        label=_("Industry"),
        required=False,
        empty_label=_("Any"),
    )
    province = forms.CharField(label=_("Province"), required=False, max_length=50)
    city = forms.CharField(label=_("City"), required=False, max_length=50)
    level = forms.ModelChoiceField(
        Level.objects.filter(is_active=True), label=_("Level"), required=False, empty_label=_("Any")
    )
    intent = forms.ChoiceField(label=_("Intent"), required=False, choices=[ANY, *Intent.choices])
    stage = forms.ChoiceField(
        label=_("Lifecycle stage"), required=False, choices=[ANY, *Stage.choices]
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    owner = UserChoiceField(
        User.objects.none(), label=_("Owner"), required=False, empty_label=_("Any")
    )
    team = forms.ModelChoiceField(
        Team.objects.none(), label=_("Team"), required=False, empty_label=_("Any")
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[ANY, *CustomerSource.choices]
    )
    no_owner = forms.BooleanField(label=_("No owner"), required=False)
    last_contact_from = forms.DateField(
        label=_("Last contact from"), required=False, widget=date_input()
    )
    last_contact_to = forms.DateField(
        label=_("Last contact to"), required=False, widget=date_input()
    )
    created_from = forms.DateField(label=_("Created from"), required=False, widget=date_input())
    created_to = forms.DateField(label=_("Created to"), required=False, widget=date_input())
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=list(SORT_LABELS.items()))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owner_choices(user=user)
        self.fields["team"].queryset = selectors.team_choices(user=user)
        self.fields["q"].widget.attrs.update(
            {
                # Results follow the typing; the rest of the form rides along.
                "hx-get": reverse_lazy("customers:list"),
                "hx-trigger": "input changed delay:400ms, search",
                "hx-include": "closest form",
                "type": "search",
                "placeholder": _("Name, code, phone, email, contact or pinyin (zs)"),
                "autocomplete": "off",
            }
        )
        self.fields["province"].widget.attrs["list"] = "province-options"
        self.fields["tag"].widget.attrs["list"] = "tag-options"

    @property
    def values(self) -> dict[str, Any]:
        """The valid part of the query; an unknown owner id or a bad date is simply ignored."""
        if not self.is_bound:
            return {}
        self.is_valid()
        return self.cleaned_data

    @property
    def advanced_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ADVANCED]

    @property
    def active_count(self) -> int:
        return sum(1 for name in self.ADVANCED if self.values.get(name))

    def to_filters(self) -> selectors.CustomerFilters:
        v = self.values

        def ids(name: str) -> list[int]:
            return [v[name].pk] if v.get(name) else []

        def one(name: str) -> list[str]:
            return [v[name]] if v.get(name) else []

        return selectors.CustomerFilters(
            search=v.get("q") or "",
            industry=ids("industry"),
            province=v.get("province") or "",
            city=v.get("city") or "",
            level=ids("level"),
            intent=one("intent"),
            stage=one("stage"),
            tag=one("tag"),
            owner=ids("owner"),
            team=ids("team"),
            source=one("source"),
            no_owner=bool(v.get("no_owner")),
            last_contact_from=v.get("last_contact_from"),
            last_contact_to=v.get("last_contact_to"),
            created_from=v.get("created_from"),
            created_to=v.get("created_to"),
            sort=v.get("sort") or "newest",
        )


class IdListField(forms.Field):
    """Several checkbox values of one name (`ids`), as a list of integers."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        try:
            return [int(v) for v in value or []]
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(_("Select customers from the list.")) from exc


MERGE_AT_MOST = 10  # customers compared side by side on the merge page


class BulkActionForm(BootstrapMixin, forms.Form):
    ACTIONS = [("tag", _("Add tag")), ("reassign", _("Reassign")), ("merge", _("Merge"))]

    action = forms.ChoiceField(choices=ACTIONS)
    ids = IdListField(
        label=_("Customers"), error_messages={"required": _("Select at least one customer.")}
    )
    tags = forms.CharField(label=_("Tags"), required=False, max_length=200)
    owner = UserChoiceField(User.objects.none(), label=_("New owner"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = selectors.owner_choices(user=user)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "tag" and not split_tags(data.get("tags", "")):
            self.add_error("tags", _("Enter at least one tag."))
        if data.get("action") == "reassign" and not data.get("owner"):
            self.add_error("owner", _("Choose the new owner."))
        if data.get("action") == "merge" and "ids" in data:
            count = len(set(data["ids"]))
            if count < 2:
                self.add_error("ids", _("Select at least two customers to merge."))
            elif count > MERGE_AT_MOST:
                self.add_error(
                    "ids",
                    _("Select at most %(n)d customers to merge at once.") % {"n": MERGE_AT_MOST},
                )
        return data


class SavedViewForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("View name"), max_length=100)
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
