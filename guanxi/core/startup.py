"""What `guanxi run` prepares before starting its processes: static files, the admin login
and demo data. Each step is safe to repeat on every start."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.finders import get_finders
from django.core.management import call_command
from django.utils.translation import gettext as _

from guanxi import env

ADMIN_USERNAME = "admin"
DEMO_CUSTOMERS = 300
DEMO_SEED = 2024  # the `demo` command's default: the same data as `guanxi demo`
_STATIC_STAMP = ".guanxi-collected"
_STATIC_IGNORE = ["CVS", ".*", "*~"]


# --- static files ----------------------------------------------------------------------


def _static_fingerprint() -> str:
    """A hash of every source static file's path, size and mtime, and of the storage."""
    digest = hashlib.sha256()
    digest.update(repr(settings.STORAGES["staticfiles"]).encode())
    entries = []
    for finder in get_finders():
        for path, storage in finder.list(_STATIC_IGNORE):
            stat = os.stat(storage.path(path))
            entries.append(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}")
    for entry in sorted(entries):
        digest.update(entry.encode())
    return digest.hexdigest()


def static_collect_if_needed() -> bool:
    """Run collectstatic only when a source file changed since the last run; True if it ran."""
    root = Path(settings.STATIC_ROOT)
    stamp = root / _STATIC_STAMP
    fingerprint = _static_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return False
    call_command("collectstatic", interactive=False, verbosity=0)
    stamp.write_text(fingerprint)
    return True


# --- admin login ------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class AdminLogin:
    username: str
    password: str | None  # None: not known to us (changed since, or set by an operator)
    password_file: Path


def admin_password_file() -> Path:
    return env.data_dir() / "admin_password"


def admin_password_store(password: str) -> None:
    """Write the password readable by the owner only (0600), replacing any previous one."""
    path = admin_password_file()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    path.chmod(0o600)


def admin_ensure() -> AdminLogin:
    """Create `admin` on first start with a generated password kept in the data dir."""
    from guanxi.accounts.models import User
    from guanxi.accounts.services import user_create
    from guanxi.activity.models import Source
    from guanxi.core.passwords import password_generate

    path = admin_password_file()
    stored = path.read_text().strip() if path.exists() else ""
    user = User.objects.filter(username=ADMIN_USERNAME).first()
    if user is None:
        password = stored or password_generate()
        user_create(
            actor=None,
            username=ADMIN_USERNAME,
            role_slug="admin",
            password=password,
            display_name=_("Administrator"),
            source=Source.SYSTEM,
        )
        if password != stored:
            admin_password_store(password)
        return AdminLogin(username=ADMIN_USERNAME, password=password, password_file=path)
    if stored and user.check_password(stored):
        return AdminLogin(username=ADMIN_USERNAME, password=stored, password_file=path)
    return AdminLogin(username=ADMIN_USERNAME, password=None, password_file=path)


# --- demo data --------------------------------------------------------------------------


def demo_seeder_if_empty(*, log: Callable[[str], None]) -> Callable[[], dict] | None:
    """A function that loads demo data, when the database is empty and GUANXI_DEMO is not 0.

    Emptiness is decided before `admin_ensure` creates the first user, so a demo loader that
    counts users still sees an empty database.
    """
    if not env.demo_enabled():
        return None
    try:
        from guanxi.demo import seeding
    except ModuleNotFoundError as exc:
        if exc.name != "guanxi.demo.seeding":
            raise
        log(_("Demo data is not available in this version; starting with an empty database."))
        return None
    if not seeding.database_is_empty():
        return None

    def seed() -> dict:
        log(
            _("Empty database: loading demo data (%(count)d customers)…")
            % {"count": DEMO_CUSTOMERS}
        )
        return seeding.seed_demo(customers=DEMO_CUSTOMERS, seed=DEMO_SEED)

    return seed
