"""Phone numbers: parse what people type (CN by default), store E.164."""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.utils.translation import gettext as _


class InvalidPhone(ValueError):
    pass


def normalize_phone(raw: str, *, region: str = "CN") -> str:
    """ "138 1234 5678", "+86-138…", "０１０－１２３４５６７８" → E.164; raises InvalidPhone."""
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        raise InvalidPhone(_("Enter a phone number."))
    # People write 86138… or 0086138… without the plus; phonenumbers needs it to see a country code.
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("00"):
        text = "+" + text[2:]
    elif digits.startswith("86") and len(digits) == 13 and not text.startswith("+"):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(_("“%(value)s” is not a valid phone number.") % {"value": raw}) from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(_("“%(value)s” is not a valid phone number.") % {"value": raw})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return None


def display_phone(e164: str) -> str:
    """+8613812345678 → 138 1234 5678 (national format for CN, international otherwise)."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    fmt = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == 86
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, fmt)
