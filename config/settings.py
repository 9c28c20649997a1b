"""CourseDesk settings, read from the environment. See README.md for every variable."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import email_settings, env_bool, env_list, secret_key_from

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = secret_key_from(VAR_DIR)
# Encrypts creators' payment keys at rest; defaults to a key derived from SECRET_KEY.
FIELD_ENCRYPTION_KEY = os.environ.get("FIELD_ENCRYPTION_KEY", "")
DEBUG = env_bool("DEBUG", False)
PORT = int(os.environ.get("PORT", "8000"))
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
SITE_URL = os.environ.get("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
# Rendered customer profiles each process keeps, keyed by everything they show
# (coursedesk/desk/rendered.py); 0 keeps none.
DESK_PROFILES_KEPT = int(os.environ.get("DESK_PROFILES_KEPT", "500"))
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", SITE_URL if SITE_URL.startswith("https") else "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "ninja",
    "coursedesk.core",
    "coursedesk.accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "coursedesk.catalog",
    "coursedesk.customers",
    "coursedesk.billing",
    "coursedesk.mail",
    "coursedesk.audit",
    "coursedesk.integrations",
    "coursedesk.desk",
    "coursedesk.studio",
    "coursedesk.classroom",
    "coursedesk.api",
    "coursedesk.ops",
    "django_prometheus",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "coursedesk.ops.requests.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "coursedesk.core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "coursedesk.core.middleware.ControlCharacterMiddleware",
    "coursedesk.accounts.middleware.ActingMemberMiddleware",
    # The API (bearer tokens, no state between requests) skips what only pages read.
    "coursedesk.core.middleware.SessionOutsideApi",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",  # its exact name: the deploy check looks for it
    "coursedesk.accounts.middleware.AuthenticationOutsideApi",
    "coursedesk.core.middleware.CreatorPagesNoStoreMiddleware",
    "coursedesk.core.replica.ReadYourWritesMiddleware",
    "coursedesk.usecases.display.CreatorDisplayMiddleware",
    "coursedesk.classroom.auth.StudentSessionMiddleware",
    "coursedesk.classroom.auth.StudentViewReadOnlyMiddleware",
    "coursedesk.core.middleware.MessagesOutsideApi",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

_CONTEXT_PROCESSORS = [
    "django.template.context_processors.request",
    "django.contrib.auth.context_processors.auth",
    "django.contrib.messages.context_processors.messages",
    "coursedesk.core.context_processors.coursedesk",
    "coursedesk.accounts.context_processors.team",
]
TEMPLATES = [
    # CourseDesk's pages (see config/templates.py).
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "NAME": "jinja2",
        "DIRS": [BASE_DIR / "coursedesk" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "config.templates.environment",
            "context_processors": [
                *_CONTEXT_PROCESSORS,
                "coursedesk.core.context_processors.csrf_once",
                "coursedesk.core.context_processors.page_addresses",
            ],
        },
    },
    # The admin's and the API documentation's pages, and form widgets.
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": _CONTEXT_PROCESSORS},
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'coursedesk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, converting each statement's placeholders once (coursedesk/core/sqlite).
    DATABASES["default"]["ENGINE"] = "coursedesk.core.sqlite"
    # Tests run in memory, as on Django's own SQLite backend (named here: test runners recognise
    # that backend by its module's name alone).
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Kept open between requests (60 s, as on PostgreSQL): opening one costs a request more than
    # its queries (the file, the PRAGMAs below and reading the schema again). Each thread has its own.
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at the
        # start of a transaction so two writers queue instead of failing half-way.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, checking a kept connection without a round trip (coursedesk/core/postgresql).
    DATABASES["default"]["ENGINE"] = "coursedesk.core.postgresql"
# psycopg 3's connection pool, one per process (DATABASE_POOL=true, or a maximum size). It keeps
# connections open between requests instead of CONN_MAX_AGE; see README "Running at scale".
DATABASE_POOL = os.environ.get("DATABASE_POOL", "").strip().lower()
if DATABASE_POOL and DATABASE_POOL not in {"0", "false", "no", "off"}:
    if DATABASES["default"]["ENGINE"] != "coursedesk.core.postgresql":
        raise ImproperlyConfigured("DATABASE_POOL needs a PostgreSQL DATABASE_URL.")
    pool = {"min_size": 1, "max_size": int(DATABASE_POOL) if DATABASE_POOL.isdigit() else 4, "timeout": 10}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = pool
# The profile's queries run as prepared statements on PostgreSQL (planned once per connection).
# Turn off behind a PgBouncer older than 1.21 in transaction mode, which cannot keep them.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
# A streaming replica for the heavy reads (search, lists, activity, Teach, CSV); see core/replica.py.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
DATABASE_REPLICA_MAX_LAG = float(os.environ.get("DATABASE_REPLICA_MAX_LAG", "30"))
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True
    )
    if DATABASES["replica"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["replica"]["ENGINE"] = "coursedesk.core.postgresql"
    # A replica that does not answer within 2 s is skipped rather than waited for.
    DATABASES["replica"]["OPTIONS"] = {"connect_timeout": 2}
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["coursedesk.core.replica.ReplicaRouter"]
# PgBouncer in transaction mode cannot keep a session's advisory lock: the scheduler's lock then
# needs a direct connection to the primary (defaults to DATABASE_URL).
SCHEDULER_DATABASE_URL = os.environ.get("SCHEDULER_DATABASE_URL", "")
# Parallel test runs against one PostgreSQL server each get their own test database.
if os.environ.get("TEST_DATABASE_SUFFIX"):
    DATABASES["default"]["TEST"] = {"NAME": f"test_coursedesk_{os.environ['TEST_DATABASE_SUFFIX']}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.Creator"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "desk:activity"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60

# --- Email -----------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "console:")
_email = email_settings(EMAIL_URL)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_FILE_PATH = _email.get("EMAIL_FILE_PATH")
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email.get("EMAIL_TIMEOUT")
ANYMAIL = _email.get("ANYMAIL", {})
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "CourseDesk <no-reply@coursedesk.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks ------------------------------------------------------------------------
TASKS_BACKEND = os.environ.get("TASKS_BACKEND", "database")
TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
            "dummy": "django_tasks.backends.dummy.DummyBackend",
        }[TASKS_BACKEND],
        "QUEUES": ["default"],
    }
}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}

# Queued emails that no worker sent this many seconds after queuing are sent by the scheduler.
EMAIL_LOST_AFTER = float(os.environ.get("EMAIL_LOST_AFTER", "300"))

# A worker (`run_worker`) renews its lease every TASK_LEASE_RENEW_SECONDS; a task whose worker has not
# renewed it for TASK_LEASE_SECONDS is handed to another worker. A task of a worker without a lease
# (plain `db_worker`) is handed back after TASK_UNLEASED_LIMIT_SECONDS of running.
TASK_LEASE_RENEW_SECONDS = float(os.environ.get("TASK_LEASE_RENEW_SECONDS", "5"))
TASK_LEASE_SECONDS = float(os.environ.get("TASK_LEASE_SECONDS", "30"))
TASK_UNLEASED_LIMIT_SECONDS = float(os.environ.get("TASK_UNLEASED_LIMIT_SECONDS", "900"))

# --- Cache (sign-in throttling lives here; use a shared cache with several processes) ------
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith("redis"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "coursedesk_cache",
        }
    }

# --- Static and media ------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "coursedesk" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Uploaded files live under a MEDIA_ROOT that every web node shares (NFS or the like), or in
# S3-compatible storage through django-storages when AWS_STORAGE_BUCKET_NAME is set (with
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, and AWS_S3_ENDPOINT_URL for a service other than AWS).
AWS_STORAGE_BUCKET_NAME = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
if AWS_STORAGE_BUCKET_NAME:
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
    AWS_S3_ENDPOINT_URL = os.environ.get("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = os.environ.get("AWS_S3_REGION_NAME") or None
    AWS_S3_CUSTOM_DOMAIN = os.environ.get("AWS_S3_CUSTOM_DOMAIN") or None
    AWS_DEFAULT_ACL = None
    AWS_S3_FILE_OVERWRITE = False
    MEDIA_URL = os.environ.get("MEDIA_URL", MEDIA_URL)
WHITENOISE_USE_FINDERS = DEBUG
if WHITENOISE_USE_FINDERS:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- Security --------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# ModelBackend, with the signed-in person read by a query compiled once (coursedesk/accounts/backends.py).
AUTHENTICATION_BACKENDS = ["coursedesk.accounts.backends.CreatorBackend"]
# Django's database sessions, looked up by a query compiled once (coursedesk/accounts/sessions.py).
SESSION_ENGINE = "coursedesk.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
HTTPS = env_bool("HTTPS", SITE_URL.startswith("https://"))
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000" if HTTPS else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", HTTPS)
# Behind a balancer: HTTPS from X-Forwarded-Proto, the client's address from X-Forwarded-For.
BEHIND_PROXY = env_bool("BEHIND_PROXY", False)
# How many reverse proxies (balancer, nginx) add themselves to X-Forwarded-For in front of CourseDesk:
# the client's address is that many entries from the right. 0 (the default without BEHIND_PROXY)
# reads REMOTE_ADDR. Sign-in throttling counts per client address, so set it right behind a proxy.
# An account with 5 failed sign-ins (from any addresses) still signs in, after this delay.
SIGNIN_ACCOUNT_DELAY_SECONDS = float(os.environ.get("SIGNIN_ACCOUNT_DELAY_SECONDS", "1"))
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "1" if BEHIND_PROXY else "0"))
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True

# --- Payments --------------------------------------------------------------------------------
# Stripe's API base; tests point it at a fake Stripe server on loopback.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")

# --- Outbound webhooks ----------------------------------------------------------------------
# Development and tests only: lets webhooks go to http:// and to private, loopback and link-local
# addresses (a receiver on this machine). Off in production, where that would let anyone who adds
# an endpoint probe the internal network.
OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = env_bool("OUTBOUND_WEBHOOKS_ALLOW_PRIVATE_NETWORKS", False)

# --- Internationalisation --------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Operations ------------------------------------------------------------------------------
# /metrics answers a bearer METRICS_TOKEN, or these client addresses; anyone else gets a 404.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", "")

# LOG_FORMAT=json: one JSON object a line, each with the request id (also with LOG_REQUESTS, a line
# per request).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "coursedesk.ops.requests.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "coursedesk.ops.json_logs.CourseDeskJsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "coursedesk.request": {
            "level": "INFO" if LOG_FORMAT == "json" or env_bool("LOG_REQUESTS", False) else "WARNING"
        },
    },
}
