"""Quick Create's fields as the New drawer's form posts them."""

from __future__ import annotations

from tests import factories
from tests.factories import STRONG_PASSWORD
from tests.helpers.wizard import WINDOWS
from vms.models import Image


def quick_create_data(**overrides) -> dict:
    """Return a valid Quick Create post, with the given fields changed."""
    data = {
        "dns_name": "quickweb",
        "image": Image.objects.get(name=WINDOWS).pk,
        "size": factories.size().pk,
        "admin_username": "contosoadmin",
        "admin_password": STRONG_PASSWORD,
        "confirm_password": STRONG_PASSWORD,
        "location": f"region-{factories.region().pk}",
    }
    data.update(overrides)
    return data
