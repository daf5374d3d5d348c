"""Settings for the HTTP benchmark's gunicorn: production settings served over plain HTTP on 127.0.0.1.

Only benchmarks/run.py uses this module. It mounts the floor view (benchmarks/urls.py) beside the portal's URLs
and keeps static files unhashed, so no collectstatic is needed.
"""

from __future__ import annotations

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.urls"
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
