"""The check's cleaned rows, kept beside the stored upload for the import to reuse.

Cleaning (reading the sheet, normalising phones, dates, enums, tags, owners, custom fields)
is most of the per-row work of a check, and the import used to repeat all of it. The check
now streams each batch of `CleanRow`s into a pickle file beside the upload; the import
reads those batches back instead of re-reading and re-cleaning the file. De-duplication is
NOT cached: it depends on the database, which may have changed since the check.

The file name carries a key over everything a cleaned row depends on — the file's sha256,
sheet, encoding, entity, mapping, the importer, and the lookups loaded into the RowContext
(industries, levels, assignable owners, enum labels, custom field definitions). When any
of them changed, the key differs and the import cleans the file again itself. The file is
written under a temporary name and renamed at the end, so an interrupted check never
leaves a partial cache. It lives in the data directory next to the upload, which only the
server writes (the same trust as the database file), hence pickle: dates and aware
datetimes round-trip exactly and it loads several times faster than JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from guanxi.imports.models import ImportJob
from guanxi.imports.rows import CleanRow, RowContext

_VERSION = 1  # bump when CleanRow's values change meaning


def cache_key(job: ImportJob, context: RowContext) -> str:
    custom = [
        sorted((k, repr(v)) for k, v in vars(d).items() if not k.startswith("_"))
        for d in context.custom
    ]
    material = [
        _VERSION, job.file_sha256, job.stored_path, job.sheet, job.encoding, job.entity,
        sorted(context.mapping.items()), job.created_by_id, sorted(context.industries.items()),
        sorted(context.levels.items()), sorted(context.owners.items()),
        sorted((k, sorted(v.items())) for k, v in context.enums.items()), custom,
        str(context.tz),
    ]  # fmt: skip
    blob = json.dumps(material, ensure_ascii=False, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:32]


def _path(job: ImportJob, key: str) -> Path:
    upload = Path(settings.DATA_DIR) / "imports" / job.stored_path
    return upload.with_name(f"clean-{key}.pickle")


class CleanWriter:
    """Appends batches while a check runs; `commit()` makes them visible to the import."""

    def __init__(self, job: ImportJob, key: str) -> None:
        clear(job)  # an older check's cache (another mapping) is stale now
        self.final = _path(job, key)
        self.temp = self.final.with_suffix(".partial")
        self.handle = self.temp.open("wb")

    def add(self, rows: list[CleanRow]) -> None:
        pickle.dump(
            [(r.number, r.values, r.reasons) for r in rows],
            self.handle,
            protocol=pickle.HIGHEST_PROTOCOL,
        )

    def commit(self) -> None:
        self.handle.close()
        os.replace(self.temp, self.final)

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


def read(job: ImportJob, key: str) -> Iterator[list[CleanRow]] | None:
    """The cached batches for this key, or None when there is no (valid) cache."""
    path = _path(job, key)
    if not path.exists():
        return None

    def batches() -> Iterator[list[CleanRow]]:
        with path.open("rb") as handle:
            while True:
                try:
                    chunk = pickle.load(handle)  # noqa: S301 — written by this server, see above
                except EOFError:
                    return
                yield [CleanRow(number=n, values=v, reasons=r) for n, v, r in chunk]

    return batches()


def clear(job: ImportJob) -> None:
    """Remove every cleaned-rows file of the job (after the import, or a new check)."""
    folder = (Path(settings.DATA_DIR) / "imports" / job.stored_path).parent
    if folder.is_dir():
        for stale in folder.glob("clean-*"):
            stale.unlink(missing_ok=True)
