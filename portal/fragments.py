"""Fragments rendered once per distinct content: a table row, or a part of the shell, is a pure function of the plain
values it shows.

A list page of fifty rows spends most of its time in the template engine, rendering the same rows it rendered on
the last request (the list polls every two seconds while anything is busy, and most rows do not change between
views); every page renders the same New drawer and navigation. `render_rows` renders a row partial with nothing in
its context but the row, a tuple of plain values (strings, numbers, dates, flags), and `render_pure` a partial with
nothing but the values it is given; both remember the result under those values. A changed value is a different key
and renders anew, so nothing is ever stale and nothing needs invalidating. A model instance hashes by its primary
key alone, so it could hide a change: values that hold one are refused.

Each process keeps at most ROW_CACHE_SIZE fragments (least recently used go first); URL reversal is part of a
fragment's output, so the URLconf and script prefix are part of the key.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe

PLAIN_TYPES = (
    str,
    int,
    float,
    Decimal,
    bool,
    type(None),
    datetime.date,
    datetime.time,
    datetime.timedelta,
    enum.Enum,
)


def render_rows(template_name: str, rows: Iterable[tuple]) -> SafeString:
    """Render each row with the named template (a `page.html#partial` one) as `row`, reusing rows already rendered."""
    prefix, urlconf = get_script_prefix(), get_urlconf()
    return mark_safe("".join([_render(template_name, (("row", row),), prefix, urlconf) for row in rows]))  # noqa: S308


def render_pure(template_name: str, **values) -> SafeString:
    """Render the named template with only these values in its context, reusing what was rendered for them before."""
    return _render(template_name, tuple(sorted(values.items())), get_script_prefix(), get_urlconf())


def check_plain(values: tuple) -> None:
    """Refuse values that a tuple's hash and equality would not fully compare: anything but plain values."""
    if not isinstance(values, tuple):
        raise TypeError(f"Expected a tuple of plain values, not {type(values).__name__}.")
    for value in values:
        if isinstance(value, tuple):
            check_plain(value)
        elif not isinstance(value, PLAIN_TYPES):
            raise TypeError(f"Only plain values render once per content; {type(value).__name__} {value!r} is not one.")


@lru_cache(maxsize=settings.ROW_CACHE_SIZE)
def _render(template_name: str, context: tuple, prefix: str, urlconf: str | None) -> SafeString:
    check_plain(context)
    return mark_safe(get_template(template_name).render(dict(context)))  # noqa: S308 - the template escapes


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs) -> None:
    """Templates, URLs, static files and time zones change only in tests; what was rendered belongs to the old ones."""
    if setting in {
        "TEMPLATES",
        "ROOT_URLCONF",
        "TIME_ZONE",
        "USE_TZ",
        "FORCE_SCRIPT_NAME",
        "STATIC_URL",
        "STORAGES",
        "DEBUG",
    }:
        _render.cache_clear()
