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
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
DATA_DIR = Path(os.environ.get("BILIM_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = os.environ.get("BILIM_DEBUG", "1") == "1"


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if not DEBUG:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when BILIM_DEBUG=0")
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
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
]

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
    "bilim.web.middleware.AnalyticsLevelMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Login throttling: 5 failed passwords for one username from one address lock it for 15 minutes.
AUTHENTICATION_BACKENDS = ["bilim.accounts.backends.ThrottledModelBackend"]
BILIM_LOGIN_MAX_FAILURES = int(os.environ.get("BILIM_LOGIN_MAX_FAILURES", "5"))
BILIM_LOGIN_LOCK_SECONDS = int(os.environ.get("BILIM_LOGIN_LOCK_SECONDS", "900"))
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
# Seconds the background refresher waits after the first write so one refresh covers a burst.
BILIM_REFRESH_DELAY = float(os.environ.get("BILIM_REFRESH_DELAY", "2"))
# ... and at least this long after the previous one ended (bounds refresh and warm-up work under load).
BILIM_REFRESH_MIN_INTERVAL = float(os.environ.get("BILIM_REFRESH_MIN_INTERVAL", "30"))
# background | inline (the write waits for the refresh: figures follow at once) | off
BILIM_REFRESH_MODE = os.environ.get("BILIM_REFRESH_MODE", "background")
# Warm a new warehouse snapshot before readers switch to it ("0": switch at once, answers recomputed live).
BILIM_ANALYTICS_WARM = os.environ.get("BILIM_ANALYTICS_WARM", "1") == "1"

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

# Analytics warehouse (DuckDB file) lives in the data directory.
BILIM_WAREHOUSE_PATH = Path(os.environ.get("BILIM_WAREHOUSE", DATA_DIR / "warehouse.duckdb"))
