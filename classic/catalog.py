"""How the portal's catalog and states read in the classic API's terms: image names, instance and power states."""

from __future__ import annotations

import hashlib
import re
from datetime import date

from vms.models import OS_DISK_GB

# The portal's VM status -> (InstanceStatus, PowerState) of a role instance.
INSTANCE_STATES: dict[str, tuple[str, str]] = {
    "provisioning": ("Provisioning", "Starting"),
    "running": ("ReadyRole", "Started"),
    "stopping": ("StoppingVM", "Stopping"),
    "stopped": ("StoppedVM", "Stopped"),
    "starting": ("StartingVM", "Starting"),
    "restarting": ("RestartingRole", "Starting"),
    "deleting": ("DeletingVM", "Stopping"),
    "updating": ("BusyRole", "Stopped"),  # planned maintenance: the host is being updated
    "fabric_failure": ("UnresponsiveRole", "Stopped"),  # its rack failed; service healing starts it again
}
UNKNOWN_STATE = ("RoleStateUnknown", "Unknown")


def os_image_name(*, image_name: str, publisher: str, os_family: str, release_date: date) -> str:
    """The classic name of one release of a gallery image: publisher key, image, release, language, disk size."""
    publisher_key = hashlib.md5(publisher.encode(), usedforsecurity=False).hexdigest()
    image = re.sub(r"[^A-Za-z0-9.]+", "-", image_name).strip("-")
    return f"{publisher_key}__{image}-{release_date:%Y%m}.{release_date:%d}-en.us-{OS_DISK_GB[os_family]}GB.vhd"


def instance_state(status: str) -> tuple[str, str]:
    """The InstanceStatus and PowerState that stand for a VM status."""
    return INSTANCE_STATES.get(status, UNKNOWN_STATE)


def os_label(os_family: str) -> str:
    return "Windows" if os_family == "windows" else "Linux"
