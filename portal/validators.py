"""The one rule every typed name obeys: no invisible control or formatting characters."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

# Cc: control characters (tabs, newlines, escapes); Cf: format characters (right-to-left overrides, zero-width joiners).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf"})


def validate_visible_name(value: str) -> None:
    """Refuse a name holding a Unicode control or format character, which could make it look like another."""
    for character in value or "":
        if unicodedata.category(character) in REFUSED_CATEGORIES:
            raise ValidationError(
                "A name cannot contain invisible control or formatting characters (this one has %(code_point)s).",
                code="name_control_character",
                params={"code_point": f"U+{ord(character):04X}"},
            )
