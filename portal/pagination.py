"""Keyset pagination: each page starts from the last row of the one before, so an index serves every page alike.

An offset makes the database walk past every earlier row, so the thousandth page costs a thousand times the first;
a page that starts after a known (sort key, pk) pair costs the same wherever it is. The links are First, Previous,
Next and Last; Last reads the index from its other end.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

AFTER, BEFORE, LAST = "after", "before", "last"


@dataclass(frozen=True)
class KeysetListing:
    """One page of rows with links to the first, previous, next and last pages ("" where there is none)."""

    rows: list
    first_url: str
    previous_url: str
    next_url: str
    last_url: str

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.previous_url or self.next_url)

    def map(self, convert: Callable[[list], Iterable]) -> KeysetListing:
        """Return the same page with its rows converted, e.g. from values into a list's row tuples."""
        return replace(self, rows=list(convert(self.rows)))


def keyset_paginate(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    key: str,
    descending: bool = False,
    page_size: int,
    prefix: str = "",
) -> KeysetListing:
    """Return the page the request's cursor asks for, ordered by (key, pk), ascending or descending.

    prefix names the cursor's parameters (e.g. "groups_after") when a page holds more than one list.
    """
    after, before, last = (f"{prefix}{name}" for name in (AFTER, BEFORE, LAST))
    model = queryset.model
    direction = "-" if descending else ""
    forward = [f"{direction}{key}", f"{direction}pk"]
    backward = [f"{'' if descending else '-'}{key}", f"{'' if descending else '-'}pk"]
    cursor_kind, cursor = _cursor(request, model, key, prefix)

    if cursor_kind == AFTER:
        rows = list(queryset.filter(_beyond(key, cursor, descending)).order_by(*forward)[: page_size + 1])
        has_previous, has_next = True, len(rows) > page_size
        rows = rows[:page_size]
    elif cursor_kind == BEFORE:
        rows = list(queryset.filter(_beyond(key, cursor, not descending)).order_by(*backward)[: page_size + 1])
        has_previous, has_next = len(rows) > page_size, True
        rows = rows[:page_size][::-1]
    elif cursor_kind == LAST:
        rows = list(queryset.order_by(*backward)[: page_size + 1])
        has_previous, has_next = len(rows) > page_size, False
        rows = rows[:page_size][::-1]
    else:
        rows = list(queryset.order_by(*forward)[: page_size + 1])
        has_previous, has_next = False, len(rows) > page_size
        rows = rows[:page_size]

    def link(kind: str = "", value: str = "") -> str:
        query = request.GET.copy()
        for name in (after, before, last):
            query.pop(name, None)
        if kind:
            query[kind] = value
        encoded = query.urlencode()
        return f"{request.path}?{encoded}" if encoded else request.path

    return KeysetListing(
        rows=rows,
        first_url=link() if has_previous else "",
        previous_url=link(before, _encode(rows[0], key)) if has_previous and rows else "",
        next_url=link(after, _encode(rows[-1], key)) if has_next and rows else "",
        last_url=link(last, "1") if has_next else "",
    )


def _beyond(key: str, cursor: tuple, descending: bool) -> Q:
    """Rows after the cursor in (key, pk) order: `key >= v` lets the index start there; the rest is a filter."""
    value, pk = cursor
    if descending:
        return Q(**{f"{key}__lte": value}) & (Q(**{f"{key}__lt": value}) | Q(**{key: value, "pk__lt": pk}))
    return Q(**{f"{key}__gte": value}) & (Q(**{f"{key}__gt": value}) | Q(**{key: value, "pk__gt": pk}))


def _encode(row: Model, key: str) -> str:
    value = getattr(row, key)
    text = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, row.pk])
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _cursor(request: HttpRequest, model: type[Model], key: str, prefix: str) -> tuple[str, tuple | None]:
    """Read the page's cursor; a missing or malformed one means the first page."""
    if request.GET.get(f"{prefix}{LAST}"):
        return LAST, None
    for kind in (AFTER, BEFORE):
        raw = request.GET.get(f"{prefix}{kind}")
        if not raw:
            continue
        try:
            value, pk = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            return kind, (model._meta.get_field(key).to_python(value), model._meta.pk.to_python(pk))
        except (ValueError, TypeError, ValidationError):
            return "", None
    return "", None
