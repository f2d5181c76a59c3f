"""zh-hans must be complete; English is the source language (msgids), so it is complete by
construction. The compiled .mo must match the .po that is committed."""

from pathlib import Path

import polib
import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale"
PLACEHOLDER = __import__("re").compile(r"%\((\w+)\)[sd]|\{(\w*)\}")


def _catalog(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


def test_zh_hans_has_no_untranslated_or_fuzzy_entries():
    po = _catalog("zh_Hans")
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert missing == [] and fuzzy == [], (
        f"{len(missing)} untranslated, {len(fuzzy)} fuzzy: {(missing + fuzzy)[:10]}"
    )


def test_zh_hans_keeps_every_placeholder():
    broken = []
    for entry in _catalog("zh_Hans").translated_entries():
        if entry.msgid_plural:
            continue
        if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(entry.msgstr)):
            broken.append(entry.msgid)
    assert broken == []


@pytest.mark.parametrize("lang", ["zh_Hans", "en"])
def test_compiled_catalog_matches_source(lang):
    po = _catalog(lang)
    mo = polib.mofile(str(LOCALE / lang / "LC_MESSAGES" / "django.mo"))
    # Keyed with the context too: "Completed" (a journey) and "Completed" (a column) differ.
    compiled = {(e.msgctxt, e.msgid): e.msgstr for e in mo}
    expected = {
        (e.msgctxt, e.msgid): e.msgstr for e in po.translated_entries() if not e.msgid_plural
    }
    assert {k: compiled.get(k) for k in expected} == expected


def test_strings_django_leaves_untranslated_read_in_chinese():
    from django.db.models.fields import BLANK_CHOICE_LABEL
    from django.utils import translation

    with translation.override("zh-hans"):
        assert str(BLANK_CHOICE_LABEL) == "- 请选择 -"
    with translation.override("en"):
        assert str(BLANK_CHOICE_LABEL) == "- Select an option -"
