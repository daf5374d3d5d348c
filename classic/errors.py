"""The classic API's errors: an HTTP status, the platform's error code, and a message a person can act on."""

from __future__ import annotations


class ApiError(Exception):
    status = 400

    def __init__(self, message: str, code: str = "BadRequest", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        if status is not None:
            self.status = status


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404

    def __init__(self, message: str, code: str = "ResourceNotFound") -> None:
        super().__init__(message, code)


class Conflict(ApiError):
    status = 409

    def __init__(self, message: str, code: str = "ConflictError") -> None:
        super().__init__(message, code)


class TooManyRequests(ApiError):
    """The caller's token went over its rate limit: wait `retry_after` seconds."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"This token made too many requests; wait {retry_after} seconds, then try again.", code="TooManyRequests"
        )
        self.retry_after = retry_after
