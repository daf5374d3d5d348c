"""Put the regions, sizes and gallery of the era into every fresh database; staff may edit them afterwards."""

from __future__ import annotations

import datetime

from django.db import migrations

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

# name, later name, cores, shared core, memory in MB, max data disks
SIZES = [
    ("ExtraSmall", "A0", 1, True, 768, 1),
    ("Small", "A1", 1, False, 1792, 2),
    ("Medium", "A2", 2, False, 3584, 4),
    ("Large", "A3", 4, False, 7168, 8),
    ("ExtraLarge", "A4", 8, False, 14336, 16),
    ("A5", "", 2, False, 14336, 4),
    ("A6", "", 4, False, 28672, 8),
    ("A7", "", 8, False, 57344, 16),
]

# name, publisher, OS family, description, release dates (newest first)
IMAGES = [
    (
        "Windows Server 2012 Datacenter",
        "Microsoft Windows Server Group",
        "windows",
        "At the heart of the Microsoft Cloud OS vision, Windows Server 2012 brings Microsoft's experience delivering "
        "global-scale cloud services into your infrastructure.",
        ["2013-05-16", "2013-03-21", "2012-12-18"],
    ),
    (
        "Windows Server 2008 R2 SP1",
        "Microsoft Windows Server Group",
        "windows",
        "Windows Server 2008 R2 is a multi-purpose server designed to increase the reliability and flexibility of "
        "your server or private cloud infrastructure.",
        ["2013-05-16", "2013-03-21"],
    ),
    (
        "SQL Server 2012 SP1 Enterprise",
        "Microsoft SQL Server Group",
        "windows",
        "SQL Server 2012 SP1 Enterprise on Windows Server 2008 R2 SP1: mission-critical performance and "
        "availability for the largest databases.",
        ["2013-05-02"],
    ),
    (
        "SQL Server 2012 SP1 Standard",
        "Microsoft SQL Server Group",
        "windows",
        "SQL Server 2012 SP1 Standard on Windows Server 2008 R2 SP1: core database capabilities for departmental "
        "and small-scale applications.",
        ["2013-05-02"],
    ),
    (
        "BizTalk Server 2013 Enterprise",
        "Microsoft BizTalk Server Group",
        "windows",
        "BizTalk Server 2013 connects line-of-business systems and trading partners with integration and "
        "business-process management.",
        ["2013-04-24"],
    ),
    (
        "SharePoint Server 2013 Trial",
        "Microsoft SharePoint Group",
        "windows",
        "A trial of SharePoint Server 2013 for building collaboration sites, portals and intranets.",
        ["2013-04-10"],
    ),
    (
        "Ubuntu Server 12.04 LTS",
        "Canonical",
        "linux",
        "Ubuntu Server 12.04 LTS (Precise Pangolin), with five years of support from Canonical.",
        ["2013-05-24", "2013-04-12", "2013-02-26"],
    ),
    (
        "Ubuntu Server 12.10",
        "Canonical",
        "linux",
        "Ubuntu Server 12.10 (Quantal Quetzal), supported for 18 months.",
        ["2013-05-24", "2013-03-08"],
    ),
    (
        "Ubuntu Server 13.04",
        "Canonical",
        "linux",
        "Ubuntu Server 13.04 (Raring Ringtail), supported for nine months.",
        ["2013-05-24"],
    ),
    (
        "OpenLogic CentOS 6.3",
        "OpenLogic",
        "linux",
        "OpenLogic CentOS 6.3: a community enterprise operating system built from Red Hat Enterprise Linux sources.",
        ["2013-02-15"],
    ),
    (
        "OpenLogic CentOS 6.4",
        "OpenLogic",
        "linux",
        "OpenLogic CentOS 6.4: a community enterprise operating system built from Red Hat Enterprise Linux sources.",
        ["2013-05-27"],
    ),
    (
        "SUSE Linux Enterprise Server 11 SP2",
        "SUSE",
        "linux",
        "SUSE Linux Enterprise Server 11 SP2, an enterprise Linux for mission-critical workloads.",
        ["2013-04-15"],
    ),
    (
        "openSUSE 12.3",
        "SUSE",
        "linux",
        "openSUSE 12.3, the community Linux distribution sponsored by SUSE.",
        ["2013-04-02"],
    ),
    (
        "Oracle Linux 6.4",
        "Oracle",
        "linux",
        "Oracle Linux 6.4 with the Unbreakable Enterprise Kernel.",
        ["2013-05-20"],
    ),
]


def load_catalog(apps, schema_editor):
    Region = apps.get_model("vms", "Region")
    RoleSize = apps.get_model("vms", "RoleSize")
    Image = apps.get_model("vms", "Image")
    ImageVersion = apps.get_model("vms", "ImageVersion")
    for order, name in enumerate(REGIONS):
        Region.objects.update_or_create(name=name, defaults={"display_order": order})
    for order, (name, label, cores, shared, memory_mb, disks) in enumerate(SIZES):
        RoleSize.objects.update_or_create(
            name=name,
            defaults={
                "label": label,
                "cores": cores,
                "shared_core": shared,
                "memory_mb": memory_mb,
                "max_data_disks": disks,
                "display_order": order,
            },
        )
    for order, (name, publisher, os_family, description, releases) in enumerate(IMAGES):
        image, _ = Image.objects.update_or_create(
            name=name,
            defaults={
                "publisher": publisher,
                "os_family": os_family,
                "category": "platform",
                "description": description,
                "display_order": order,
            },
        )
        for release in releases:
            ImageVersion.objects.get_or_create(image=image, release_date=datetime.date.fromisoformat(release))


class Migration(migrations.Migration):
    dependencies = [("vms", "0001_initial")]

    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
