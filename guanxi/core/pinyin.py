"""Pinyin keys for search: 张三 → ("zhangsan", "zs"). Latin letters and digits pass through.

The readings are exactly those of `pypinyin.lazy_pinyin(name)` (phrase-aware: 重庆 →
chongqing, 银行 → yinhang), computed faster because an import converts ~100,000 names a
minute and lazy_pinyin spends ~50 µs on each, mostly in Python loops over characters:

- the name is split into Chinese and other runs with one regular expression (pypinyin tests
  every character against its run pattern in turn);
- a Chinese run is cut into words with pypinyin's own forward-maximum-matching rule and its
  own prefix set; the cut is greedy left to right, so the readings of a run are its first
  words' readings followed by those of the rest, and the rest is remembered: the tails
  company names share (科技有限公司, 贸易有限公司, 股份有限公司 …) are cut and converted once
  per process;
- each word is converted once per process by pypinyin's own converter.
Tests compare the result with lazy_pinyin over generated and awkward names.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pypinyin import Style
from pypinyin.constants import PHRASES_DICT, RE_HANS
from pypinyin.core import _default_convert as _CONVERTER
from pypinyin.seg.mmseg import p_set as _PREFIXES

_KEEP = re.compile(r"[^a-z0-9]")
_LATIN = "\x00"  # marks segments that were not Chinese characters
# RE_HANS is ^(?:[…])+$ — the same character class, as runs of it or of anything else.
_HANS_CLASS = RE_HANS.pattern.removeprefix("^(?:").removesuffix(")+$")
_RUNS = re.compile(f"{_HANS_CLASS}+|(?:(?!{_HANS_CLASS}).)+", re.DOTALL)
_IS_HANS = re.compile(_HANS_CLASS)


def _not_chinese(text: str) -> list[str]:
    return [_LATIN + text]


@lru_cache(maxsize=100_000)
def _word_pinyin(word: str) -> tuple[str, ...]:
    return tuple(
        p[0] for p in _CONVERTER.convert(word, Style.NORMAL, False, _not_chinese, strict=True)
    )


def _head(run: str) -> tuple[str, ...]:
    """The first word(s) pypinyin's mmseg.Seg.cut takes off `run`, in its strict mode (the one
    lazy_pinyin uses: only dictionary phrases count as words)."""
    last_valid = ""
    for end in range(1, len(run) + 1):
        word = run[:end]
        if word not in _PREFIXES:
            return (last_valid or run[0],)
        if word in PHRASES_DICT:
            last_valid = word
    # Every prefix of the run starts some phrase: the longest phrase, or else each character.
    return (last_valid,) if last_valid else tuple(run)


# Small on purpose: the tails that repeat (有限公司, 科技有限公司 …) stay hot in an LRU, while
# the unique ones every name also brings (its brand onwards) pass through; a large cache
# would only hold those, ~400 bytes each, for the length of a 1M-row import.
@lru_cache(maxsize=20_000)
def _run_pinyin(run: str) -> tuple[str, ...]:
    """Readings of a run of Chinese characters, cut into words as lazy_pinyin cuts it."""
    if not PHRASES_DICT:
        return _word_pinyin(run)
    words = _head(run)
    readings = tuple(p for word in words for p in _word_pinyin(word))
    taken = sum(map(len, words))
    return readings + _run_pinyin(run[taken:]) if taken < len(run) else readings


def pinyin_keys(text: str) -> tuple[str, str]:
    if not text:
        return "", ""
    full, initials = [], []
    for run in _RUNS.findall(text):
        if not _IS_HANS.match(run):
            latin = run.lower()
            full.append(latin)
            initials.append(latin)
            continue
        for segment in _run_pinyin(run):
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
