"""The one interface through which the portal drives a host's virtual machines, and the plain values it speaks in."""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable
from dataclasses import dataclass

# The XML namespace of the metadata element that marks the domains the portal manages on a host.
METADATA_NAMESPACE = "urn:x-classic-portal:vm:1"
METADATA_PREFIX = "portal"

# The fields a direct-boot image's kernel command-line template may name.
CMDLINE_FIELDS = ("name", "hostname", "address", "prefix", "gateway", "mac")


class DriverError(Exception):
    """A host could not do what was asked; the message is a sentence a person can read."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DomainState(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    SHUTTING_DOWN = "shutting_down"
    STOPPED = "stopped"
    CRASHED = "crashed"
    SUSPENDED = "suspended"
    MISSING = "missing"
    UNKNOWN = "unknown"


class EventKind(enum.StrEnum):
    DEFINED = "defined"
    UNDEFINED = "undefined"
    STARTED = "started"
    SUSPENDED = "suspended"
    RESUMED = "resumed"
    SHUTTING_DOWN = "shutting_down"
    STOPPED = "stopped"
    CRASHED = "crashed"


class EventReason(enum.StrEnum):
    ADDED = "added"  # defined for the first time
    UPDATED = "updated"  # its definition changed
    BOOTED = "booted"
    SHUTDOWN = "shutdown"  # the guest powered off, as asked or on its own
    DESTROYED = "destroyed"  # the host pulled the plug
    FAILED = "failed"  # the emulator died: killed or crashed
    CRASHED = "crashed"  # the guest itself crashed
    MIGRATED = "migrated"
    SAVED = "saved"
    RESTORED = "restored"
    OTHER = "other"


@dataclass(frozen=True)
class DomainEvent:
    kind: EventKind
    reason: EventReason


EventCallback = Callable[[str, DomainEvent], None]


@dataclass(frozen=True)
class ImageSource:
    """Where a guest boots from: a base disk volume, or a kernel and an initrd booted directly with a command line."""

    volume: str = ""
    kernel: str = ""
    initrd: str = ""
    cmdline: str = ""

    def __post_init__(self) -> None:
        if bool(self.volume) == bool(self.kernel):
            raise ValueError("An image is either a base volume or a kernel with an initrd, not both or neither.")
        if self.kernel and not self.initrd:
            raise ValueError("A direct-boot image needs an initrd as well as a kernel.")

    @classmethod
    def disk(cls, volume: str) -> ImageSource:
        return cls(volume=volume)

    @classmethod
    def direct_boot(cls, *, kernel: str, initrd: str, cmdline: str) -> ImageSource:
        return cls(kernel=kernel, initrd=initrd, cmdline=cmdline)

    @property
    def is_direct_boot(self) -> bool:
        return bool(self.kernel)

    @property
    def label(self) -> str:
        """Name the image in messages."""
        return self.volume or self.kernel


@dataclass(frozen=True)
class DomainSpec:
    """Everything a host needs to define one virtual machine."""

    name: str
    vcpus: int
    memory_mib: int
    image: ImageSource
    hostname: str
    admin_username: str
    network: str
    mac: str
    ssh_public_key: str = ""
    password_crypt: str = ""  # a crypt(3) hash; a plain password never reaches a host
    address: str = ""
    prefix: int = 24
    gateway: str = ""

    def __post_init__(self) -> None:
        if self.vcpus < 1 or self.memory_mib < 1:
            raise ValueError("A virtual machine needs at least one virtual CPU and some memory.")
        if self.password_crypt and not self.password_crypt.startswith("$"):
            raise ValueError("The password must be given as a crypt(3) hash, never as plain text.")

    def cmdline(self) -> str:
        """Fill the direct-boot image's kernel command-line template with this machine's values."""
        values = {
            "name": self.name,
            "hostname": self.hostname,
            "address": self.address,
            "prefix": self.prefix,
            "gateway": self.gateway,
            "mac": self.mac,
        }
        try:
            return self.image.cmdline.format_map(values)
        except (KeyError, IndexError, ValueError) as error:
            raise DriverError(
                f"The kernel command line of image {self.image.label} names a value the portal does not know "
                f"({error}); it may name {', '.join(CMDLINE_FIELDS)}."
            ) from None


@dataclass(frozen=True)
class DomainInfo:
    """One domain the portal manages on a host, as its persistent definition and its current state describe it."""

    name: str
    state: DomainState
    vcpus: int
    memory_mib: int


@dataclass(frozen=True)
class DomainStats:
    """One domain's state and cumulative counters, as a host reports them all at once; a counter it lacks reads 0."""

    name: str
    state: DomainState
    cpu_time_ns: int = 0
    vcpus: int = 1
    disk_read_bytes: int = 0
    disk_write_bytes: int = 0
    net_in_bytes: int = 0  # received by the machine
    net_out_bytes: int = 0  # sent by the machine


