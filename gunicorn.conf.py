"""gunicorn's settings for the portal, read by `gunicorn portal.wsgi` when run from this folder.

gunicorn names itself in a `Server` header on every answer and has no setting to stop it; the portal does not
advertise the software it runs on, so the header is left out here.
"""

from __future__ import annotations

from gunicorn.http import wsgi


class Response(wsgi.Response):
    """gunicorn's response without its Server header."""

    def default_headers(self) -> list[str]:
        return [line for line in super().default_headers() if not line.lower().startswith("server:")]


wsgi.Response = Response
