"""Settings from the environment; zero configuration for local work (SQLite, debug on)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    """Read a yes/no variable; anything unclear is refused rather than guessed."""
    value = os.environ.get(name, default).strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


DEBUG = envbool("DJANGO_DEBUG", "true")

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off")
    SECRET_KEY = "local-development-only-not-secret"  # noqa: S105

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "config.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    # The database task backend's tables and `manage.py db_worker`, installed whichever backend
    # runs the tasks, so the migrations are the same everywhere.
    "django_tasks_db",
    "clinic",
    "assessments",
    "rehab",
    "records",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # WhiteNoise answers static files itself: nothing below it sees them.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clinic.security.RefuseNulMiddleware",
    "clinic.security.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clinic.security.SessionLifetimeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "clinic.security.TwoFactorMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # One access record per answered request that shows patient data (clinic/audit.py).
    "clinic.audit.ReadAuditMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        env="DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Refuses any login attempt while the username + address pair is locked out.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, but the session's user comes with "must pass 2FA?" in the same query.
    "clinic.two_factor.TwoFactorAwareBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
FORMAT_MODULE_PATH = ["config.formats"]  # dates read "14 Mar 1992" everywhere
USE_TZ = True

STATIC_URL = "static/"
# Collected files are for production; in debug WhiteNoise serves straight from the finders.
STATIC_ROOT = None if DEBUG else BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files the app keeps (issued PDFs) live under MEDIA_ROOT unless object storage is configured.
# There is no MEDIA_URL route: stored files reach a browser only through the views that check
# access (rehab.documents), never from a public address.
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", "") or BASE_DIR / "media")


def documents_storage(kind: str, media_root: Path) -> dict:
    """Where issued PDFs are stored: ``filesystem`` (one server) or ``s3`` (any S3-compatible
    object store, so several app servers share them)."""
    if kind == "filesystem":
        return {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {
                "location": media_root / "issued-documents",
                "file_permissions_mode": 0o600,
                "directory_permissions_mode": 0o700,
            },
        }
    if kind == "s3":
        bucket = os.environ.get("DJANGO_S3_BUCKET", "")
        if not bucket:
            raise ImproperlyConfigured("DJANGO_S3_BUCKET must be set when documents go to S3")
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "location": os.environ.get("DJANGO_S3_PREFIX", "issued-documents"),
                "endpoint_url": os.environ.get("DJANGO_S3_ENDPOINT_URL", "") or None,
                "region_name": os.environ.get("DJANGO_S3_REGION", "") or None,
                # Empty: boto3's own lookup (AWS_* variables, the instance's role).
                "access_key": os.environ.get("DJANGO_S3_ACCESS_KEY_ID", ""),
                "secret_key": os.environ.get("DJANGO_S3_SECRET_ACCESS_KEY", ""),
                # Private objects, never overwritten; the app streams them, no signed URLs.
                "default_acl": "private",
                "file_overwrite": False,
                "querystring_auth": True,
            },
        }
    raise ImproperlyConfigured(f"DJANGO_DOCUMENTS_STORAGE must be filesystem or s3, not {kind!r}")


STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "issued_documents": documents_storage(
        os.environ.get("DJANGO_DOCUMENTS_STORAGE", "filesystem").strip().lower(), MEDIA_ROOT
    ),
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Patient plan links are printed on PDFs and emailed: they need the public address. Empty: the
# host the PT issues the plan on (validated against ALLOWED_HOSTS); `check --deploy` warns.
PATIENT_LINK_BASE_URL = os.environ.get("DJANGO_PATIENT_LINK_BASE_URL", "")
EMAIL_BACKEND = os.environ.get(
    "DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "clinic@localhost")

# Tasks off the request path (rehab/tasks.py: PDF issue, link emails, the worsening digest), with
# the django-tasks backport; on Django 6 the same TASKS setting drives django.tasks.
#   database (default): the tasks wait in this database; `manage.py db_worker` runs them
#     (`make run` starts one beside the server). SQLite for one machine, PostgreSQL in production.
#   rq: Redis through RQ (`pip install '.[rq]'`; `manage.py rqworker --job-class
#     django_tasks_rq.Job`), DJANGO_TASKS_REDIS_URL.
#   immediate: in the request itself (no worker; tests, or a one-off debugging session).
TASKS_BACKEND = os.environ.get("DJANGO_TASKS_BACKEND", "database")
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"DJANGO_TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, not {TASKS_BACKEND!r}"
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND], "QUEUES": ["default"]}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {
        "default": {
            "URL": os.environ.get("DJANGO_TASKS_REDIS_URL", "redis://127.0.0.1:6379/0"),
            "DEFAULT_TIMEOUT": 300,
        }
    }

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Security: docs/security.md says what each setting protects and which test proves it.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Sessions end after 30 minutes without a request, and 12 hours after login whatever happens
# (clinic.security.SessionLifetimeMiddleware); the cookie dies with the browser.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_MAX_AGE = 12 * 60 * 60


# Several app servers: with REDIS_URL the cache and the sessions are in Redis, shared by every
# instance; without it, each process caches in its own memory and sessions are in the database
# (also shared). Login lockouts and the link's post limit are counted in the database either way.
def redis_cache(url: str) -> dict:
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "clinic",
        # A stalled Redis fails a request in seconds instead of holding a worker.
        "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
    }


REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
    # Sessions expire by Redis's own TTL (SESSION_COOKIE_AGE); Redis must not evict them early
    # (maxmemory-policy noeviction: README, "Configuration").
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Login throttling (django-axes): 5 failures for one username from one address lock that pair
# out for 15 minutes, whether or not the username exists.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "clinic.security.lockout_response"
# Failures and lockouts are rows in the database, so every app server sees the same lockout.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind reverse proxies REMOTE_ADDR is the last proxy's: say how many proxies append to
# X-Forwarded-For, and the client's address is read from there (clinic.security.client_ip).
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "clinic.security.client_ip"

# Two-factor login (django-otp, TOTP) for users of a clinic with require_two_factor.
OTP_TOTP_ISSUER = "Hamstring clinic"
# The admin never shows a device's secret key or its QR code once the device exists.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Content Security Policy (django-csp 4): no inline script or style, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}
if not DEBUG:
    SECURE_SSL_REDIRECT = envbool("DJANGO_SECURE_SSL_REDIRECT", "true")
    # A load balancer asks each instance over plain HTTP: /health/ answers it, not a redirect.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
