"""One settings file, driven by environment variables (see docs/operations.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from hashrally.core import worldmap
from hashrally.env import env_bool, env_float, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
VAR_DIR = Path(env_str("HASHRALLY_VAR_DIR", str(PROJECT_DIR / "var")))

DEBUG = env_bool("HASHRALLY_DEBUG", False)
# Production: the site is served over HTTPS (its address says so, or the operator does). Keys
# must then come from the environment; otherwise the development keys `make demo` wrote into
# var/ are found, so every command works in a checkout without exporting anything.
PRODUCTION = env_str("HASHRALLY_SITE_URL", "").startswith("https://") or env_bool(
    "HASHRALLY_HTTPS", False
)


def _development_key(name: str) -> str:
    path = VAR_DIR / name
    if PRODUCTION or not path.is_file():
        return ""
    return path.read_text(encoding="utf-8").strip()


# Production (DEBUG off) must be given a real key; a development key is only acceptable when the
# operator asked for debug mode explicitly, or `make demo` wrote one into var/.
if DEBUG:
    SECRET_KEY = env_str(
        "HASHRALLY_SECRET_KEY", "insecure-development-key-do-not-use-in-production"
    )
else:
    _found = _development_key("secret_key")
    SECRET_KEY = (
        env_str("HASHRALLY_SECRET_KEY", _found)
        if _found
        else env_str("HASHRALLY_SECRET_KEY", required=True)
    )
    if len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "HASHRALLY_SECRET_KEY must be at least 32 characters long (make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )

# Keys that encrypt supporters' personal data (see hashrally/supporters/crypto.py).
if DEBUG:
    HASHRALLY_DATA_KEYS = env_list(
        "HASHRALLY_DATA_KEYS", ["ZGV2ZWxvcG1lbnQta2V5LW5vdC1mb3ItcHJvZC11c2U="]
    )
else:
    HASHRALLY_DATA_KEYS = env_list(
        "HASHRALLY_DATA_KEYS", [k for k in [_development_key("data_key")] if k]
    )
    if not HASHRALLY_DATA_KEYS:
        raise ImproperlyConfigured(
            "HASHRALLY_DATA_KEYS must be set: one or more Fernet keys, newest first "
            "(see docs/operations.md for how to make one)"
        )

ALLOWED_HOSTS = env_list("HASHRALLY_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("HASHRALLY_CSRF_TRUSTED_ORIGINS", [])

# The absolute address of the site, used in share texts and Open Graph tags. Without it the
# address the visitor used is taken, which is right for the demo and behind a correct proxy.
SITE_URL = env_str("HASHRALLY_SITE_URL", "").rstrip("/")

INSTALLED_APPS = [
    "csp",
    "axes",
    # Without autodiscovery: the site's URLs discover the admin modules (site/urls.py), so
    # commands that serve no page (import, collect, the worker) do not load them, 0.1 s of
    # every start (bench/listening.py).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_countries",
    "hashrally.core",
    "hashrally.campaigns",
    "hashrally.supporters",
    "hashrally.listening",
    "hashrally.reports",
    "hashrally.site",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A crowd's repeated anonymous reads are answered here, before sessions and the rest.
    "hashrally.site.middleware.RecentAnswersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "hashrally.campaigns.middleware.LanguageParameterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Organisers log in with a password and a one-time code (django-otp; site/urls.py).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A database that cannot answer gives a 503 with Retry-After, not a 500 (site/middleware.py).
    "hashrally.site.middleware.DatabaseUnavailableMiddleware",
    # Turns a rate-limited request into RATELIMIT_VIEW's 429 instead of a bare 403.
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout answer.
    "axes.middleware.AxesMiddleware",
]

# Organisers' logins (django-axes): after HASHRALLY_LOGIN_FAILURES failed attempts for one
# account, or from one address, that account or address is refused for
# HASHRALLY_LOCKOUT_MINUTES, whatever the password. Attempts are kept in the database, so every
# server process sees them.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The issuer an authenticator app shows beside the organiser's account.
OTP_TOTP_ISSUER = env_str("HASHRALLY_OTP_ISSUER", "hashrally")
AXES_FAILURE_LIMIT = env_int("HASHRALLY_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("HASHRALLY_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hashrally.site.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "hashrally.core.clients.axes_client_ip"

ROOT_URLCONF = "hashrally.site.urls"
WSGI_APPLICATION = "hashrally.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'hashrally.sqlite3'}"),
        conn_max_age=env_int("HASHRALLY_DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while a writer commits; the busy timeout makes concurrent writers
    # wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # OWASP ASVS 2.1.1: at least 12 characters (docs/security.md).
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

# Interface languages. Campaign texts may come in any language the campaign file provides.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("az", _("Azerbaijani")),
    ("tr", _("Turkish")),
    ("ru", _("Russian")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "hashrally_language"
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# In production, static files are collected (`hashrally serve` does it) under names that carry
# their content's hash, so they are cached for a year and a new release is never served stale.
# Elsewhere they are served straight from the app folders: a fresh clone needs no collect step.
STATIC_MANIFEST = env_bool("HASHRALLY_STATIC_MANIFEST", PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "hashrally.core.staticfiles.HashedStaticFiles"
        if STATIC_MANIFEST
        else "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
# Also in production: files not collected yet are still served, under their plain names.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Only organisers have sessions; supporters are remembered by a signed cookie of their own.
SESSION_COOKIE_HTTPONLY = True
# An organiser logs in again (password and code) after this many hours (ASVS 3.3.2, level 2).
SESSION_COOKIE_AGE = env_int("HASHRALLY_SESSION_HOURS", 12) * 3600
CSRF_FAILURE_VIEW = "hashrally.site.views.csrf_failure"
# Served over HTTPS (the site's address says so, or the operator does): cookies only over
# HTTPS, plain HTTP redirected, and browsers told to come back over HTTPS only (HSTS).
HTTPS = env_bool("HASHRALLY_HTTPS", SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = env_bool("HASHRALLY_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = HTTPS
# A proxy's health check may ask over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env_int("HASHRALLY_HSTS_SECONDS", 365 * 24 * 3600) if HTTPS else 0
# includeSubDomains covers names under the campaign's own host only (a.campaign.example.org).
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HASHRALLY_HSTS_SUBDOMAINS", True)
# Preloading is asked for by a registrable domain's owner (hstspreload.org), for the whole
# domain; hashrally usually runs on one host of an organisation's domain, so it is the
# operator's choice, and Django's reminder about it (W021) is silenced.
SECURE_HSTS_PRELOAD = env_bool("HASHRALLY_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# Behind a proxy that ends TLS: the header it sets to say the visitor used HTTPS. Only when the
# proxy always sets (or strips) it, or a visitor could claim HTTPS over plain HTTP.
if env_bool("HASHRALLY_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content security policy (django-csp): scripts and styles from this site only, no inline
# script or style (the one exception is the world map's constant <style>, allowed by its hash),
# nothing loaded from elsewhere, forms sent here or (the share composers, after our redirect)
# to an https address, and no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", worldmap.style_hash()],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'", "https:"],
        "frame-ancestors": ["'none'"],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": env_str("HASHRALLY_LOG_LEVEL", "WARNING")},
}

# Cache: Redis when configured, shared by every worker process (rate limits, cached pages);
# otherwise each process keeps its own, which is right for one process on a laptop.
REDIS_URL = env_str("HASHRALLY_REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "hashrally.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            # A Redis that stops answering costs a request at most this long, not a hang.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # django-ratelimit warns that a per-process cache is not shared; with one process it is.
    SILENCED_SYSTEM_CHECKS += ["django_ratelimit.E003", "django_ratelimit.W001"]

# Per-IP limits on joining. A benchmark may switch them off explicitly (HASHRALLY_RATELIMIT=0).
RATELIMIT_ENABLE = env_bool("HASHRALLY_RATELIMIT", True)
RATELIMIT_VIEW = "hashrally.site.views.rate_limited"
# With Redis down, per-address limits pause rather than refuse everyone (docs/security.md):
# a campaign going viral keeps its joins; the honeypot and the proof of work still stand.
RATELIMIT_FAIL_OPEN = env_bool("HASHRALLY_RATELIMIT_FAIL_OPEN", True)
HASHRALLY_JOIN_RATE = env_str("HASHRALLY_JOIN_RATE", "20/h")
# Behind a reverse proxy, the client address is in a header the proxy sets.
RATELIMIT_IP_META_KEY = env_str("HASHRALLY_CLIENT_IP_HEADER", "REMOTE_ADDR")

# Email: the console in development and the demo; SMTP when HASHRALLY_SMTP_HOST is set.
SMTP_HOST = env_str("HASHRALLY_SMTP_HOST", "")
if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = env_int("HASHRALLY_SMTP_PORT", 587)
    EMAIL_HOST_USER = env_str("HASHRALLY_SMTP_USER", "")
    EMAIL_HOST_PASSWORD = env_str("HASHRALLY_SMTP_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("HASHRALLY_SMTP_STARTTLS", EMAIL_PORT == 587)
    EMAIL_TIMEOUT = 20
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("HASHRALLY_FROM_EMAIL", "hashrally <noreply@localhost>")

# The worker: how often it folds new supporters into the public counts (pages may show counts
# this much plus the page cache's lifetime behind), and how long personal traces are kept.
HASHRALLY_COUNTS_INTERVAL = env_int("HASHRALLY_COUNTS_INTERVAL", 3)
# The most of the worker's time one campaign's recount may take (supporters/counts.py): a
# recount of a million supporters takes about a second, so it runs every 20 s, not every 3 s.
HASHRALLY_RECOUNT_SHARE = env_float("HASHRALLY_RECOUNT_SHARE", 0.05)
HASHRALLY_PAGE_CACHE_SECONDS = env_int("HASHRALLY_PAGE_CACHE_SECONDS", 5)
# How often a wall on a screen asks for new posts (reports/wall.py; at least 5).
HASHRALLY_WALL_REFRESH_SECONDS = env_int("HASHRALLY_WALL_REFRESH_SECONDS", 15)
# The worker also collects live campaigns' posts on each one's schedule ([listening]
# every_minutes); off, collection happens only through `hashrally collect`.
HASHRALLY_COLLECT_ON_SCHEDULE = env_bool("HASHRALLY_COLLECT_ON_SCHEDULE", True)
# A worker holds a collection by a lease in the shared cache, renewed after every page: longer
# than the longest wait between two pages (X's rate-limit window is 15 minutes). A worker that
# dies mid-run holds it this long at most.
HASHRALLY_COLLECT_LEASE_SECONDS = env_int("HASHRALLY_COLLECT_LEASE_SECONDS", 20 * 60)
# Authenticity, top posts and the supporters' section are rebuilt from rows by the worker when
# a campaign's data changed, at most this often (the other figures are counted as posts come).
HASHRALLY_REPORT_EXTRAS_SECONDS = env_int("HASHRALLY_REPORT_EXTRAS_SECONDS", 300)
HASHRALLY_LOCAL_CACHE_SECONDS = env_float("HASHRALLY_LOCAL_CACHE_SECONDS", 1.0)
# Through a database outage, public pages and counts.json are served from their last copy for
# up to this long (core/pagecache.py); joins are refused with 503 and Retry-After meanwhile.
HASHRALLY_STALE_SECONDS = env_int("HASHRALLY_STALE_SECONDS", 24 * 3600)
HASHRALLY_DATABASE_RETRY_SECONDS = env_int("HASHRALLY_DATABASE_RETRY_SECONDS", 2)
HASHRALLY_RETRY_AFTER_SECONDS = env_int("HASHRALLY_RETRY_AFTER_SECONDS", 30)
HASHRALLY_IP_HASH_DAYS = env_int("HASHRALLY_IP_HASH_DAYS", 7)
HASHRALLY_CONFIRM_DAYS = env_int("HASHRALLY_CONFIRM_DAYS", 30)
HASHRALLY_MAIL_MAX_ATTEMPTS = env_int("HASHRALLY_MAIL_MAX_ATTEMPTS", 12)
# Reminders of the campaign moment are queued this many minutes before it (supporters.reminders).
HASHRALLY_REMINDER_MINUTES = env_int("HASHRALLY_REMINDER_MINUTES", 60)
# Updates to supporters go out at most this many a minute (supporters.updates), a pace mail
# providers accept from a new sender.
HASHRALLY_UPDATES_PER_MINUTE = env_int("HASHRALLY_UPDATES_PER_MINUTE", 60)
# A join with a known email mails its owner a link at most once in this many hours.
HASHRALLY_REJOIN_MAIL_HOURS = env_int("HASHRALLY_REJOIN_MAIL_HOURS", 24)
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("HASHRALLY_MAX_BODY_BYTES", 64 * 1024)

# Listening. Base URLs are settings so tests point them at local servers and users at a
# compatible archive. Credentials come from the environment only, never from campaign files.
HASHRALLY_X_API_URL = env_str("HASHRALLY_X_API_URL", "https://api.x.com/2").rstrip("/")
HASHRALLY_X_BEARER_TOKEN = env_str("HASHRALLY_X_BEARER_TOKEN", "")
HASHRALLY_BLUESKY_URL = env_str("HASHRALLY_BLUESKY_URL", "https://bsky.social").rstrip("/")
HASHRALLY_BLUESKY_HANDLE = env_str("HASHRALLY_BLUESKY_HANDLE", "")
HASHRALLY_BLUESKY_APP_PASSWORD = env_str("HASHRALLY_BLUESKY_APP_PASSWORD", "")
