"""Fragments rendered once per distinct content (portal/fragments.py).

{% rows "page.html#row" items %}          each item, a tuple of plain values, as `row`
{% pure "page.html#part" name=value %}    a partial whose context is exactly these plain values
"""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString

from portal.fragments import render_pure, render_rows

register = template.Library()


@register.simple_tag
def rows(template_name: str, items: Iterable[tuple]) -> SafeString:
    """Render each item with the named row partial, whose context holds only `row`."""
    return render_rows(template_name, items)


@register.simple_tag
def pure(template_name: str, **values) -> SafeString:
    """Render the named partial with only the given values in its context."""
    return render_pure(template_name, **values)
