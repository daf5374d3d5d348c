"""The catalog (regions, sizes, images), networks, storage, cloud services, VMs and operations."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from portal.models import Subscription
from portal.validators import validate_visible_name


class Region(models.Model):
    name = models.CharField(max_length=50, unique=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class AffinityGroup(models.Model):
    """A named placement hint inside one region, owned by a subscription."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="affinity_groups")
    name = models.CharField(max_length=63, validators=[validate_visible_name])
    label = models.CharField(max_length=100, blank=True, validators=[validate_visible_name])
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="affinity_groups")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "subscription",
                Lower("name"),
                name="affinity_group_name_unique_in_subscription",
                violation_error_message="This subscription already has an affinity group with that name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class VirtualNetwork(models.Model):
    """A private network of a subscription, bound to an affinity group (and so to its region)."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="virtual_networks")
    name = models.CharField(max_length=63, validators=[validate_visible_name])
    affinity_group = models.ForeignKey(AffinityGroup, on_delete=models.PROTECT, related_name="virtual_networks")
    address_space = models.CharField(max_length=18, default="10.0.0.0/16")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "subscription",
                Lower("name"),
                name="virtual_network_name_unique_in_subscription",
                violation_error_message="This subscription already has a virtual network with that name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if (
            self.affinity_group_id
            and self.subscription_id
            and self.affinity_group.subscription_id != self.subscription_id
        ):
            raise ValidationError(
                {"affinity_group": "Choose an affinity group of the same subscription."}, code="foreign_subscription"
            )

    @property
    def region(self) -> Region:
        return self.affinity_group.region


class Subnet(models.Model):
    virtual_network = models.ForeignKey(VirtualNetwork, on_delete=models.CASCADE, related_name="subnets")
    name = models.CharField(max_length=63, validators=[validate_visible_name])
    address_prefix = models.CharField(max_length=18)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["virtual_network", "name"],
                name="subnet_name_unique_in_network",
                violation_error_message="This virtual network already has a subnet with that name.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.address_prefix})"


class OSFamily(models.TextChoices):
    WINDOWS = "windows", "Windows"
    LINUX = "linux", "Linux"


# The size of a VM's OS disk, which the classic platform took from the image, not the VM's size: a Windows image's
# disk was 127 GB and a Linux image's 30 GB. The dashboard, the gallery's classic image names and the classic API's
# LogicalSizeInGB all read it here.
OS_DISK_GB = {OSFamily.WINDOWS: 127, OSFamily.LINUX: 30}


class Image(models.Model):
    """A gallery image; its versions are what a VM is actually made from."""

    class Category(models.TextChoices):
        PLATFORM = "platform", "Platform Images"
        MY_IMAGES = "mine", "My Images"

    name = models.CharField(max_length=100, unique=True)
    publisher = models.CharField(max_length=100)
    os_family = models.CharField(max_length=10, choices=OSFamily.choices)
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.PLATFORM)
    description = models.TextField(blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class ImageVersion(models.Model):
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="versions")
    release_date = models.DateField()
    label = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["image", "-release_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["image", "release_date"],
                name="image_version_unique_release_date",
                violation_error_message="This image already has a version released on that date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.image.name} ({self.release_date:%m/%d/%Y})"


class RoleSize(models.Model):
    """A VM size of the era: cores, memory and how many data disks it may attach."""

    name = models.CharField(max_length=30, unique=True)
    label = models.CharField(max_length=10, blank=True, help_text="The later name, such as A1.")
    cores = models.PositiveSmallIntegerField()
    shared_core = models.BooleanField(default=False)
    memory_mb = models.PositiveIntegerField()
    max_data_disks = models.PositiveSmallIntegerField()
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cores__gte=1),
                name="role_size_at_least_one_core",
                violation_error_message="A size has at least one core.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.cores_display}, {self.memory_display})"

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.label})" if self.label else self.name

    @property
    def cores_display(self) -> str:
        unit = "core" if self.cores == 1 else "cores"
        return f"{self.cores} {unit}, shared" if self.shared_core else f"{self.cores} {unit}"

    @property
    def memory_display(self) -> str:
        if self.memory_mb < 1024:
            return f"{self.memory_mb} MB"
        return f"{self.memory_mb / 1024:g} GB"


class StorageAccount(models.Model):
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="storage_accounts")
    name = models.CharField(max_length=24, unique=True, validators=[validate_visible_name])
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="storage_accounts")
    automatically_generated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "region"],
                condition=Q(automatically_generated=True),
                name="one_generated_storage_account_per_region",
                violation_error_message="Only one storage account per region is automatically generated.",
            ),
            models.CheckConstraint(
                condition=Q(name__regex=r"^[a-z0-9]{3,24}$"),
                name="storage_account_name_format",
                violation_error_message=(
                    "A storage account name can contain from 3 through 24 lowercase letters and numbers."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CloudService(models.Model):
    """The container a VM lives in, reached at NAME.cloudapp.net."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="cloud_services")
    name = models.CharField("DNS name", max_length=24, unique=True, validators=[validate_visible_name])
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="cloud_services")
    affinity_group = models.ForeignKey(
        AffinityGroup, on_delete=models.PROTECT, null=True, blank=True, related_name="cloud_services"
    )
    virtual_network = models.ForeignKey(
        VirtualNetwork, on_delete=models.PROTECT, null=True, blank=True, related_name="cloud_services"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["subscription", "name", "id"], name="cloud_service_list_order")]
        constraints = [
            models.CheckConstraint(
                condition=Q(name__regex=r"^[a-z0-9]{3,24}$"),
                name="cloud_service_name_format",
                violation_error_message="The name can contain from 3 through 24 lowercase letters and numbers.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def dns_name(self) -> str:
        return self.dns_name_of(self.name)

    @staticmethod
    def dns_name_of(name: str) -> str:
        """Return the DNS name the platform gives a cloud service of this name."""
        return f"{name}.cloudapp.net"

    def clean(self) -> None:
        errors = {}
        if self.affinity_group_id and self.affinity_group.subscription_id != self.subscription_id:
            errors["affinity_group"] = "Choose an affinity group of the same subscription."
        if self.virtual_network_id and self.virtual_network.subscription_id != self.subscription_id:
            errors["virtual_network"] = "Choose a virtual network of the same subscription."
        if errors:
            raise ValidationError(errors, code="foreign_subscription")


class VirtualMachine(models.Model):
    class Status(models.TextChoices):
        PROVISIONING = "provisioning", "Starting (Provisioning)"
        RUNNING = "running", "Running"
        STOPPING = "stopping", "Stopping"
        STOPPED = "stopped", "Stopped"
        STARTING = "starting", "Starting"
        RESTARTING = "restarting", "Restarting"
        DELETING = "deleting", "Deleting"
        UPDATING = "updating", "Updating"
        FABRIC_FAILURE = "fabric_failure", "Stopped (fabric failure)"

    cloud_service = models.ForeignKey(CloudService, on_delete=models.CASCADE, related_name="virtual_machines")
    # The cloud service's subscription, copied so that one index serves the VM list's filter and sort.
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="virtual_machines", editable=False
    )
    name = models.CharField("Virtual Machine Name", max_length=64, validators=[validate_visible_name])
    image_version = models.ForeignKey(ImageVersion, on_delete=models.PROTECT, related_name="virtual_machines")
    size = models.ForeignKey(RoleSize, on_delete=models.PROTECT, related_name="virtual_machines")
    storage_account = models.ForeignKey(StorageAccount, on_delete=models.PROTECT, related_name="virtual_machines")
    subnet = models.ForeignKey(Subnet, on_delete=models.PROTECT, null=True, blank=True, related_name="virtual_machines")
    admin_username = models.CharField("New User Name", max_length=64, validators=[validate_visible_name])
    password_hash = models.CharField(
        max_length=256, blank=True, help_text="A one-way hash; the password itself is never kept."
    )
    password_crypt = models.CharField(
        max_length=128,
        blank=True,
        help_text="The password as a SHA-512 crypt hash for the guest's cloud-init; the password itself is never kept.",
    )
    ssh_certificate_thumbprint = models.CharField(max_length=40, blank=True)
    ssh_public_key = models.TextField(
        blank=True, help_text="The SSH certificate's public key in OpenSSH form, authorized for the new user."
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROVISIONING)
    held_by = models.CharField(
        max_length=200,
        blank=True,
        help_text="What holds the VM, such as a drill; while it does, no command runs on the VM.",
    )
    probe_fails = models.BooleanField(
        "Probe fails",
        default=False,
        help_text="For drills and tests: the fabric's load balancer gets no answer from this virtual machine's probes.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            models.Index(fields=["subscription", "name", "id"], name="vm_list_order"),
            # The API's pages: a subscription's VMs in primary-key order, after a cursor.
            models.Index(fields=["subscription", "id"], name="vm_api_page_order"),
            # The list's other sorts (Status, Created), keyset-paginated as the name is.
            models.Index(fields=["subscription", "status", "id"], name="vm_list_status_order"),
            models.Index(fields=["subscription", "created_at", "id"], name="vm_list_date_order"),
        ]
        constraints = [
            models.UniqueConstraint(
                "cloud_service",
                Lower("name"),
                name="vm_name_unique_in_cloud_service",
                violation_error_message="This cloud service already has a virtual machine with that name.",
            ),
            models.CheckConstraint(
                condition=~Q(password_hash="") | ~Q(ssh_certificate_thumbprint=""),
                name="vm_has_a_way_to_sign_in",
                violation_error_message=(
                    "A virtual machine needs a password hash, an SSH certificate thumbprint, or both."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("vms:dashboard", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if self.cloud_service_id and self.subscription_id != self.cloud_service.subscription_id:
            errors["cloud_service"] = "Choose a cloud service of the virtual machine's subscription."
        if self.storage_account_id and self.cloud_service_id:
            if self.storage_account.subscription_id != self.cloud_service.subscription_id:
                errors["storage_account"] = "Choose a storage account of the same subscription."
            elif self.storage_account.region_id != self.cloud_service.region_id:
                errors["storage_account"] = "Choose a storage account in the cloud service's region."
        if (
            self.subnet_id
            and self.cloud_service_id
            and self.subnet.virtual_network_id != self.cloud_service.virtual_network_id
        ):
            errors["subnet"] = "Choose a subnet of the cloud service's virtual network."
        if errors:
            raise ValidationError(errors, code="inconsistent")

    @property
    def os_family(self) -> str:
        return self.image_version.image.os_family

    @property
    def is_busy(self) -> bool:
        return self.status_is_busy(self.status)

    @property
    def status_label(self) -> str:
        return self.Status(self.status).label

    @staticmethod
    def os_disk_name_of(cloud_service: str, name: str, created_at: datetime) -> str:
        """Return the name the classic platform gave a VM's OS disk: cloud service, VM, disk number, creation time."""
        return f"{cloud_service}-{name}-0-{created_at:%Y%m%d%H%M%S}"

    @staticmethod
    def os_disk_link_of(storage_account: str, disk_name: str) -> str:
        """Return where an OS disk's VHD lives: the vhds container of the VM's storage account (its MediaLink)."""
        return f"https://{storage_account}.blob.core.windows.net/vhds/{disk_name}.vhd"

    @classmethod
    def status_is_busy(cls, status: str) -> bool:
        """Tell whether a VM in this status is in the middle of something (neither Running nor Stopped)."""
        return status not in {cls.Status.RUNNING, cls.Status.STOPPED}


class Operation(models.Model):
    """Something a person asked the platform to do: the activity log and the notification area read these."""

    class Kind(models.TextChoices):
        CREATE = "create", "Create virtual machine"
        START = "start", "Start"
        SHUT_DOWN = "shutdown", "Shut down"
        RESTART = "restart", "Restart"
        CONFIGURE = "configure", "Configure"
        DELETE = "delete", "Delete"
        UPDATE = "update", "Planned maintenance"
        FABRIC_FAILURE = "fabric_failure", "Rack failure"
        # A change of endpoints, a load-balanced set or its probe that a region's load balancer has yet to take.
        ENDPOINTS = "endpoints", "Update endpoints"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="operations")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    virtual_machine = models.ForeignKey(
        VirtualMachine, on_delete=models.SET_NULL, null=True, blank=True, related_name="operations"
    )
    target_name = models.CharField(max_length=100, help_text="The object's name, kept after it is deleted.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    title = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=1)
    attempt_started_at = models.DateTimeField(auto_now_add=True)
    details = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["subscription", "status"]),
            models.Index(fields=["subscription", "-started_at", "-id"], name="operation_activity_order"),
            # The activity log's search (object name starts with) and its sort by name.
            models.Index(fields=["subscription", "target_name", "id"], name="operation_activity_name"),
            # The notification area's operations in progress: few, whatever the size of the log.
            models.Index(
                fields=["subscription", "-started_at", "-id"],
                name="operation_in_progress",
                condition=Q(status="in_progress"),
            ),
            models.Index(
                fields=["subscription", "-ended_at", "-id"],
                name="operation_recently_finished",
                condition=Q(ended_at__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["virtual_machine"],
                condition=Q(status="in_progress"),
                name="one_operation_in_progress_per_vm",
                violation_error_message="Another operation is in progress on this virtual machine.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def in_progress(self) -> bool:
        return self.status == self.Status.IN_PROGRESS


class OperationDismissal(models.Model):
    """A notification one person has closed: the operation stays in the activity log, not in their notifications."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="dismissals")
    dismissed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["operation", "user"],
                name="one_dismissal_per_operation_and_user",
                violation_error_message="This notification is already dismissed.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.operation} (dismissed)"
