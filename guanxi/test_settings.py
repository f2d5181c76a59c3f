"""Settings for the test suite: same as production code paths, faster hashing, tasks inline."""

import os
import tempfile

os.environ["GUANXI_TESTING"] = "1"
os.environ.setdefault("GUANXI_DATA_DIR", tempfile.mkdtemp(prefix="guanxi-test-"))
os.environ.setdefault("GUANXI_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from guanxi.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
LANGUAGE_CODE = "zh-hans"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405  (whitenoise warns when it is missing)