class Driver(abc.ABC):
    """Drive the virtual machines (domains) of one host.

    Every method raises DriverError, with a sentence naming the host and the machine, when the host cannot do it.
    Stopping a stopped machine and starting a running one do nothing; so does undefining one that is gone.
    """

    host: str

    @abc.abstractmethod
    def define(self, spec: DomainSpec) -> None:
        """Create the machine's volumes and its persistent definition, stopped."""

    @abc.abstractmethod
    def start(self, name: str) -> None:
        """Power the machine on."""

    @abc.abstractmethod
    def shut_down(self, name: str, *, timeout: float) -> None:
        """Ask the guest to power off (ACPI), and pull the plug if it has not within `timeout` seconds."""

    def restart(self, name: str, *, timeout: float) -> None:
        """Shut the machine down (as shut_down does) and start it again."""
        self.shut_down(name, timeout=timeout)
        self.start(name)

    @abc.abstractmethod
    def destroy(self, name: str) -> None:
        """Pull the plug: stop the machine at once."""

    @abc.abstractmethod
    def undefine(self, name: str) -> None:
        """Stop the machine if it runs, remove its definition, and delete its volumes (overlay disk and seed)."""

    @abc.abstractmethod
    def resize(self, name: str, *, vcpus: int, memory_mib: int) -> None:
        """Change the machine's persistent size; a running machine takes it at its next start."""

    @abc.abstractmethod
    def state(self, name: str) -> DomainState:
        """Return the machine's state, MISSING when the host has no such machine."""

    @abc.abstractmethod
    def addresses(self, name: str) -> list[str]:
        """Return the IP addresses the host has seen for the running machine; none when it is not running."""

    @abc.abstractmethod
    def list(self) -> list[DomainInfo]:
        """Return every machine on the host that the portal manages, by name."""

    @abc.abstractmethod
    def domain_stats(self) -> list[DomainStats]:
        """Return the state and counters of every domain on the host (the caller picks its own by name), in one call."""

    @abc.abstractmethod
    def events(self, callback: EventCallback) -> None:
        """Call callback(name, event) for each lifecycle event of a machine the portal manages on this host."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop delivering events and let go of the host."""


def overlay_volume_name(name: str) -> str:
    """Name the copy-on-write disk of a machine."""
    return f"{name}.qcow2"


def seed_volume_name(name: str) -> str:
    """Name the cloud-init seed ISO of a machine."""
    return f"{name}-cidata.iso"


def not_defined_message(host: str, verb: str, name: str) -> str:
    return f"Host {host} could not {verb} {name}: there is no virtual machine {name} on this host."


def missing_image_message(host: str, image: str, volume: str, pool: str) -> str:
    return f"Image {image} is not on host {host}: its storage pool {pool} has no volume {volume}."


# What each operation is called in messages to a person.
VERBS = {
    "define": "create",
    "start": "start",
    "shut_down": "shut down",
    "restart": "restart",
    "destroy": "stop",
    "undefine": "delete",
    "resize": "resize",
    "inspect": "look up",
}


def already_defined_message(host: str, name: str) -> str:
    return f"Host {host} could not create {name}: there is already a virtual machine {name} on this host."
