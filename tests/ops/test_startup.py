"""What `guanxi run` prepares before starting its processes."""

import stat
import sys
import types

import pytest

import guanxi.demo
from guanxi.accounts.models import User
from guanxi.core import startup


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GUANXI_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.mark.django_db
def test_first_start_creates_admin_with_a_private_password_file(data_dir):
    login = startup.admin_ensure()

    admin = User.objects.get(username="admin")
    assert admin.role.slug == "admin"
    assert admin.check_password(login.password)
    path = data_dir / "admin_password"
    assert path.read_text().strip() == login.password
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.django_db
def test_later_starts_print_the_same_admin_password(data_dir):
    first = startup.admin_ensure()

    assert startup.admin_ensure().password == first.password
    assert User.objects.filter(username="admin").count() == 1


@pytest.mark.django_db
def test_a_changed_admin_password_is_not_printed(data_dir):
    startup.admin_ensure()
    admin = User.objects.get(username="admin")
    admin.set_password("Changed-In-The-UI-1")
    admin.save()

    assert startup.admin_ensure().password is None


def fake_seeding(monkeypatch, *, empty: bool) -> list[dict]:
    calls: list[dict] = []
    module = types.ModuleType("guanxi.demo.seeding")
    module.database_is_empty = lambda: empty
    module.seed_demo = lambda **kwargs: calls.append(kwargs) or {"customers": kwargs["customers"]}
    monkeypatch.setitem(sys.modules, "guanxi.demo.seeding", module)
    monkeypatch.setattr(guanxi.demo, "seeding", module, raising=False)
    return calls


def test_empty_database_gets_demo_data(monkeypatch):
    monkeypatch.delenv("GUANXI_DEMO", raising=False)
    calls = fake_seeding(monkeypatch, empty=True)

    seed = startup.demo_seeder_if_empty(log=lambda message: None)

    assert seed is not None
    assert seed() == {"customers": 300}
    assert calls == [{"customers": 300, "seed": 2024}]


def test_database_with_customers_gets_no_demo_data(monkeypatch):
    fake_seeding(monkeypatch, empty=False)

    assert startup.demo_seeder_if_empty(log=lambda message: None) is None


def test_guanxi_demo_0_skips_demo_data(monkeypatch):
    calls = fake_seeding(monkeypatch, empty=True)
    monkeypatch.setenv("GUANXI_DEMO", "0")

    assert startup.demo_seeder_if_empty(log=lambda message: None) is None
    assert calls == []


def test_missing_demo_module_is_reported_not_fatal(monkeypatch):
    monkeypatch.setitem(sys.modules, "guanxi.demo.seeding", None)
    monkeypatch.delattr(guanxi.demo, "seeding", raising=False)
    messages: list[str] = []

    assert startup.demo_seeder_if_empty(log=messages.append) is None
    assert len(messages) == 1


def test_static_files_are_collected_only_when_a_source_changed(tmp_path, settings):
    source = tmp_path / "src"
    source.mkdir()
    (source / "app.css").write_text("body { color: black; }")
    settings.STATICFILES_DIRS = [source]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "guanxi.core.staticfiles.StaticStorage"},
    }

    assert startup.static_collect_if_needed() is True
    assert startup.static_collect_if_needed() is False
    (source / "app.css").write_text("body { color: red; }")
    assert startup.static_collect_if_needed() is True
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_the_shipped_static_files_collect_with_the_production_storage(tmp_path, settings):
    """Catches vendored files that the hashed-manifest storage cannot process."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "guanxi.core.staticfiles.StaticStorage"},
    }

    assert startup.static_collect_if_needed() is True
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "vendor/bootstrap/bootstrap.min.css" in manifest
