"""Pinyin keys for search: 张三 → ("zhangsan", "zs"). Latin letters and digits pass through."""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_KEEP = re.compile(r"[^a-z0-9]")
_LATIN = "\x00"  # marks segments that were not Chinese characters


def pinyin_keys(text: str) -> tuple[str, str]:
    if not text:
        return "", ""
    # One call over the whole name keeps pypinyin's phrase-aware readings (重庆 → chongqing).
    segments = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: [_LATIN + s])
    full, initials = [], []
    for seg in segments:
        if seg.startswith(_LATIN):
            latin = seg[1:].lower()
            full.append(latin)
            initials.append(latin)
        else:
            full.append(seg)
            initials.append(seg[:1])
    return _KEEP.sub("", "".join(full).lower())[:400], _KEEP.sub("", "".join(initials).lower())[
        :200
    ]


def search_key(term: str) -> str:
    """What a typed query is compared with: lowercase letters and digits only."""
    return _KEEP.sub("", (term or "").lower())
