"""Fragments rendered once per distinct content: a table row, or a part of the shell, is a pure function of the plain
values it shows.

A list page of fifty rows spends most of its time in the template engine, rendering the same rows it rendered on
the last request (the list polls every two seconds while anything is busy, and most rows do not change between
views); every page renders the same New drawer and navigation. `render_rows` renders a row partial with nothing in
its context but the row, a tuple of plain values (strings, numbers, dates, flags), and `render_pure` a partial with
nothing but the values it is given; both remember the result under those values. A changed value is a different key
and renders anew, so nothing is ever stale and nothing needs invalidating. A model instance hashes by its primary
key alone, so it could hide a change: values that hold one are refused.

Values are keyed by their type and exact spelling, not by Python's equality (`content_key`). Each process keeps at
most ROW_CACHE_SIZE fragments (least recently used go first). URL reversal, the active language (number and date
formats) and the current time zone are part of a fragment's output, so they are part of the key; fragments are
forgotten when a template is edited in development (the autoreloader's `file_changed`) or a setting changes in tests.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.autoreload import get_template_directories
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.autoreload import file_changed
from django.utils.safestring import SafeData, SafeString, mark_safe
from django.utils.translation import get_language

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
# Values whose equality already implies the same type and the same text.
EXACT_TYPES = frozenset({str, int, bool, type(None)})


def render_rows(template_name: str, rows: Iterable[tuple]) -> SafeString:
    """Render each row with the named template (a `page.html#partial` one) as `row`, reusing rows already rendered."""
    where = _where()
    return mark_safe("".join([_render(template_name, _Content((("row", row),)), *where) for row in rows]))  # noqa: S308


def render_pure(template_name: str, **values) -> SafeString:
    """Render the named template with only these values in its context, reusing what was rendered for them before."""
    return _render(template_name, _Content(tuple(sorted(values.items()))), *_where())


def content_key(value: object) -> tuple:
    """Spell a plain value out so that two values have the same key only when they render the same.

    Python's equality says `1 == True == 1.0` and `Decimal("1.5") == Decimal("1.50")`, and a named tuple equals a
    plain one with the same items; each renders differently. So the key holds each value's type, recursively through
    tuples, and the exact spelling of a number or a time. Anything but a plain value is refused, and so is text
    already marked safe: it would render unescaped, and its key must never be a plain string's.
    """
    kind = type(value)
    if kind in EXACT_TYPES:
        return (kind, value)
    if isinstance(value, tuple):
        return (kind, tuple([content_key(item) for item in value]))
    if isinstance(value, SafeData):
        raise TypeError(f"Text marked safe does not render once per content; pass the plain text: {value!r}.")
    if isinstance(value, PLAIN_TYPES):
        return (kind, repr(value))
    raise TypeError(f"Only plain values render once per content; {kind.__name__} {value!r} is not one.")


class _Content:
    """A fragment's context, compared and hashed by its content key rather than by Python's equality."""

    __slots__ = ("context", "hash", "key")

    def __init__(self, context: tuple) -> None:
        if not isinstance(context, tuple):
            raise TypeError(f"Expected a tuple of plain values, not {type(context).__name__}.")
        self.context = context
        self.key = content_key(context)
        self.hash = hash(self.key)

    def __hash__(self) -> int:
        return self.hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Content) and self.key == other.key


def _where() -> tuple[str, str | None, str | None, str]:
    """What a fragment's output depends on beside its values: URL prefix and URLconf, language and time zone."""
    return get_script_prefix(), get_urlconf(), get_language(), timezone.get_current_timezone_name()


@lru_cache(maxsize=settings.ROW_CACHE_SIZE)
def _render(
    template_name: str, content: _Content, prefix: str, urlconf: str | None, language: str | None, time_zone: str
) -> SafeString:
    return mark_safe(get_template(template_name).render(dict(content.context)))  # noqa: S308 - the template escapes


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
        "LANGUAGE_CODE",
        "USE_I18N",
    }:
        _render.cache_clear()


@receiver(file_changed, dispatch_uid="portal_fragments_template_changed")
def _forget_changed_template(*, file_path: Path, **kwargs) -> None:
    """In development a template edited on disk is reloaded without a restart; so are the fragments made from it."""
    if file_path.suffix != ".py" and any(directory in file_path.parents for directory in get_template_directories()):
        _render.cache_clear()
