"""Turn read request documents into plain values the services take; no database here."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from classic.errors import BadRequest
from classic.xmldoc import Parsed

ABSENT = None  # an element left out: "unchanged" where that means something


@dataclass(frozen=True)
class InputEndpoint:
    name: str
    protocol: str
    port: int | None
    local_port: int | None
    load_balanced_set_name: str = ""
    probe_protocol: str = ""
    probe_port: int | None = None
    probe_path: str = ""


@dataclass(frozen=True)
class RoleSpec:
    """One role (a VM) as Create Deployment, Add Role or Update Role describe it."""

    role_name: str
    os_family: str = ""
    admin_username: str = ""
    admin_password: str = field(default="", repr=False)
    source_image_name: str = ""
    storage_account_name: str = ""
    role_size: str | None = ABSENT
    availability_set_name: str | None = ABSENT
    subnet_names: tuple[str, ...] = ()
    input_endpoints: tuple[InputEndpoint, ...] = ()
    has_network_configuration: bool = False


def _required(parsed: Parsed, name: str, where: str) -> str:
    value = parsed.value(name)
    if not value:
        raise BadRequest(f"{name} is required in {where}.", code="MissingOrIncorrectlyOrderedParameter")
    return value


def storage_account_of(media_link: str) -> str:
    """The storage account a MediaLink points into (https://ACCOUNT.blob.core.windows.net/...)."""
    try:
        host = urlsplit(media_link).hostname or ""
    except ValueError:
        host = ""
    account, _, rest = host.partition(".")
    if not account or rest != "blob.core.windows.net":
        raise BadRequest(
            "MediaLink must be a blob address such as https://ACCOUNT.blob.core.windows.net/vhds/NAME.vhd."
        )
    return account


def _port(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise BadRequest(f"{name} must be a port number from 1 to 65535.")
    return int(value)


def role_spec(role: Parsed, *, provisioning: bool) -> RoleSpec:
    """Read a Role or PersistentVMRole; `provisioning` when the role is being created (it needs an OS and image)."""
    role_name = _required(role, "RoleName", role.name)
    role_type = role.value("RoleType")
    if role_type not in (None, "", "PersistentVMRole"):
        raise BadRequest("RoleType must be PersistentVMRole: this portal runs virtual machines only.")
    os_family = admin_username = admin_password = ""
    subnet_names: tuple[str, ...] = ()
    endpoints: list[InputEndpoint] = []
    has_network = False
    sets = role.first("ConfigurationSets")
    for configuration in sets.all("ConfigurationSet") if sets else []:
        kind = configuration.value("ConfigurationSetType") or ""
        if kind == "WindowsProvisioningConfiguration":
            os_family = "windows"
            admin_username = configuration.value("AdminUsername") or ""
            admin_password = configuration.value("AdminPassword") or ""
        elif kind == "LinuxProvisioningConfiguration":
            os_family = "linux"
            admin_username = configuration.value("UserName") or ""
            admin_password = configuration.value("UserPassword") or ""
        elif kind == "NetworkConfiguration":
            has_network = True
            names = configuration.first("SubnetNames")
            subnet_names = tuple(subnet.text for subnet in names.all("SubnetName")) if names else ()
            listed = configuration.first("InputEndpoints")
            for endpoint in listed.all("InputEndpoint") if listed else []:
                probe = endpoint.first("LoadBalancerProbe")
                endpoints.append(
                    InputEndpoint(
                        name=_required(endpoint, "Name", "InputEndpoint"),
                        protocol=(endpoint.value("Protocol") or "tcp").lower(),
                        port=_port(endpoint.value("Port"), "Port"),
                        local_port=_port(endpoint.value("LocalPort"), "LocalPort"),
                        load_balanced_set_name=endpoint.value("LoadBalancedEndpointSetName") or "",
                        probe_protocol=((probe.value("Protocol") or "") if probe else "").lower(),
                        probe_port=_port(probe.value("Port"), "LoadBalancerProbe/Port") if probe else None,
                        probe_path=(probe.value("Path") or "") if probe else "",
                    )
                )
        else:
            raise BadRequest(
                "ConfigurationSetType must be WindowsProvisioningConfiguration, LinuxProvisioningConfiguration "
                "or NetworkConfiguration."
            )
    disk = role.first("OSVirtualHardDisk")
    source_image = (disk.value("SourceImageName") or "") if disk else ""
    media_link = (disk.value("MediaLink") or "") if disk else ""
    if provisioning:
        if not os_family:
            raise BadRequest(
                "A WindowsProvisioningConfiguration or LinuxProvisioningConfiguration set is required.",
                code="MissingOrIncorrectlyOrderedParameter",
            )
        if not source_image:
            raise BadRequest(
                "OSVirtualHardDisk/SourceImageName is required: name an image from List OS Images.",
                code="MissingOrIncorrectlyOrderedParameter",
            )
    elif os_family:
        raise BadRequest("Provisioning configuration sets can be given only when a role is created.")
    return RoleSpec(
        role_name=role_name,
        os_family=os_family,
        admin_username=admin_username,
        admin_password=admin_password,
        source_image_name=source_image,
        storage_account_name=storage_account_of(media_link) if media_link else "",
        role_size=role.value("RoleSize"),
        availability_set_name=role.value("AvailabilitySetName"),
        subnet_names=subnet_names,
        input_endpoints=tuple(endpoints),
        has_network_configuration=has_network,
    )
