"""Forms for the customer pages. They parse and check input; the services validate the domain
rules and write. Service errors come back onto these forms with `show_service_errors`."""

from guanxi.customers.forms.contacts import AttachmentForm, ContactForm
from guanxi.customers.forms.customer import CustomerForm, custom_form_field
from guanxi.customers.forms.inputs import (
    ANY,
    BLANK,
    PROVINCES,
    UserChoiceField,
    date_input,
    datetime_input,
    show_service_errors,
    split_tags,
    user_label,
)
from guanxi.customers.forms.listing import (
    SORT_LABELS,
    BulkActionForm,
    CustomerFilterForm,
    IdListField,
    SavedViewForm,
)

__all__ = [
    "ANY",
    "BLANK",
    "PROVINCES",
    "SORT_LABELS",
    "AttachmentForm",
    "BulkActionForm",
    "ContactForm",
    "CustomerFilterForm",
    "CustomerForm",
    "IdListField",
    "SavedViewForm",
    "UserChoiceField",
    "custom_form_field",
    "date_input",
    "datetime_input",
    "show_service_errors",
    "split_tags",
    "user_label",
]
