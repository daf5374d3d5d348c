"""Rows as the API shows them: plain dicts shaped like api.schemas, from rows the selectors already joined."""

from __future__ import annotations

from collections.abc import Iterable

from applications.assessment import REQUIRED_SCENARIOS, SCENARIO_LABELS
from applications.models import Drill, DrillEvent
from applications.selectors import ApplicationView
from availability.models import AvailabilitySet, Membership
from availability.selectors import availability_set_health
from endpoints.models import Endpoint, LoadBalancedSet
from endpoints.rotation import set_is_up
from vms.models import (
    AffinityGroup,
    CloudService,
    Image,
    Operation,
    Region,
    RoleSize,
    StorageAccount,
    VirtualMachine,
    VirtualNetwork,
)

VM_STATUS_LABELS = dict(VirtualMachine.Status.choices)

OPERATION_STATUS = {
    Operation.Status.IN_PROGRESS: "InProgress",
    Operation.Status.SUCCEEDED: "Succeeded",
    Operation.Status.FAILED: "Failed",
}


def region_out(region: Region) -> dict:
    return {"id": region.pk, "name": region.name}


def size_out(size: RoleSize) -> dict:
    return {
        "id": size.pk,
        "name": size.name,
        "label": size.label,
        "cores": size.cores,
        "shared_core": size.shared_core,
        "memory_mb": size.memory_mb,
        "max_data_disks": size.max_data_disks,
    }


def image_out(image: Image) -> dict:
    versions = sorted(image.versions.all(), key=lambda version: version.release_date, reverse=True)
    return {
        "id": image.pk,
        "name": image.name,
        "publisher": image.publisher,
        "os_family": image.os_family,
        "description": image.description,
        "versions": [
            {"id": version.pk, "release_date": version.release_date, "label": version.label} for version in versions
        ],
    }


def affinity_group_out(group: AffinityGroup) -> dict:
    return {
        "id": group.pk,
        "name": group.name,
        "label": group.label,
        "region": group.region.name,
        "created_at": group.created_at,
    }


def virtual_network_out(network: VirtualNetwork) -> dict:
    return {
        "id": network.pk,
        "name": network.name,
        "affinity_group": network.affinity_group_id,
        "region": network.affinity_group.region.name,
        "address_space": network.address_space,
        "subnets": [
            {"id": subnet.pk, "name": subnet.name, "address_prefix": subnet.address_prefix}
            for subnet in network.subnets.all()
        ],
        "created_at": network.created_at,
    }


def storage_account_out(account: StorageAccount) -> dict:
    return {
        "id": account.pk,
        "name": account.name,
        "region": account.region.name,
        "automatically_generated": account.automatically_generated,
        "created_at": account.created_at,
    }


def cloud_service_out(service: CloudService) -> dict:
    return {
        "id": service.pk,
        "name": service.name,
        "dns_name": service.dns_name,
        "region": service.region.name,
        "affinity_group": service.affinity_group_id,
        "virtual_network": service.virtual_network_id,
        "created_at": service.created_at,
    }


def virtual_machine_out(vm: VirtualMachine) -> dict:
    membership = getattr(vm, "membership", None)
    image = vm.image_version.image
    return {
        "id": vm.pk,
        "name": vm.name,
        "status": vm.status,
        "status_display": vm.get_status_display(),
        "cloud_service": {"id": vm.cloud_service_id, "name": vm.cloud_service.name},
        "dns_name": vm.cloud_service.dns_name,
        "region": vm.cloud_service.region.name,
        "size": vm.size.name,
        "image": {"id": image.pk, "name": image.name},
        "image_version": vm.image_version_id,
        "os_family": image.os_family,
        "storage_account": {"id": vm.storage_account_id, "name": vm.storage_account.name},
        "subnet": {"id": vm.subnet.pk, "name": vm.subnet.name} if vm.subnet else None,
        "availability_set": (
            {
                "id": membership.availability_set_id,
                "name": membership.availability_set.name,
                "fault_domain": membership.fault_domain,
                "update_domain": membership.update_domain,
            }
            if membership
            else None
        ),
        "admin_username": vm.admin_username,
        "created_at": vm.created_at,
    }


