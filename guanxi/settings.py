"""Django settings. Configuration comes only from guanxi.env (GUANXI_* variables)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from guanxi import env

BASE_DIR = env.BASE_DIR
DATA_DIR: Path = env.data_dir()

SECRET_KEY = env.secret_key()
DEBUG = env.debug()
ALLOWED_HOSTS = env.allowed_hosts()

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "django_tasks_db",
    "guanxi.core",
    "guanxi.accounts",
    "guanxi.activity",
    "guanxi.customers",
    "guanxi.followups",
    "guanxi.deals",
    "guanxi.messaging",
    "guanxi.automation",
    "guanxi.configuration",
    "guanxi.imports",
    "guanxi.exports",
    "guanxi.quality",
    "guanxi.api",
    "guanxi.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "guanxi.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "guanxi.urls"
WSGI_APPLICATION = "guanxi.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "guanxi.core.context_processors.navigation",
            ],
        },
    }
]


def _database() -> dict:
    url = env.test_database_url() if env.testing() else env.database_url()
    if url:
        config = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        config.setdefault("OPTIONS", {})
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "guanxi.sqlite3",
        # Keep each server thread's connection: a new one per request re-runs the PRAGMAs
        # below and starts with a cold page cache.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue on the busy
            # timeout instead of failing with "database is locked" mid-transaction.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-65536;"
                "PRAGMA mmap_size=268435456;"
                "PRAGMA temp_store=MEMORY;"
            ),
        },
        "TEST": {"NAME": DATA_DIR / "test.sqlite3"},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = ["guanxi.accounts.backends.LockoutModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
# Lockout: this many failed logins within the window lock the account for the window.
GUANXI_LOGIN_MAX_FAILURES = 5
GUANXI_LOGIN_LOCK_MINUTES = 15

LANGUAGE_CODE = env.language()
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.time_zone()
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {"BACKEND": "guanxi.core.staticfiles.StaticStorage"},
}
# Attachments are never served as public media: a view checks the viewer's scope first.
# API tokens are checked against the database at most this often per process (revoking in
# another process takes effect within it; in the same process at once).
GUANXI_TOKEN_CACHE_SECONDS = env.integer("TOKEN_CACHE_SECONDS", 5)
# Imports and exports (docs/import.md, docs/export.md).
GUANXI_IMPORT_MAX_BYTES = env.integer("IMPORT_MAX_MB", 200) * 1024 * 1024
GUANXI_IMPORT_MAX_ROWS = env.integer("IMPORT_MAX_ROWS", 1_000_000)
GUANXI_EXPORT_EXPIRY_HOURS = env.integer("EXPORT_EXPIRY_HOURS", 24)
GUANXI_ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024
GUANXI_ATTACHMENT_EXTENSIONS = [
    "pdf", "png", "jpg", "jpeg", "gif", "webp", "txt", "csv", "xlsx", "xls", "docx", "doc",
    "pptx", "ppt", "zip", "eml",
]  # fmt: skip
DATA_UPLOAD_MAX_MEMORY_SIZE = 25 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if env.production():
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "guanxi.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "guanxi.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "guanxi.api.errors.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Guanxi API",
    "DESCRIPTION": "Customers, contacts, follow-ups, tasks and the audit trail of Guanxi.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Group operations by resource (customers, tasks …), not under one "v1" heading.
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    # Swagger UI from our own static files: no CDN to reach, nothing for the CSP to allow.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "source" or "status"; name each enum after what it is.
    "ENUM_NAME_OVERRIDES": {
        "CustomerSourceEnum": "guanxi.customers.models.CustomerSource",
        "ActivitySourceEnum": "guanxi.activity.models.Source",
        "TaskSourceEnum": "guanxi.followups.models.TaskSource",
        "ExportEntityEnum": "guanxi.exports.models.Entity",
        "ImportEntityEnum": "guanxi.imports.models.Entity",
        "CustomerKindEnum": "guanxi.customers.models.Kind",
        "FollowUpChannelEnum": "guanxi.followups.models.Channel",
        "TaskStatusEnum": "guanxi.followups.models.TaskStatus",
        "MessageChannelEnum": "guanxi.messaging.models.MessageChannel",
        "MessageStatusEnum": "guanxi.messaging.models.MessageStatus",
        "MessageEventKindEnum": "guanxi.messaging.models.EventKind",
        "PlanStatusEnum": "guanxi.followups.models.PlanStatus",
        "PlanChannelEnum": "guanxi.followups.models.PlanChannel",
        "SuggestionKindEnum": "guanxi.followups.models.SuggestionKind",
        "SuggestionStatusEnum": "guanxi.followups.models.SuggestionStatus",
        "DealStageKindEnum": "guanxi.deals.models.StageKind",
        "OrderStatusEnum": "guanxi.deals.models.OrderStatus",
    },
}

# Background work: django.tasks everywhere; the backend is configuration.
if env.tasks_backend() == "celery":
    TASKS = {"default": {"BACKEND": "guanxi.core.celery_backend.CeleryBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
CELERY_BROKER_URL = env.redis_url()

# Without GUANXI_EMAIL_URL mail is written as files under the data dir (the outbox).
MAILERS = {
    "default": {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": str(DATA_DIR / "outbox")},
    }
}
if env.email_url():
    import contextlib

    from guanxi.core.email_url import mailer_from_url

    # A malformed URL is reported by the system check guanxi.E102 (messaging/checks.py),
    # which stops `guanxi run`, the worker and `check` with a message naming the setting;
    # raising here would stop every command, `guanxi check` included, with a traceback.
    with contextlib.suppress(ValueError):
        MAILERS = {"default": mailer_from_url(env.email_url())}

# Messaging (docs/messaging.md): the address recipients reach us at, the sender, replies.
GUANXI_PUBLIC_URL = env.public_url()
DEFAULT_FROM_EMAIL = env.email_from()
GUANXI_REPLY_ADDRESS = env.reply_address()
GUANXI_MESSAGE_ID_DOMAIN = (
    DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") if "@" in DEFAULT_FROM_EMAIL else "localhost"
)
GUANXI_OUTBOX_DIR = DATA_DIR / "outbox"
GUANXI_SMS_URL = env.sms_url()
GUANXI_EMAIL_URL = env.email_url()
# The reply mailbox polled over IMAP (messaging/imap_polling.py); empty = not polled.
GUANXI_IMAP_URL = env.imap_url()

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    # mail.log: aiosmtpd (the tests' and benchmark's SMTP server) logs every command.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "mail.log": {"level": "WARNING"}},
}
