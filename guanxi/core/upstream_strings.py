"""Strings Django 6.1 shows that its own zh_Hans catalog does not translate yet.

Listed here only so `makemessages` copies them into our catalog, which takes precedence
(LOCALE_PATHS). Drop an entry once Django ships its translation.
"""

from django.utils.translation import gettext_noop

UPSTREAM = [
    gettext_noop("- Select an option -"),  # django.db.models.fields.BLANK_CHOICE_LABEL
]
