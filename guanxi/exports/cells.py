"""What goes into a cell: formula-injection-safe text, phones as the screen shows them.

Spreadsheet formula injection: Excel, LibreOffice and WPS evaluate a cell that starts with
`=`, `+`, `-` or `@` (and strip a leading tab or carriage return before looking). A customer
named `=HYPERLINK("http://evil","点我")` must arrive as text. Such text gets a leading
apostrophe (OWASP's advice): every spreadsheet shows it as text, and a person can still read
the original value. Numbers are written as numbers and need no guard.
"""

from __future__ import annotations

import re

import phonenumbers

from guanxi.accounts.permissions import mask_email, mask_phone
from guanxi.core.phones import display_phone

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
# phonenumbers' own pattern of valid mainland mobile numbers (national digits).
_CN_MOBILE = re.compile(
    f"(?:{phonenumbers.PhoneMetadata.metadata_for_region('CN').mobile.national_number_pattern})$"
)


def neutralise(value: str) -> str:
    """'=1+1' → "'=1+1"; anything else unchanged."""
    if value and value.startswith(DANGEROUS_START):
        return "'" + value
    return value


def phone_cell(value: str, *, sees: bool) -> str:
    """The phone as the list shows it: 138 1234 5678, or 138****5678 for a viewer without
    "view contact details". Chinese numbers carry no "+" this way, so they are not mangled
    by the formula guard; foreign numbers (+44 …) are guarded like any other text."""
    if not value:
        return ""
    if not sees:
        return mask_phone(value)
    # The common case without the phonenumbers parser (~20 µs a number): a mainland mobile
    # in E.164 reads 1xx xxxx xxxx in national format.
    if value.startswith("+861") and len(value) == 14 and _CN_MOBILE.match(value, 3):
        return f"{value[3:6]} {value[6:10]} {value[10:]}"
    return display_phone(value)


def email_cell(value: str, *, sees: bool) -> str:
    if not value:
        return ""
    return value if sees else mask_email(value)
