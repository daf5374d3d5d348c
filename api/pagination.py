"""Cursor pagination: a page is the rows after the last one seen, in primary-key order, one query per page."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import NamedTuple

from django.db.models import QuerySet

from api.errors import ApiError

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
BAD_CURSOR = "This cursor is not one the API gave out; start again without it."


class Page(NamedTuple):
    items: list
    next_cursor: str | None


def cursor_encode(after: int) -> str:
    """Return an opaque cursor that continues after the row with this primary key."""
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> int:
    """Return the primary key a cursor continues after; refuse anything the API did not make."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        after = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))["after"]
    except (ValueError, KeyError, TypeError, UnicodeEncodeError, binascii.Error) as error:
        raise ApiError(400, "invalid_cursor", BAD_CURSOR, {"cursor": [BAD_CURSOR]}) from error
    if not isinstance(after, int) or isinstance(after, bool) or not 0 <= after < 2**63:
        raise ApiError(400, "invalid_cursor", BAD_CURSOR, {"cursor": [BAD_CURSOR]})
    return after


def primary_key(row) -> int:
    return row.pk


def paginate(
    queryset: QuerySet,
    *,
    cursor: str | None,
    limit: int,
    key: Callable[[object], int] = primary_key,
    rows_of: Callable[[QuerySet], QuerySet] | None = None,
) -> Page:
    """Return up to `limit` rows after the cursor, and the cursor of the next page when there is one.

    `key` reads a row's primary key: a model instance's pk by default, or a column of a values_list row. With
    `rows_of`, the queryset only chooses the page's primary keys (from its filter's index alone, as a subquery) and
    `rows_of(keys)` reads those rows with their joins: still one query, and no planner can start the joins from a
    small table and sort the whole list instead (SQLite does, for a values_list whose columns a small table's
    index covers).
    """
    rows = queryset.order_by("pk")
    if cursor:
        rows = rows.filter(pk__gt=cursor_decode(cursor))
    if rows_of is not None:
        rows = rows_of(rows.values("pk")[: limit + 1])
    items = list(rows[: limit + 1])
    if len(items) > limit:
        items = items[:limit]
        return Page(items, cursor_encode(key(items[-1])))
    return Page(items, None)
