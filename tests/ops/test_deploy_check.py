"""`manage.py check --deploy` under production settings, in a fresh process (settings are read
once per process)."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUANXI_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="guanxi.settings",
        GUANXI_DATA_DIR=str(tmp_path),
        GUANXI_PRODUCTION="1",
        GUANXI_SECRET_KEY=secrets.token_urlsafe(64),
        GUANXI_ALLOWED_HOSTS="crm.example.com",
        **extra,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_production_settings_pass_the_deploy_check_without_warnings(tmp_path):
    result = deploy_check(tmp_path, GUANXI_EMAIL_URL="smtp+tls://crm:secret@smtp.example.com")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_without_a_mail_server_fails_the_deploy_check(tmp_path):
    result = deploy_check(tmp_path)

    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_a_malformed_mail_url_is_reported_by_the_check_without_its_password(tmp_path):
    result = deploy_check(
        tmp_path, GUANXI_EMAIL_URL="smtp+tls://crm:S3cret-pass@smtp.example.com:twentyfive"
    )

    assert result.returncode != 0
    assert "guanxi.E102" in result.stderr and "GUANXI_EMAIL_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert "S3cret-pass" not in result.stdout + result.stderr
