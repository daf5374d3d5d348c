"""The regions, sizes and gallery of the era are in every database once it is migrated."""

from __future__ import annotations

import pytest

from vms.models import Image, OSFamily, Region, RoleSize

pytestmark = pytest.mark.django_db

REGIONS = [
    "West US",
    "East US",
    "North Central US",
    "South Central US",
    "North Europe",
    "West Europe",
    "East Asia",
    "Southeast Asia",
]

# name: (cores, shared core, memory in MB, max data disks), from the reference's table of sizes.
SIZES = {
    "ExtraSmall": (1, True, 768, 1),
    "Small": (1, False, 1792, 2),
    "Medium": (2, False, 3584, 4),
    "Large": (4, False, 7168, 8),
    "ExtraLarge": (8, False, 14336, 16),
    "A5": (2, False, 14336, 4),
    "A6": (4, False, 28672, 8),
    "A7": (8, False, 57344, 16),
}

IMAGES = {
    "Windows Server 2012 Datacenter": OSFamily.WINDOWS,
    "Windows Server 2008 R2 SP1": OSFamily.WINDOWS,
    "SQL Server 2012 SP1 Enterprise": OSFamily.WINDOWS,
    "SQL Server 2012 SP1 Standard": OSFamily.WINDOWS,
    "BizTalk Server 2013 Enterprise": OSFamily.WINDOWS,
    "SharePoint Server 2013 Trial": OSFamily.WINDOWS,
    "Ubuntu Server 12.04 LTS": OSFamily.LINUX,
    "Ubuntu Server 12.10": OSFamily.LINUX,
    "Ubuntu Server 13.04": OSFamily.LINUX,
    "OpenLogic CentOS 6.3": OSFamily.LINUX,
    "OpenLogic CentOS 6.4": OSFamily.LINUX,
    "SUSE Linux Enterprise Server 11 SP2": OSFamily.LINUX,
    "openSUSE 12.3": OSFamily.LINUX,
    "Oracle Linux 6.4": OSFamily.LINUX,
}


def test_the_eight_regions_in_order():
    assert list(Region.objects.values_list("name", flat=True)) == REGIONS


def test_the_eight_sizes_with_the_references_cores_and_memory():
    sizes = {
        size.name: (size.cores, size.shared_core, size.memory_mb, size.max_data_disks)
        for size in RoleSize.objects.all()
    }
    assert sizes == SIZES
    assert list(RoleSize.objects.values_list("name", flat=True)) == list(SIZES)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("ExtraSmall", "ExtraSmall (A0) (1 core, shared, 768 MB)"),
        ("Small", "Small (A1) (1 core, 1.75 GB)"),
        ("Medium", "Medium (A2) (2 cores, 3.5 GB)"),
        ("A7", "A7 (8 cores, 56 GB)"),
    ],
)
def test_sizes_read_as_the_reference_writes_them(name, label):
    assert str(RoleSize.objects.get(name=name)) == label


def test_the_fourteen_platform_images_each_with_a_version():
    images = Image.objects.prefetch_related("versions")
    assert {image.name: image.os_family for image in images} == IMAGES
    assert all(image.category == Image.Category.PLATFORM and image.is_active for image in images)
    assert all(image.versions.all() for image in images)
    assert all(image.publisher and image.description for image in images)
