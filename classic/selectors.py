"""Reads behind the classic API, joined so that each answer costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Prefetch, QuerySet
from django.utils import timezone

from availability.models import Membership
from classic.catalog import os_image_name
from classic.models import ClassicCloudService, ClassicRequest, ManagementCertificate
from endpoints.models import Endpoint
from portal.models import Subscription
from portal.selectors import with_administrators
from vms.models import CloudService, ImageVersion, Operation, Region, RoleSize, VirtualMachine

ENDPOINTS = Prefetch("endpoints", queryset=Endpoint.objects.select_related("load_balanced_set").order_by("name"))


def image_versions() -> list[tuple[str, ImageVersion]]:
    """Every active gallery image release with its classic name, newest release of each image first."""
    versions = ImageVersion.objects.filter(image__is_active=True).select_related("image")
    return [
        (
            os_image_name(
                image_name=version.image.name,
                publisher=version.image.publisher,
                os_family=version.image.os_family,
                release_date=version.release_date,
            ),
            version,
        )
        for version in versions
    ]


def image_version_named(name: str) -> ImageVersion | None:
    return next((version for classic_name, version in image_versions() if classic_name == name), None)


def role_sizes() -> QuerySet[RoleSize]:
    return RoleSize.objects.order_by("display_order", "pk")


def locations() -> QuerySet[Region]:
    return Region.objects.order_by("display_order", "pk")


def hosted_services(*, subscription: Subscription) -> QuerySet[CloudService]:
    return (
        CloudService.objects.filter(subscription=subscription)
        .select_related("region", "affinity_group", "virtual_network", "classic")
        .order_by("name")
    )


def hosted_service(*, subscription: Subscription, name: str, with_deployment: bool = False) -> CloudService | None:
    """One cloud service of the subscription by DNS name; with its VMs, sizes, images, disks and sets if asked."""
    services = hosted_services(subscription=subscription).filter(name=name.lower())
    if with_deployment:
        services = services.prefetch_related(
            Prefetch(
                "virtual_machines",
                queryset=VirtualMachine.objects.select_related(
                    "size", "image_version__image", "storage_account", "subnet", "membership__availability_set"
                )
                .prefetch_related(ENDPOINTS)
                .order_by("name", "pk"),
            )
        )
    return services.first()


def role(*, cloud_service: CloudService, name: str) -> VirtualMachine | None:
    return (
        VirtualMachine.objects.filter(cloud_service=cloud_service, name__iexact=name)
        .select_related(
            "cloud_service__subscription",
            "size",
            "image_version__image",
            "storage_account",
            "subnet",
            "membership__availability_set",
        )
        .prefetch_related(ENDPOINTS)
        .first()
    )


def membership_of(vm: VirtualMachine) -> Membership | None:
    try:
        return vm.membership
    except Membership.DoesNotExist:
        return None


def deployment_name(cloud_service: CloudService) -> str:
    """The deployment's name: the one a script gave it, or the cloud service's, as portal-made ones were named."""
    try:
        return cloud_service.classic.deployment_name or cloud_service.name
    except ClassicCloudService.DoesNotExist:
        return cloud_service.name


def classic_properties(cloud_service: CloudService) -> ClassicCloudService | None:
    try:
        return cloud_service.classic
    except ClassicCloudService.DoesNotExist:
        return None


@dataclass(frozen=True)
class RequestStatus:
    status: str
    http_status_code: int
    error_code: str = ""
    error_message: str = ""


def request_status(*, subscription: Subscription, request_id: str) -> RequestStatus | None:
    """Get Operation Status: InProgress while any of the request's operations runs, Failed if one failed."""
    record = (
        ClassicRequest.objects.filter(subscription=subscription, request_id=request_id)
        .prefetch_related("operations")
        .first()
    )
    if record is None:
        return None
    operations = list(record.operations.all())
    if not operations:
        return RequestStatus(record.status, record.http_status_code, record.error_code, record.error_message)
    if any(operation.status == Operation.Status.IN_PROGRESS for operation in operations):
        return RequestStatus(ClassicRequest.Status.IN_PROGRESS, record.http_status_code)
    failed = [operation for operation in operations if operation.status == Operation.Status.FAILED]
    if failed:
        return RequestStatus(ClassicRequest.Status.FAILED, 500, "InternalError", " ".join(o.message for o in failed))
    return RequestStatus(ClassicRequest.Status.SUCCEEDED, 200)


def management_certificates(*, subscription: Subscription) -> QuerySet[ManagementCertificate]:
    return ManagementCertificate.objects.filter(subscription=subscription).select_related("uploaded_by")


def _live_certificates(thumbprint: str) -> QuerySet[ManagementCertificate]:
    """The unexpired management certificates with this thumbprint whose uploader is active and still a member of the
    certificate's subscription: the one rule both ways of signing in with a certificate read."""
    return ManagementCertificate.objects.filter(
        thumbprint=thumbprint,
        not_after__gt=timezone.now(),
        uploaded_by__is_active=True,
        uploaded_by__subscriptions=F("subscription"),
    )


def certificate_holder(*, subscription_id: str, thumbprint: str) -> ManagementCertificate | None:
    """The live management certificate of this subscription with this thumbprint, whose uploader still belongs."""
    return (
        _live_certificates(thumbprint)
        .filter(subscription__subscription_id=subscription_id)
        .select_related("subscription", "uploaded_by")
        .first()
    )


def subscription_with_administrators(*, subscription: Subscription) -> Subscription:
    """Get Subscription: the caller's subscription, fresh (its usage counters move), with its administrators."""
    return with_administrators(Subscription.objects.filter(pk=subscription.pk)).get()


def certificate_subscriptions(*, thumbprint: str) -> QuerySet[Subscription]:
    """List Subscriptions for a certificate: those where it is a live management certificate of a member."""
    held = _live_certificates(thumbprint).filter(subscription=OuterRef("pk"))
    return with_administrators(Subscription.objects.filter(Exists(held)))


def token_subscriptions(*, subscription: Subscription) -> QuerySet[Subscription]:
    """List Subscriptions for a personal API token: the one subscription it was made for."""
    return with_administrators(Subscription.objects.filter(pk=subscription.pk))
