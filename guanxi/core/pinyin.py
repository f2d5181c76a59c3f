"""Pinyin keys for search: 张三 → ("zhangsan", "zs"). Latin letters and digits pass through."""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style

# pypinyin's own segmenter and converter, the ones lazy_pinyin() uses: a name is segmented
# into words once and each distinct word (科技, 有限公司, 上海 …) converted once per process,
# ~6× faster over an import batch than lazy_pinyin(name) and the same readings, phrase-aware
# (重庆 → chongqing); tests compare the two.
from pypinyin.core import _default_convert as _CONVERTER
from pypinyin.core import _default_pinyin as _SEGMENTER

_KEEP = re.compile(r"[^a-z0-9]")
_LATIN = "\x00"  # marks segments that were not Chinese characters


def _not_chinese(text: str) -> list[str]:
    return [_LATIN + text]


@lru_cache(maxsize=100_000)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(
        p[0] for p in _CONVERTER.convert(word, Style.NORMAL, False, _not_chinese, strict=True)
    )


def pinyin_keys(text: str) -> tuple[str, str]:
    if not text:
        return "", ""
    full, initials = [], []
    for word in _SEGMENTER.seg(text):
        for segment in _word_pinyin(word):
            if segment.startswith(_LATIN):
                latin = segment[1:].lower()
                full.append(latin)
                initials.append(latin)
            else:
                full.append(segment)
                initials.append(segment[:1])
    return (
        _KEEP.sub("", "".join(full).lower())[:400],
        _KEEP.sub("", "".join(initials).lower())[:200],
    )


def search_key(term: str) -> str:
    """What a typed query is compared with: lowercase letters and digits only."""
    return _KEEP.sub("", (term or "").lower())
