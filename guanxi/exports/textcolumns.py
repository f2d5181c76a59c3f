"""A chunk's column of text made safe for a file in one pass, not cell by cell.

Per cell the rules are those of `cells.neutralise` (formula guard) and, for .xlsx, Excel's
32,767-character limit and XML escaping. At a million rows × 15 columns a Python call per
cell costs more than writing the file, so a column is checked as a whole: a column with few
distinct values (labels, cities, times) checks each distinct value once; any other column is
checked on its joined text (special characters), the string of its first characters (formula
starts) and of its last characters. Only a column that needs it is then transformed value by
value — with exactly the per-cell function, so the result is the same as cell by cell.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from guanxi.exports.cells import DANGEROUS_START

XML_SPACE = " \t\r\n"
_FIRST, _LAST = itemgetter(slice(0, 1)), itemgetter(slice(-1, None))
_DANGER = re.compile("[" + re.escape("".join(DANGEROUS_START)) + "]")
_SPACE = re.compile("[ \t\r\n]")
# A column with at most 1 distinct value in this many is checked value by value.
_FEW = 8


@dataclass(frozen=True, slots=True)
class TextColumn:
    values: list[str]  # transformed where a value needed it
    has_empty: bool
    spaced: bool  # a value starts/ends with XML white space or holds a tab/CR/LF


def text_values(column: Sequence[Any]) -> list[str] | None:
    """The column as text when every value is text or None (None → ""), else None."""
    kinds = set(map(type, column))
    if not kinds <= {str, type(None)}:
        return None
    if type(None) in kinds:
        return [v if v is not None else "" for v in column]
    return column if type(column) is list else list(column)


def _is_spaced(value: str) -> bool:
    if not value:
        return False
    return value[0] in XML_SPACE or value[-1] in XML_SPACE or any(c in value for c in "\t\r\n")


def check(
    texts: list[str],
    *,
    transform: Callable[[str], str],
    suspect: re.Pattern[str] | None = None,
    max_chars: int | None = None,
) -> TextColumn:
    """`transform` is the per-cell rule; `suspect` finds characters that may make it change a
    value anywhere in it, `max_chars` the length it cuts at (a formula start is always
    checked)."""
    distinct = set(texts)
    if len(distinct) * _FEW <= len(texts):
        fixes = {v: safe for v in distinct if (safe := transform(v)) != v}
        values = [fixes.get(v, v) for v in texts] if fixes else texts
        spaced = any(map(_is_spaced, distinct))
        return TextColumn(values=values, has_empty="" in distinct, spaced=spaced)
    joined = "".join(texts)
    firsts = "".join(map(_FIRST, texts))
    lasts = "".join(map(_LAST, texts))
    changes = (
        _DANGER.search(firsts) is not None
        or (suspect is not None and suspect.search(joined) is not None)
        or (max_chars is not None and len(joined) > max_chars and max(map(len, texts)) > max_chars)
    )
    values = [transform(v) for v in texts] if changes else texts
    spaced = (
        _SPACE.search(firsts) is not None
        or _SPACE.search(lasts) is not None
        or any(c in joined for c in "\t\r\n")
    )
    return TextColumn(values=values, has_empty="" in distinct, spaced=spaced)
