"""Each gallery release has one classic image name, and the name leads back to that release."""

from __future__ import annotations

import pytest

from classic.bodies import storage_account_of
from classic.catalog import INSTANCE_STATES, instance_state
from classic.errors import BadRequest
from classic.selectors import image_version_named, image_versions
from vms.models import ImageVersion, VirtualMachine

pytestmark = pytest.mark.django_db


def test_every_release_has_a_distinct_name_that_leads_back_to_it():
    named = image_versions()

    assert len({name for name, _ in named}) == len(named) == ImageVersion.objects.filter(image__is_active=True).count()
    for name, version in named:
        assert image_version_named(name) == version
    assert image_version_named("no-such-image.vhd") is None


def test_every_vm_status_has_an_instance_and_power_state():
    assert set(INSTANCE_STATES) == set(VirtualMachine.Status.values)
    assert instance_state("running") == ("ReadyRole", "Started")
    assert instance_state("something new") == ("RoleStateUnknown", "Unknown")


@pytest.mark.parametrize(
    ("link", "account"),
    [
        ("https://portalvhds1.blob.core.windows.net/vhds/a.vhd", "portalvhds1"),
        ("http://x1.blob.core.windows.net/", "x1"),
    ],
)
def test_media_links_name_their_storage_account(link, account):
    assert storage_account_of(link) == account


@pytest.mark.parametrize("link", ["https://example.com/a.vhd", "not a link", "https://[/"])
def test_other_links_are_refused(link):
    with pytest.raises(BadRequest):
        storage_account_of(link)
