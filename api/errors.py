"""One shape for every error the API returns: {code, message, fields}, and which status each refusal earns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portal.errors import CONFLICT_CODES

INVALID = "invalid"
MANY_ERRORS = "The request has errors; each field says what to fix."


class ApiError(Exception):
    """An error answer: its HTTP status and the body every error shares."""

    def __init__(
        self, status: int, code: str, message: str, fields: Mapping[str, list[str]] | None = None, **headers: str
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = headers

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "fields": self.fields}


class Refusal(NamedTuple):
    field: str | None
    code: str
    message: str


def _refusals(error: ValidationError) -> list[Refusal]:
    """Flatten a service's ValidationError into (field, code, message) triples, non-field ones under None."""
    if hasattr(error, "error_dict"):
        refusals = []
        for field, errors in error.error_dict.items():
            for item in errors:
                for message in item:
                    refusals.append(
                        Refusal(None if field == NON_FIELD_ERRORS else field, item.code or INVALID, message)
                    )
        return refusals
    return [Refusal(None, item.code or INVALID, next(iter(item))) for item in error.error_list]


def api_error_from_validation(error: ValidationError, *, rename: Mapping[str, str] | None = None) -> ApiError:
    """Turn a service's refusal into the API's error, with the portal's own wording beside each field.

    Fields keep the service's names unless `rename` maps one to the name the request used. A conflict with the
    state of things (a busy VM, a taken name) is 409; everything else is the request's fault, 400.
    """
    rename = rename or {}
    refusals = _refusals(error)
    return api_error_from_refusals(
        [Refusal(rename.get(r.field, r.field) if r.field else None, r.code, r.message) for r in refusals]
    )


def api_error_from_refusals(refusals: Iterable[Refusal]) -> ApiError:
    """Build one error from several refusals: 409 when any is a conflict, the first one's code and message."""
    refusals = list(refusals)
    fields: dict[str, list[str]] = {}
    for refusal in refusals:
        if refusal.field:
            fields.setdefault(refusal.field, []).append(refusal.message)
    conflicts = [refusal for refusal in refusals if refusal.code in CONFLICT_CODES]
    lead = (conflicts or refusals or [Refusal(None, INVALID, MANY_ERRORS)])[0]
    message = lead.message if len(refusals) == 1 or lead.field is None else MANY_ERRORS
    return ApiError(409 if conflicts else 400, lead.code, message, fields)
