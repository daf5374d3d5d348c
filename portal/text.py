"""Wording shared by every page: a pure module (no ORM, no Django)."""

from __future__ import annotations

from collections.abc import Iterable


def join_and(names: Iterable[str]) -> str:
    """Join names as a sentence lists them: "a", "a and b", "a, b and c"."""
    names = list(names)
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"