def virtual_machine_row_out(row: tuple) -> dict:
    """Show a row of api.selectors.VIRTUAL_MACHINE_COLUMNS exactly as virtual_machine_out shows its VM."""
    (
        pk,
        name,
        status,
        cloud_service_id,
        cloud_service_name,
        region,
        size,
        image_id,
        image_name,
        image_version_id,
        os_family,
        storage_account_id,
        storage_account_name,
        subnet_id,
        subnet_name,
        set_id,
        set_name,
        fault_domain,
        update_domain,
        admin_username,
        created_at,
    ) = row
    return {
        "id": pk,
        "name": name,
        "status": status,
        "status_display": str(VM_STATUS_LABELS.get(status, status)),
        "cloud_service": {"id": cloud_service_id, "name": cloud_service_name},
        "dns_name": CloudService.dns_name_of(cloud_service_name),
        "region": region,
        "size": size,
        "image": {"id": image_id, "name": image_name},
        "image_version": image_version_id,
        "os_family": os_family,
        "storage_account": {"id": storage_account_id, "name": storage_account_name},
        "subnet": {"id": subnet_id, "name": subnet_name} if subnet_id is not None else None,
        "availability_set": (
            {"id": set_id, "name": set_name, "fault_domain": fault_domain, "update_domain": update_domain}
            if set_id is not None
            else None
        ),
        "admin_username": admin_username,
        "created_at": created_at,
    }


def operation_out(operation: Operation) -> dict:
    return {
        "id": operation.pk,
        "kind": operation.kind,
        "status": OPERATION_STATUS[operation.status],
        "title": operation.title,
        "message": operation.message,
        "error": operation.message if operation.status == Operation.Status.FAILED else None,
        "target_name": operation.target_name,
        "virtual_machine": operation.virtual_machine_id,
        "started_at": operation.started_at,
        "ended_at": operation.ended_at,
    }


def availability_set_out(availability_set: AvailabilitySet, memberships: Iterable[Membership]) -> dict:
    memberships = list(memberships)
    health = availability_set_health(availability_set, memberships)
    return {
        "id": availability_set.pk,
        "name": availability_set.name,
        "cloud_service": {"id": availability_set.cloud_service_id, "name": availability_set.cloud_service.name},
        "fault_domain_count": availability_set.fault_domain_count,
        "update_domain_count": availability_set.update_domain_count,
        "member_count": health.member_count,
        "eligible_for_sla": health.eligible_for_sla,
        "in_compliance": health.balanced,
        "members": [
            {
                "virtual_machine": {"id": m.virtual_machine_id, "name": m.virtual_machine.name},
                "status": m.virtual_machine.status,
                "fault_domain": m.fault_domain,
                "update_domain": m.update_domain,
            }
            for m in sorted(memberships, key=lambda m: (m.fault_domain, m.update_domain, m.virtual_machine.name))
        ],
        "created_at": availability_set.created_at,
    }


def endpoint_out(endpoint: Endpoint) -> dict:
    lb_set = endpoint.load_balanced_set
    return {
        "id": endpoint.pk,
        "name": endpoint.name,
        "virtual_machine": {"id": endpoint.virtual_machine_id, "name": endpoint.virtual_machine.name},
        "cloud_service": endpoint.cloud_service_id,
        "protocol": endpoint.protocol,
        "public_port": endpoint.public_port,
        "private_port": endpoint.private_port,
        "load_balanced_set": {"id": lb_set.pk, "name": lb_set.name} if lb_set else None,
        "in_rotation": endpoint.in_rotation,
        "probe_failures": endpoint.probe_failures,
        "created_at": endpoint.created_at,
    }


def load_balanced_set_out(lb_set: LoadBalancedSet, members: Iterable[Endpoint]) -> dict:
    members = list(members)
    return {
        "id": lb_set.pk,
        "name": lb_set.name,
        "cloud_service": {"id": lb_set.cloud_service_id, "name": lb_set.cloud_service.name},
        "protocol": lb_set.protocol,
        "public_port": lb_set.public_port,
        "private_port": lb_set.private_port,
        "probe": {
            "protocol": lb_set.probe_protocol,
            "port": lb_set.probe_port,
            "path": lb_set.probe_path,
            "interval": lb_set.probe_interval,
            "count": lb_set.probe_count,
        },
        "probe_display": lb_set.probe_display,
        "is_up": set_is_up(member.in_rotation for member in members),
        "in_rotation_count": sum(member.in_rotation for member in members),
        "members": [
            {
                "endpoint": {"id": member.pk, "name": member.name},
                "virtual_machine": {"id": member.virtual_machine_id, "name": member.virtual_machine.name},
                "virtual_machine_status": member.virtual_machine.status,
                "in_rotation": member.in_rotation,
                "probe_failures": member.probe_failures,
            }
            for member in members
        ],
        "created_at": lb_set.created_at,
    }


