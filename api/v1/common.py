"""What every route of the API shares: the token's subscription, errors, answers and idempotent creates."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Header, Path, Query, Schema
from ninja.responses import NinjaJSONEncoder
from pydantic import Field

from api.errors import ApiError, Refusal, api_error_from_refusals, api_error_from_validation
from api.idempotency import Answer, idempotent, request_fingerprint
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, paginate, primary_key
from api.schemas import MAX_ID, Error
from credentials.models import ApiToken
from portal.models import Subscription
from vms.models import Region, RoleSize

# What django-ninja's JSON renderer answers with.
JSON_CONTENT_TYPE = "application/json; charset=utf-8"

# The portal's own word for a choice that is not among those offered: a foreign id reads exactly like an unknown one.
INVALID_CHOICE = forms.ModelChoiceField.default_error_messages["invalid_choice"]


def idempotency_key_header():
    """The optional Idempotency-Key header of a create: printable ASCII, up to 255 characters."""
    return Header(
        None,
        alias="Idempotency-Key",
        description="Repeat a create safely: the same key with the same request returns the first answer.",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
    )


class PageQuery(Schema):
    cursor: str | None = Field(None, max_length=200, pattern=r"^[A-Za-z0-9_-]*$")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


PageParams = Query[PageQuery]


def token_of(request: HttpRequest) -> ApiToken:
    return request.auth


def subscription_of(request: HttpRequest) -> Subscription:
    """The subscription the request's token acts in: nothing outside it exists for the request."""
    return request.auth.subscription


def page_out(queryset: QuerySet, params: PageQuery, represent: Callable[[Model], dict]) -> dict:
    """Return one page of a list, each row as the API shows it."""
    page: Page = paginate(queryset, cursor=params.cursor, limit=params.limit, key=primary_key)
    return {"items": [represent(item) for item in page.items], "next_cursor": page.next_cursor}


def page_response(
    keys: QuerySet,
    params: PageQuery,
    rows_of: Callable[[QuerySet], QuerySet],
    represent: Callable[[tuple], dict],
    key: Callable[[tuple], int],
) -> HttpResponse:
    """Answer one page of a hot list as JSON directly, serialized once as every answer is.

    `keys` chooses the page's rows and `rows_of` reads them as plain values already shaped like the response
    schema (the tests hold the body byte-identical to the schema-validated one): no model instance, no per-row
    validation.
    """
    page: Page = paginate(keys, cursor=params.cursor, limit=params.limit, key=key, rows_of=rows_of)
    body = {"next_cursor": page.next_cursor, "items": [represent(item) for item in page.items]}
    return HttpResponse(json.dumps(body, cls=NinjaJSONEncoder), content_type=JSON_CONTENT_TYPE)


def refuse(error: ValidationError, **rename: str) -> ApiError:
    """Turn a service's ValidationError into the API's error, renaming service fields to request fields."""
    return api_error_from_validation(error, rename=rename)


def form_refusal(form: forms.Form, **rename: str) -> ApiError:
    """Turn a portal form's errors into the API's error, with the form's own messages."""
    refusals = [
        Refusal(None if field == "__all__" else rename.get(field, field), error.code or "invalid", message)
        for field, errors in form.errors.as_data().items()
        for error in errors
        for message in error
    ]
    return api_error_from_refusals(refusals)


class Choices:
    """Resolve the ids and names a request refers to, collecting a field message for each that is not offered."""

    def __init__(self) -> None:
        self.refusals: list[Refusal] = []

    def one(self, queryset: QuerySet, field: str, **lookup) -> Model | None:
        """Return the row the lookup finds in the queryset, or record the portal's invalid-choice message."""
        if any(value is None for value in lookup.values()):
            return None
        found = queryset.filter(**lookup).first()
        if found is None:
            self.refusals.append(Refusal(field, "invalid_choice", INVALID_CHOICE))
        return found

    def region(self, name: str | None, field: str = "region") -> Region | None:
        return self.one(Region.objects.all(), field, name=name)

    def size(self, name: str | None, field: str = "size") -> RoleSize | None:
        return self.one(RoleSize.objects.all(), field, name=name)

    def refuse(self, field: str, message: str, code: str = "invalid") -> None:
        self.refusals.append(Refusal(field, code, message))

    def check(self) -> None:
        """Raise the collected refusals as one 400, if there are any."""
        if self.refusals:
            raise api_error_from_refusals(self.refusals)


def json_answer(answer: Answer, *, replayed: bool = False) -> JsonResponse:
    response = JsonResponse(answer.body, status=answer.status)
    if answer.location:
        response["Location"] = answer.location
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def create_once(request: HttpRequest, key: str | None, create: Callable[[], Answer]) -> JsonResponse:
    """Run a create, or with an Idempotency-Key already used by this token replay its first answer."""
    fingerprint = request_fingerprint(request.method, request.path, request.body)
    answer, replayed = idempotent(token=token_of(request), key=key, fingerprint=fingerprint, create=create)
    return json_answer(answer, replayed=replayed)


def dump(schema: type[Schema], data: Mapping) -> dict:
    """Validate a representation against its schema and return it as JSON values, encoded as every answer is."""
    return json.loads(json.dumps(schema.model_validate(dict(data)).model_dump(), cls=NinjaJSONEncoder))


def errors(*statuses: int) -> dict:
    """The error answers an operation documents: those every call can get, and the ones named."""
    return {status: Error for status in sorted({400, 401, 404, 429, *statuses})}


def id_path():
    """A path's id: a positive integer that fits a database key."""
    return Path(..., ge=1, le=MAX_ID)
