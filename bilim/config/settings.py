"""Bilim settings, read from the environment so one code base serves dev, CI and production.

DATABASE_URL   database (default: SQLite file under var/); PostgreSQL in production.
BILIM_DATA_DIR where the analytics warehouse and generated files live (default: var/).
SECRET_KEY     required when DEBUG is off; generated and kept under var/ for development.
BILIM_DEBUG    "1" (default) for development, "0" for production.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.utils.translation import gettext_lazy as _

from bilim.config.private import open_private, tighten

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("BILIM_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("BILIM_DEBUG", "1") == "1"
# A demonstration installation (public demo passwords allowed: `bilim ensure_demo_admin`). Development
# settings are one; a demo served with production settings says so with BILIM_DEMO=1.
BILIM_DEMO = os.environ.get("BILIM_DEMO", "1" if DEBUG else "0") == "1"


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when BILIM_DEBUG=0")
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        try:
            with open_private(path, "x") as f:
                f.write(secrets.token_urlsafe(50))
        except FileExistsError:  # another process wrote it first
            pass
    tighten(path)  # keys written by older versions were 0644
    return path.read_text().strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "bilim.accounts",
    "bilim.audit",
    "bilim.registry",
    "bilim.metadata",
    "bilim.collection",
    "bilim.approval",
    "bilim.exchange",
    "bilim.analytics",
    "bilim.authority",
    "bilim.governance",
    "bilim.projects",
    "bilim.demo",
    "bilim.reports",
    "bilim.api",
    "bilim.web",
    # Swagger UI and ReDoc from django-ninja's own static files, not a CDN (closed networks)
    "ninja",
    "csp",
    # the job queue of the analytics refresh (bilim.analytics.tasks): Django's Tasks framework
    # (backport) with its database backend, run by `bilim worker`
    "django_tasks",
    "django_tasks_db",
]

# Jobs are rows of the operational database (SQLite or PostgreSQL): every web process enqueues into
# the same queue and one `bilim worker` runs them, across processes and machines, with no extra server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # static files from the apps' static folders, by the app server itself (no CDN, no collectstatic)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "bilim.web.middleware.UserLanguageMiddleware",
    # after the language is known (the refusal is in the user's language), before any view reads the body
    "bilim.web.limits.RequestSizeMiddleware",
    "bilim.web.limits.SessionIdleMiddleware",
    "bilim.web.limits.NoStoreMiddleware",
    "bilim.web.middleware.AnalyticsLevelMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "bilim.config.urls"
WSGI_APPLICATION = "bilim.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "bilim.web.context.bilim",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'bilim.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers (web, analytics refresh) proceed while an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 30,
         # take the write lock when a transaction starts: two deferred transactions that both read
         # and then write would otherwise fail at once with "database is locked" instead of waiting
         "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# Every password set through Bilim (pages, API, `bilim users`) passes these: at least 10 characters,
# not a common password, not all digits, not close to the user's name or e-mail.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": int(os.environ.get("BILIM_PASSWORD_MIN_LENGTH", "10"))}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("username", "first_name", "last_name", "email")}},
]
# Login throttling (counted in the database, shared by all workers): 5 failed passwords for one
# username from one address lock that pair, 30 from one address lock the address, for 15 minutes.
AUTHENTICATION_BACKENDS = ["bilim.accounts.backends.ThrottledModelBackend"]
BILIM_LOGIN_MAX_FAILURES = int(os.environ.get("BILIM_LOGIN_MAX_FAILURES", "5"))
BILIM_LOGIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("BILIM_LOGIN_MAX_FAILURES_PER_ADDRESS", "30"))
BILIM_LOGIN_LOCK_SECONDS = int(os.environ.get("BILIM_LOGIN_LOCK_SECONDS", "900"))
# Org-unit codes: upper-case Latin letters, digits and hyphens (they go into URLs, files and exports).
BILIM_ORGUNIT_CODE_PATTERN = os.environ.get("BILIM_ORGUNIT_CODE_PATTERN", r"^[A-Z0-9][A-Z0-9-]{0,31}$")
# An API token's last_used is written at most this often (after the response, never waiting for a lock).
BILIM_TOKEN_TOUCH_SECONDS = int(os.environ.get("BILIM_TOKEN_TOUCH_SECONDS", "60"))
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Kazakh is the default language of the interface.
LANGUAGE_CODE = "kk"
LANGUAGES = [("kk", _("Kazakh")), ("ru", _("Russian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "bilim" / "locale"]
# Kazakh number and date formats (Django has none for kk): bilim/formats/kk/formats.py
FORMAT_MODULE_PATH = ["bilim.formats"]
TIME_ZONE = "Asia/Almaty"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# Seconds a queued refresh waits after the first write so one refresh covers a burst.
BILIM_REFRESH_DELAY = float(os.environ.get("BILIM_REFRESH_DELAY", "2"))
# ... and at least this long after the previous one (bounds refresh and warm-up work under load).
BILIM_REFRESH_MIN_INTERVAL = float(os.environ.get("BILIM_REFRESH_MIN_INTERVAL", "30"))
# queue (a job for `bilim worker`; "background" is an old name for it) | inline (the write waits for
# the refresh: figures follow at once) | off
BILIM_REFRESH_MODE = os.environ.get("BILIM_REFRESH_MODE", "queue")
# Materialise the indicator cube at every refresh (bilim.analytics.cube; "0": answer everything from the facts).
BILIM_CUBE = os.environ.get("BILIM_CUBE", "1") == "1"
# Warm a new warehouse snapshot before readers switch to it ("0": switch at once, answers recomputed live).
BILIM_ANALYTICS_WARM = os.environ.get("BILIM_ANALYTICS_WARM", "1") == "1"

# Request limits (bilim.web.limits): bodies longer than these are refused with 413 before being read.
BILIM_MAX_UPLOAD_BYTES = int(float(os.environ.get("BILIM_MAX_UPLOAD_MB", "200")) * 1024 * 1024)
BILIM_MAX_BODY_BYTES = int(float(os.environ.get("BILIM_MAX_BODY_MB", "10")) * 1024 * 1024)
BILIM_UPLOAD_PATHS = ("/exchange/upload/", "/api/v1/exchange/import")
# XLSX workbooks are zip archives: refused before parsing when they would inflate past these bounds.
BILIM_XLSX_MAX_UNCOMPRESSED_BYTES = int(float(os.environ.get("BILIM_XLSX_MAX_UNCOMPRESSED_MB", "256")) * 1024 * 1024)
BILIM_XLSX_MAX_RATIO = float(os.environ.get("BILIM_XLSX_MAX_RATIO", "100"))

# Sessions end after 8 hours without a request and when the browser closes (both configurable).
# Roles that may enter and submit a form for the organizations in their scope (a district office
# filling in the census of a small rural school that has no clerk). Comma-separated; empty: none.
BILIM_ROLES_SUBMITTING_FOR_ORGANIZATIONS = frozenset(
    r.strip() for r in os.environ.get("BILIM_ROLES_SUBMITTING_FOR_ORGANIZATIONS", "district").split(",") if r.strip())
BILIM_SESSION_IDLE_SECONDS = int(float(os.environ.get("BILIM_SESSION_IDLE_HOURS", "8")) * 3600)
BILIM_SESSION_TOUCH_SECONDS = min(300, max(1, BILIM_SESSION_IDLE_SECONDS // 10))
SESSION_COOKIE_AGE = BILIM_SESSION_IDLE_SECONDS
SESSION_EXPIRE_AT_BROWSER_CLOSE = os.environ.get("BILIM_SESSION_BROWSER_CLOSE", "1") == "1"

# Content-Security-Policy (django-csp): scripts only from Bilim's own static files or carrying the
# request's nonce; no inline event handlers, no eval, no framing, no plugins. Inline styles stay allowed
# (chart tooltips and server-drawn SVG use style attributes; they cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BILIM_LOG_LEVEL", "WARNING")},
}

# The audit chain's MAC key (bilim.audit.keys): BILIM_AUDIT_KEY, else a 0600 file created on first use.
BILIM_AUDIT_KEY = os.environ.get("BILIM_AUDIT_KEY", "")
BILIM_AUDIT_KEY_FILE = os.environ.get("BILIM_AUDIT_KEY_FILE", str(DATA_DIR / "audit-key"))
# A signed periodic checkpoint of the audit chain every this many records.
BILIM_AUDIT_CHECKPOINT_EVERY = int(os.environ.get("BILIM_AUDIT_CHECKPOINT_EVERY", "1000"))

# Analytics warehouse (DuckDB file) lives in the data directory.
BILIM_WAREHOUSE_PATH = Path(os.environ.get("BILIM_WAREHOUSE", DATA_DIR / "warehouse.duckdb"))
