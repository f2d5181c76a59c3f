"""Static files storage: whitenoise's compressed, hashed files, minus source-map rewriting.

Vendored minified files (Bootstrap, …) end with a `sourceMappingURL` comment naming a .map
file we do not ship; Django's manifest storage would fail collectstatic on it. Browsers
only fetch source maps with developer tools open, so the comment is left as it is.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


def _without_source_maps(patterns: tuple) -> tuple:
    def keep(pattern: str | tuple) -> bool:
        regex = pattern if isinstance(pattern, str) else pattern[0]
        return "sourceMappingURL" not in regex

    return tuple((glob, tuple(p for p in rules if keep(p))) for glob, rules in patterns)


class StaticStorage(CompressedManifestStaticFilesStorage):
    patterns = _without_source_maps(CompressedManifestStaticFilesStorage.patterns)
