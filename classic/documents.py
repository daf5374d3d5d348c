"""The classic API's response documents, built from rows the selectors have already joined."""

from __future__ import annotations

import hashlib
from datetime import datetime
from xml.etree.ElementTree import Element

from classic.catalog import instance_state, os_image_name, os_label
from classic.selectors import RequestStatus, classic_properties, deployment_name, membership_of
from classic.xmldoc import element, encode_label
from portal.models import Subscription
from vms.models import OS_DISK_GB, CloudService, ImageVersion, Region, RoleSize, VirtualMachine

UPDATE_DOMAIN_COUNT = 5


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def _image_name(version: ImageVersion) -> str:
    image = version.image
    return os_image_name(
        image_name=image.name, publisher=image.publisher, os_family=image.os_family, release_date=version.release_date
    )


def hosted_service(service: CloudService, base_url: str, *, deployments: bool) -> Element:
    """A HostedService element; with its deployment (the VMs) when `deployments`, as embed-detail=true asks."""
    classic = classic_properties(service)
    location = [("AffinityGroup", service.affinity_group.name)] if service.affinity_group else []
    location.append(("Location", service.region.name))
    content = [
        ("Url", f"{base_url}/services/hostedservices/{service.name}"),
        ("ServiceName", service.name),
        (
            "HostedServiceProperties",
            [
                ("Description", classic.description if classic else ""),
                *location,
                ("Label", encode_label(classic.label if classic and classic.label else service.name)),
                ("Status", "Created"),
                ("DateCreated", _time(service.created_at)),
                ("DateLastModified", _time(service.created_at)),
                ("ExtendedProperties", None),
            ],
        ),
    ]
    if deployments:
        vms = list(service.virtual_machines.all())
        content.append(("Deployments", [deployment(service, vms)] if vms else None))
    return element("HostedService", content)


def deployment(service: CloudService, vms: list[VirtualMachine]) -> Element:
    """A Deployment element: the cloud service's VMs as role instances and roles."""
    classic = classic_properties(service)
    label = (classic.deployment_label if classic else "") or deployment_name(service)
    private_id = hashlib.sha256(f"deployment-{service.pk}".encode()).hexdigest()[:32]
    configuration = f'<ServiceConfiguration serviceName="{service.name}" />'
    return element(
        "Deployment",
        [
            ("Name", deployment_name(service)),
            ("DeploymentSlot", "Production"),
            ("PrivateID", private_id),
            ("Status", "Running"),
            ("Label", encode_label(label)),
            ("Url", f"http://{service.name}.cloudapp.net/"),
            ("Configuration", encode_label(configuration)),
            ("RoleInstanceList", [role_instance(vm, index) for index, vm in enumerate(vms)]),
            ("UpgradeDomainCount", UPDATE_DOMAIN_COUNT),
            ("RoleList", [role(vm, tag="Role") for vm in vms]),
            ("SdkVersion", None),
            ("Locked", False),
            ("RollbackAllowed", False),
            ("CreatedTime", _time(min(vm.created_at for vm in vms))),
            ("LastModifiedTime", _time(max(vm.created_at for vm in vms))),
            ("VirtualNetworkName", service.virtual_network.name if service.virtual_network else None),
        ],
    )


def role_instance(vm: VirtualMachine, index: int) -> Element:
    """A RoleInstance element: the VM's state and where it runs (its fault and update domain)."""
    membership = membership_of(vm)
    status, power = instance_state(vm.status)
    return element(
        "RoleInstance",
        [
            ("RoleName", vm.name),
            ("InstanceName", vm.name),
            ("InstanceStatus", status),
            ("InstanceUpgradeDomain", membership.update_domain if membership else 0),
            ("InstanceFaultDomain", membership.fault_domain if membership else 0),
            ("InstanceSize", vm.size.name),
            ("InstanceStateDetails", None),
            ("IpAddress", f"10.0.0.{4 + index}" if index < 250 else None),
            (
                "InstanceEndpoints",
                [
                    (
                        "InstanceEndpoint",
                        [
                            ("Name", endpoint.name),
                            ("PublicPort", endpoint.public_port),
                            ("LocalPort", endpoint.private_port),
                            ("Protocol", endpoint.protocol),
                        ],
                    )
                    for endpoint in vm.endpoints.all()
                ]
                or None,
            ),
            ("PowerState", power),
            ("HostName", vm.name),
        ],
    )


