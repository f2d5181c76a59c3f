"""Customer pages. Views parse the request, call a selector or service, and render."""

from guanxi.customers.views.detail import (
    attachment_delete,
    attachment_download,
    attachment_upload,
    contact_create,
    contact_delete,
    contact_edit,
    contact_reveal,
    customer_detail,
    customer_timeline,
)
from guanxi.customers.views.editing import (
    customer_create,
    customer_custom_fields,
    customer_delete,
    customer_edit,
)
from guanxi.customers.views.listing import (
    customer_bulk,
    customer_list,
    customer_lookup,
    saved_view_delete,
    saved_view_save,
)

__all__ = [
    "attachment_delete",
    "attachment_download",
    "attachment_upload",
    "contact_create",
    "contact_delete",
    "contact_edit",
    "contact_reveal",
    "customer_bulk",
    "customer_create",
    "customer_custom_fields",
    "customer_delete",
    "customer_detail",
    "customer_edit",
    "customer_list",
    "customer_lookup",
    "customer_timeline",
    "saved_view_delete",
    "saved_view_save",
]