def _role_ref(view: ApplicationView, key: int) -> dict:
    return {"id": key, "name": view.role_name(key)}


def application_summary_out(view: ApplicationView) -> dict:
    return {
        "id": view.application.pk,
        "name": view.application.name,
        "role_count": len(view.roles),
        "has_single_point_of_failure": view.assessment.has_single_point_of_failure,
        "created_at": view.application.created_at,
    }


def application_out(view: ApplicationView) -> dict:
    roles = []
    for role_view in view.roles:
        role = role_view.role
        roles.append(
            {
                "id": role.pk,
                "name": role.name,
                "availability_set": (
                    {"id": role.availability_set_id, "name": role.availability_set.name}
                    if role.availability_set
                    else None
                ),
                "virtual_machine": (
                    {"id": role.virtual_machine_id, "name": role.virtual_machine.name} if role.virtual_machine else None
                ),
                "members": [
                    {
                        "virtual_machine": {"id": member.key, "name": member.name},
                        "fault_domain": member.fault_domain,
                        "update_domain": member.update_domain,
                        "running": member.running,
                        "status_display": member.status_label,
                    }
                    for member in role_view.value.members
                ],
            }
        )
    dependencies = [
        {
            "id": dependency.pk,
            "role": {"id": dependency.role_id, "name": dependency.role.name},
            "depends_on": {"id": dependency.depends_on_id, "name": dependency.depends_on.name},
        }
        for dependency in view.dependencies
    ]
    return application_summary_out(view) | {"roles": roles, "dependencies": dependencies}


def assessment_out(view: ApplicationView) -> dict:
    assessment = view.assessment
    return {
        "application": {"id": view.application.pk, "name": view.application.name},
        "up": assessment.now.up,
        "down_roles": [_role_ref(view, key) for key in assessment.now.down_roles],
        "single_points_of_failure": [_role_ref(view, key) for key in assessment.single_points_of_failure],
        "verdicts": [
            {
                "scenario": str(verdict.scenario),
                "label": SCENARIO_LABELS[verdict.scenario],
                "required": verdict.scenario in REQUIRED_SCENARIOS,
                "survives": verdict.survives,
                "down_roles": [_role_ref(view, outage.role) for outage in verdict.outages],
                "blamed": _role_ref(view, verdict.blamed) if verdict.blamed is not None else None,
                "reasons": list(verdict.reasons),
            }
            for verdict in assessment.verdicts
        ],
        "findings": [
            {"kind": str(finding.kind), "role": _role_ref(view, finding.role), "text": finding.text}
            for finding in assessment.findings
        ],
        "minimum_members": [
            {
                "role": _role_ref(view, role_view.role.pk),
                "scenario": str(minimum.scenario),
                "label": SCENARIO_LABELS[minimum.scenario],
                "needed": minimum.needed,
                "has": minimum.has,
            }
            for role_view in view.roles
            for minimum in assessment.minimums.get(role_view.role.pk, [])
        ],
    }


def drill_out(drill: Drill) -> dict:
    return {
        "id": drill.pk,
        "application": {"id": drill.application_id, "name": drill.application.name},
        "kind": drill.kind,
        "title": drill.title,
        "status": drill.status,
        "fault_domain": drill.fault_domain,
        "role": drill.role_name,
        "failure_seconds": drill.failure_seconds,
        "stop_requested": drill.stop_requested,
        "step": drill.step,
        "steps": len(drill.plan),
        "predicted_survives": drill.predicted_survives,
        "predicted_down": list(drill.predicted_down),
        "predicted_blame": drill.predicted_blame,
        "went_down": drill.went_down,
        "observed_down": list(drill.observed_down),
        "observed_blame": drill.observed_blame,
        "down_seconds": drill.down_seconds,
        "matched_prediction": None if drill.running else drill.matched_prediction,
        "outcome": drill.outcome,
        "started_at": drill.started_at,
        "ended_at": drill.ended_at,
    }


def drill_report_out(drill: Drill, events: Iterable[DrillEvent]) -> dict:
    return drill_out(drill) | {
        "events": [
            {
                "at": event.at,
                "text": event.text,
                "application_up": event.application_up,
                "down_roles": list(event.down_roles),
                "blamed": event.blamed,
            }
            for event in events
        ]
    }