def role(vm: VirtualMachine, *, tag: str = "PersistentVMRole") -> Element:
    """A Role (in a deployment) or PersistentVMRole (Get Role) element."""
    membership = membership_of(vm)
    image = vm.image_version.image
    disk_name = VirtualMachine.os_disk_name_of(vm.cloud_service.name, vm.name, vm.created_at)
    endpoints = [
        (
            "InputEndpoint",
            [
                (
                    "LoadBalancedEndpointSetName",
                    endpoint.load_balanced_set.name if endpoint.load_balanced_set else None,
                ),
                ("LocalPort", endpoint.private_port),
                ("Name", endpoint.name),
                ("Port", endpoint.public_port),
                ("Protocol", endpoint.protocol),
            ],
        )
        for endpoint in vm.endpoints.all()
    ]
    network = [("ConfigurationSetType", "NetworkConfiguration"), ("InputEndpoints", endpoints or None)]
    network.append(("SubnetNames", [("SubnetName", vm.subnet.name)] if vm.subnet else None))
    attributes = {"i:type": "PersistentVMRole"} if tag == "Role" else {}
    return element(
        tag,
        [
            ("RoleName", vm.name),
            ("OsVersion", None),
            ("RoleType", "PersistentVMRole"),
            ("ConfigurationSets", [element("ConfigurationSet", network)]),
            ("AvailabilitySetName", membership.availability_set.name if membership else None),
            ("DataVirtualHardDisks", None),
            (
                "OSVirtualHardDisk",
                [
                    ("HostCaching", "ReadWrite"),
                    ("DiskName", disk_name),
                    ("MediaLink", VirtualMachine.os_disk_link_of(vm.storage_account.name, disk_name)),
                    ("SourceImageName", _image_name(vm.image_version)),
                    ("OS", os_label(image.os_family)),
                ],
            ),
            ("RoleSize", vm.size.name),
        ],
        **attributes,
    )


def os_images(versions: list[tuple[str, ImageVersion]], regions: list[Region]) -> list[Element]:
    location = ";".join(region.name for region in regions)
    return [
        element(
            "OSImage",
            [
                ("Category", "Public"),
                ("Label", version.image.name),
                ("Location", location),
                ("LogicalSizeInGB", OS_DISK_GB[version.image.os_family]),
                ("Name", name),
                ("OS", os_label(version.image.os_family)),
                ("Description", version.image.description),
                ("ImageFamily", version.image.name),
                ("ShowInGui", True),
                ("PublishedDate", f"{version.release_date:%Y-%m-%d}T00:00:00Z"),
                ("IsPremium", False),
                ("PublisherName", version.image.publisher),
            ],
        )
        for name, version in versions
    ]


def role_sizes(sizes: list[RoleSize]) -> list[Element]:
    return [
        element(
            "RoleSize",
            [
                ("Name", size.name),
                ("Label", f"{size.name} ({size.cores} core{'s' if size.cores != 1 else ''}, {size.memory_mb} MB)"),
                ("Cores", size.cores),
                ("MemoryInMb", size.memory_mb),
                ("SupportedByWebWorkerRoles", False),
                ("SupportedByVirtualMachines", True),
                ("MaxDataDiskCount", size.max_data_disks),
            ],
        )
        for size in sizes
    ]


def locations(regions: list[Region], sizes: list[RoleSize]) -> list[Element]:
    size_names = [("RoleSize", size.name) for size in sizes]
    return [
        element(
            "Location",
            [
                ("Name", region.name),
                ("DisplayName", region.name),
                (
                    "AvailableServices",
                    [
                        ("AvailableService", "Compute"),
                        ("AvailableService", "Storage"),
                        ("AvailableService", "PersistentVMRole"),
                    ],
                ),
                ("ComputeCapabilities", [("VirtualMachinesRoleSizes", size_names), ("WebWorkerRoleSizes", None)]),
            ],
        )
        for region in regions
    ]


def operation(request_id: str, status: RequestStatus) -> list:
    """The content of an Operation document; Error only when Failed, since the SDK stops at any Error."""
    content: list = [("ID", request_id), ("Status", status.status), ("HttpStatusCode", status.http_status_code)]
    if status.status == "Failed":
        content.append(("Error", [("Code", status.error_code), ("Message", status.error_message)]))
    return content


def subscription(subscription: Subscription) -> Element:
    """A Subscription element: its id, name, administrators, and quotas beside what it uses now."""
    administrators = [user.email or user.get_username() for user in subscription.administrators]
    administrator = administrators[0] if administrators else ""
    return element(
        "Subscription",
        [
            ("SubscriptionID", str(subscription.subscription_id)),
            ("SubscriptionName", subscription.name),
            ("SubscriptionStatus", "Active"),
            ("AccountAdminLiveEmailId", administrator),
            ("ServiceAdminLiveEmailId", administrator),
            ("MaxCoreCount", subscription.core_quota),
            ("MaxStorageAccounts", subscription.storage_account_quota),
            ("MaxHostedServices", subscription.cloud_service_quota),
            ("CurrentCoreCount", subscription.cores_in_use),
            ("CurrentHostedServices", subscription.cloud_services_in_use),
            ("CurrentStorageAccounts", subscription.storage_accounts_in_use),
            ("CreatedTime", _time(subscription.created_at)),
        ],
    )
