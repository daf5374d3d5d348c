"""Settings for the portal, read from the environment with safe development defaults."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no setting from the environment."""
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    """Read a comma-separated setting from the environment."""
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEVELOPMENT_SECRET_KEY = "django-insecure-development-key-change-me-for-anything-reachable-from-outside"
DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    # The development key is public: with it anyone could forge sessions, so production must not start.
    raise ImproperlyConfigured(
        "DJANGO_DEBUG is false but DJANGO_SECRET_KEY is not set (or is the public development key). "
        "Set DJANGO_SECRET_KEY to a long random value, for example the output of "
        "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
    )
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "crispy_forms",
    "crispy_bootstrap5",
    "formtools",
    "ninja",
    "django_tasks_db",
    "axes",
    "portal",
    "credentials",
    "vms",
    "fabric",
    "availability",
    "endpoints",
    "monitor",
    "balancer",
    "applications",
    "maintenance",
    "console",
    "api",
    "classic",
]

MIDDLEWARE = [
    "portal.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.SubscriptionMiddleware",
    "portal.middleware.PrivatePagesMiddleware",
    "portal.middleware.PermissionsPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

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
                "portal.context_processors.shell",
            ],
        },
    },
]

# Persistent connections: in production each web and worker process keeps its connection for a minute instead of
# opening one per request (checked before reuse, so a restarted database costs one failed check, not an error).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0" if DEBUG else "60")),
        conn_health_checks=env_bool("DATABASE_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # A file rather than memory, so that the browser tests' server and worker threads share it safely.
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME", str(BASE_DIR / "test-db.sqlite3"))}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameters let psycopg prepare a statement the second time a connection runs it, so PostgreSQL
    # plans each of the portal's queries once per connection: a dashboard's eleven-table join costs ~3 ms to plan
    # and ~0.3 ms to run.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=env_bool("DATABASE_SERVER_SIDE_BINDING", True),
        prepare_threshold=int(os.environ.get("DATABASE_PREPARE_THRESHOLD", "2")),
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # django-axes refuses sign-in attempts while a user name or an address is locked out.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "vms:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
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
# Request size: the whole body (files included) is refused with 413 above MAX_REQUEST_BYTES; form fields other than
# files may take DATA_UPLOAD_MAX_MEMORY_SIZE; uploads within the limit stay in memory, so none is spooled to disk.
MAX_REQUEST_BYTES = int(os.environ.get("PORTAL_MAX_REQUEST_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(256 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("FILE_UPLOAD_MAX_MEMORY_SIZE", str(MAX_REQUEST_BYTES)))
DATA_UPLOAD_MAX_NUMBER_FILES = int(os.environ.get("DATA_UPLOAD_MAX_NUMBER_FILES", "10"))

# Uploaded SSH certificates wait here between the wizard's pages; they are public keys.
WIZARD_UPLOAD_ROOT = Path(os.environ.get("WIZARD_UPLOAD_ROOT", BASE_DIR / "var" / "wizard-uploads"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# The simulated fabric: how long provisioning and power operations take, and when an
# operation that a worker picked up but never finished counts as lost.
FABRIC_OPERATION_SECONDS = float(os.environ.get("FABRIC_OPERATION_SECONDS", "4"))
OPERATION_TIMEOUT_SECONDS = int(os.environ.get("OPERATION_TIMEOUT_SECONDS", "120"))
OPERATION_MAX_ATTEMPTS = int(os.environ.get("OPERATION_MAX_ATTEMPTS", "2"))
# How often the worker's schedule looks for lost operations and task rows whose worker died.
OPERATION_SWEEP_SECONDS = float(os.environ.get("OPERATION_SWEEP_SECONDS", "5"))
# The worker's longest wait between two attempts to reach a database that went away.
WORKER_RECONNECT_MAX_SECONDS = float(os.environ.get("WORKER_RECONNECT_MAX_SECONDS", "30"))
FABRIC_FAILURE_RATE = float(os.environ.get("FABRIC_FAILURE_RATE", "0"))
# Libvirt hosts: how long a guest has to power off on ACPI before its plug is pulled, how long a started domain has to
# be running, how long a worker's lease on a host lasts without a heartbeat, and a probe's timeout.
FABRIC_SHUTDOWN_TIMEOUT_SECONDS = float(os.environ.get("FABRIC_SHUTDOWN_TIMEOUT_SECONDS", "30"))
FABRIC_START_TIMEOUT_SECONDS = float(os.environ.get("FABRIC_START_TIMEOUT_SECONDS", "30"))
# Host maintenance: how long a simulated host takes to reboot, and how often a libvirt host is asked whether it answers.
MAINTENANCE_SIMULATED_REBOOT_SECONDS = float(os.environ.get("MAINTENANCE_SIMULATED_REBOOT_SECONDS", "3"))
MAINTENANCE_HOST_POLL_SECONDS = float(os.environ.get("MAINTENANCE_HOST_POLL_SECONDS", "2"))
FABRIC_LEASE_SECONDS = float(os.environ.get("FABRIC_LEASE_SECONDS", "10"))
FABRIC_PROBE_TIMEOUT_SECONDS = float(os.environ.get("FABRIC_PROBE_TIMEOUT_SECONDS", "1"))
# The shortest probe interval a load-balanced set may have; lower it only for demonstrations and browser tests.
# The monitor: how often the worker samples every VM, and how long raw samples and 5-minute roll-ups are kept.
MONITOR_SAMPLE_SECONDS = float(os.environ.get("MONITOR_SAMPLE_SECONDS", "60"))
MONITOR_RAW_RETENTION_HOURS = int(os.environ.get("MONITOR_RAW_RETENTION_HOURS", "24"))
MONITOR_ROLLUP_RETENTION_DAYS = int(os.environ.get("MONITOR_ROLLUP_RETENTION_DAYS", "30"))
ENDPOINT_PROBE_MIN_INTERVAL_SECONDS = int(os.environ.get("ENDPOINT_PROBE_MIN_INTERVAL_SECONDS", "5"))
# How often the worker renders each load balancer's configuration and applies it when it changed.
LOAD_BALANCER_APPLY_SECONDS = float(os.environ.get("LOAD_BALANCER_APPLY_SECONDS", "2"))
# The connections each region's HAProxy may hold at once (its global maxconn).
LOAD_BALANCER_MAXCONN = int(os.environ.get("LOAD_BALANCER_MAXCONN", "4096"))
# Before a planned operation on a member behind a load balancer: how long its current sessions may take to end, and
# after it, how long the portal waits for the machine to answer its probe before putting it back in any case.
LOAD_BALANCER_DRAIN_SECONDS = float(os.environ.get("LOAD_BALANCER_DRAIN_SECONDS", "30"))
LOAD_BALANCER_READY_SECONDS = float(os.environ.get("LOAD_BALANCER_READY_SECONDS", "60"))

# The classic Service Management API answers under this path (the SDK's host may carry it: "HOST:PORT/sms").
CLASSIC_API_PREFIX = os.environ.get("CLASSIC_API_PREFIX", "sms").strip("/") + "/"
# How long Get Operation Status can report a request (the platform kept them for 48 hours).
CLASSIC_REQUEST_RETENTION_HOURS = int(os.environ.get("CLASSIC_REQUEST_RETENTION_HOURS", "48"))
# Management certificates: a TLS proxy that verifies client certificates passes the SHA-1 thumbprint in this
# header; it is believed only from these addresses or networks (none by default, which turns certificates off).
CLASSIC_CERTIFICATE_HEADER = os.environ.get("CLASSIC_CERTIFICATE_HEADER", "X-Client-Cert-Thumbprint")
CLASSIC_TRUSTED_PROXIES = env_list("CLASSIC_TRUSTED_PROXIES", "")

PAGE_SIZE = int(os.environ.get("PORTAL_PAGE_SIZE", "25"))
# Rendered table rows each web process remembers (portal/fragments.py): about a kilobyte each.
ROW_CACHE_SIZE = int(os.environ.get("PORTAL_ROW_CACHE_SIZE", "20000"))

# Sign-in throttling (django-axes): after SIGNIN_FAILURE_LIMIT failures for one user name, or from one address,
# further attempts are refused for SIGNIN_COOLOFF_MINUTES. Staff see and clear lockouts under Axes in /admin/.
AXES_FAILURE_LIMIT = int(os.environ.get("PORTAL_SIGNIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("PORTAL_SIGNIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# A success does not wipe the failures: otherwise a sign-in to one's own account from an address would clear the
# count of guesses at another account from it.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "portal.signin.signin_locked_out"
AXES_CLIENT_IP_CALLABLE = "portal.signin.client_ip_address"
AXES_VERBOSE = False
# Behind a reverse proxy, the header it sets to the client's address (e.g. X-Forwarded-For); trusted only when set.
CLIENT_IP_HEADER = os.environ.get("PORTAL_CLIENT_IP_HEADER", "").strip()

# Content-Security-Policy (Django's own middleware): scripts and styles come only from the portal's static files.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
# Browser features the portal never uses, switched off for every page.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}
# The JSON API: requests each token may make per window (0 turns the limit off), counted in the database so that
# every web process shares one count; and how long an Idempotency-Key's first answer is kept.
API_RATE_LIMIT = int(os.environ.get("API_RATE_LIMIT", "120"))
API_RATE_WINDOW_SECONDS = int(os.environ.get("API_RATE_WINDOW_SECONDS", "60"))
API_IDEMPOTENCY_HOURS = int(os.environ.get("API_IDEMPOTENCY_HOURS", "24"))

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
