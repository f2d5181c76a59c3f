"""A comparison key for company names, so that likely duplicates meet in one index lookup.

上海某某科技有限公司, 上海某某科技公司 and 上海某某科技(有限公司) all read 上海某某科技: the key
drops what Chinese (and English) company names add for their legal form, brackets, spaces and
punctuation, and folds full-width characters and case. It is a blocking key, not a verdict —
the import and the duplicate finder score the candidates it brings together with rapidfuzz.
"""

from __future__ import annotations

import re
import unicodedata

# Longest first: 股份有限公司 must not leave 股份 behind after 有限公司 is removed.
_LEGAL_FORMS = (
    "股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "集团公司", "分公司", "总公司",
    "公司", "集团", "工作室", "商行", "厂",
    "co ltd", "co., ltd", "company limited", "limited", "ltd", "inc", "llc", "corp",
    "corporation", "company", "co", "gmbh",
)  # fmt: skip
_BRACKETS = re.compile(r"[(\[（【][^)\]）】]*[)\]）】]")
_NOISE = re.compile(r"[\s\W_]+", re.UNICODE)
KEY_LENGTH = 200


# The forms by last character, in _LEGAL_FORMS order: a name is compared with only the few
# forms that can end it (an import computes a key per row).
_FORMS_BY_END: dict[str, tuple[str, ...]] = {}
for _form in _LEGAL_FORMS:
    _FORMS_BY_END[_form[-1]] = (*_FORMS_BY_END.get(_form[-1], ()), _form)


def company_name_key(name: str) -> str:
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name).lower().strip()
    # A bracketed part is usually a region or a branch: 某某科技(上海)有限公司.
    without = _BRACKETS.sub("", text).strip() or text
    changed = True
    while changed:
        changed = False
        stripped = without.rstrip(" .,")
        for form in _FORMS_BY_END.get(stripped[-1:], ()):
            if stripped.endswith(form) and len(stripped) > len(form):
                # Latin forms only as whole words: "taco" is not "ta" + "co".
                head = stripped[: -len(form)]
                if form.isascii() and head[-1:].isalnum():
                    continue
                without, changed = head, True
                break
    key = _NOISE.sub("", without)
    return (key or _NOISE.sub("", text))[:KEY_LENGTH]
