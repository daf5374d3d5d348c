"""The classic Python SDK, unmodified, drives the seed's four steps against the portal."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from azure.servicemanagement import (
    ConfigurationSet,
    LinuxConfigurationSet,
    OSVirtualHardDisk,
    WindowsConfigurationSet,
)

from availability.models import Membership
from fabric.models import Host
from tests.factories import STRONG_PASSWORD
from tests.helpers.classic import wait
from vms.models import CloudService, VirtualMachine

pytestmark = pytest.mark.django_db


def windows(name: str) -> WindowsConfigurationSet:
    return WindowsConfigurationSet(computer_name=name, admin_password=STRONG_PASSWORD, admin_username="azureuser")


def image_named(sms, family: str) -> str:
    return next(image.name for image in sms.list_os_images() if image.os == family)


def test_catalog_lists_images_sizes_and_locations(sdk):
    images = sdk.list_os_images()
    sizes = sdk.list_role_sizes()
    locations = sdk.list_locations()

    assert {image.os for image in images} == {"Windows", "Linux"}
    assert all("__" in image.name and image.name.endswith(".vhd") for image in images)
    assert [size.name for size in sizes][:3] == ["ExtraSmall", "Small", "Medium"]
    assert next(size for size in sizes if size.name == "Medium").cores == 2
    assert "West US" in [location.name for location in locations]
    assert "Small" in locations[0].compute_capabilities.virtual_machines_role_sizes


def test_seed_steps_1_to_4_through_the_sdk(sdk, client, user):
    image = image_named(sdk, "Windows")
    disk = lambda name: OSVirtualHardDisk(image, None)  # noqa: E731 - the portal picks the storage account

    # Step 1: a cloud service, and a VM deployment whose first role creates the availability set.
    assert sdk.check_hosted_service_name_availability("contosoweb").result is True
    wait(sdk, sdk.create_hosted_service("contosoweb", "Contoso web", location="West US"))
    assert sdk.check_hosted_service_name_availability("contosoweb").result is False
    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "contosoweb",
            "contosoweb",
            "production",
            "Contoso web",
            "IIS1",
            windows("IIS1"),
            disk("IIS1"),
            network_config=ConfigurationSet(),
            availability_set_name="WebSet",
            role_size="Small",
        ),
    )
    # Step 2: a second VM connected to the cloud service, into the same set.
    wait(
        sdk,
        sdk.add_role("contosoweb", "contosoweb", "IIS2", windows("IIS2"), disk("IIS2"), availability_set_name="WebSet"),
    )
    # Step 3: a third VM, then a new set created for it through Update Role.
    wait(sdk, sdk.add_role("contosoweb", "contosoweb", "SQL1", windows("SQL1"), disk("SQL1"), role_size="Medium"))
    wait(sdk, sdk.update_role("contosoweb", "contosoweb", "SQL1", availability_set_name="SQLSet"))
    # Step 4: a fourth VM moved into that set.
    wait(sdk, sdk.add_role("contosoweb", "contosoweb", "SQL2", windows("SQL2"), disk("SQL2")))
    wait(sdk, sdk.update_role("contosoweb", "contosoweb", "SQL2", availability_set_name="SQLSet", role_size="Large"))

    deployment = sdk.get_deployment_by_name("contosoweb", "contosoweb")
    instances = {instance.role_name: instance for instance in deployment.role_instance_list}
    assert {name: instance.power_state for name, instance in instances.items()} == dict.fromkeys(
        ["IIS1", "IIS2", "SQL1", "SQL2"], "Started"
    )
    assert {instance.instance_status for instance in instances.values()} == {"ReadyRole"}
    for pair in (("IIS1", "IIS2"), ("SQL1", "SQL2")):
        first, second = (instances[name] for name in pair)
        assert first.instance_fault_domain != second.instance_fault_domain
        assert first.instance_upgrade_domain != second.instance_upgrade_domain
    roles = {role.role_name: role for role in deployment.role_list}
    assert {name: role.availability_set_name for name, role in roles.items()} == {
        "IIS1": "WebSet",
        "IIS2": "WebSet",
        "SQL1": "SQLSet",
        "SQL2": "SQLSet",
    }
    assert roles["SQL2"].role_size == "Large"

    # The portal's own rows and pages say the same.
    memberships = {
        membership.virtual_machine.name: (membership.fault_domain, membership.update_domain)
        for membership in Membership.objects.select_related("virtual_machine")
    }
    assert memberships == {
        name: (instance.instance_fault_domain, instance.instance_upgrade_domain) for name, instance in instances.items()
    }
    client.force_login(user)
    sql_set = Membership.objects.get(virtual_machine__name="SQL1").availability_set
    page = client.get(sql_set.get_absolute_url()).content.decode()
    assert "SQL1" in page and "SQL2" in page


def test_update_role_without_a_set_name_keeps_the_set_and_an_empty_one_leaves_it(sdk):
    image = image_named(sdk, "Linux")
    wait(sdk, sdk.create_hosted_service("tailspin", "Tailspin", location="East US"))
    linux = LinuxConfigurationSet("web1", "azureuser", STRONG_PASSWORD, False)
    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "tailspin",
            "prod",
            "production",
            "Tailspin",
            "web1",
            linux,
            OSVirtualHardDisk(image, None),
            availability_set_name="WebSet",
        ),
    )
    wait(sdk, sdk.update_role("tailspin", "prod", "web1", role_size="Medium"))
    assert sdk.get_role("tailspin", "prod", "web1").availability_set_name == "WebSet"

    wait(sdk, sdk.update_role("tailspin", "prod", "web1", availability_set_name=""))

    role = sdk.get_role("tailspin", "prod", "web1")
    assert role.availability_set_name in ("", None)
    assert role.role_size == "Medium"
    assert not Membership.objects.exists()


def test_power_commands_and_deletes(sdk):
    image = image_named(sdk, "Windows")
    wait(sdk, sdk.create_hosted_service("fabrikam", "Fabrikam", location="West US"))
    disk = OSVirtualHardDisk(image, None)
    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "fabrikam", "fabrikam", "production", "Fabrikam", "app1", windows("app1"), disk
        ),
    )
    wait(sdk, sdk.add_role("fabrikam", "fabrikam", "app2", windows("app2"), OSVirtualHardDisk(image, None)))

    wait(sdk, sdk.shutdown_role("fabrikam", "fabrikam", "app1"))
    assert VirtualMachine.objects.get(name="app1").status == VirtualMachine.Status.STOPPED
    wait(sdk, sdk.start_role("fabrikam", "fabrikam", "app1"))
    wait(sdk, sdk.restart_role("fabrikam", "fabrikam", "app1"))
    assert VirtualMachine.objects.get(name="app1").status == VirtualMachine.Status.RUNNING

    wait(sdk, sdk.delete_role("fabrikam", "fabrikam", "app2"))
    assert list(VirtualMachine.objects.values_list("name", flat=True)) == ["app1"]
    wait(sdk, sdk.delete_deployment("fabrikam", "fabrikam"))
    assert not VirtualMachine.objects.exists()
    wait(sdk, sdk.delete_hosted_service("fabrikam"))
    assert not CloudService.objects.exists()


def test_list_and_get_hosted_services_with_their_deployments(sdk):
    image = image_named(sdk, "Windows")
    wait(sdk, sdk.create_hosted_service("northwind", "Northwind traders", location="West US"))
    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "northwind", "nw", "production", "Northwind", "web1", windows("web1"), OSVirtualHardDisk(image, None)
        ),
    )

    listed = sdk.list_hosted_services()
    detail = sdk.get_hosted_service_properties("northwind", embed_detail=True)

    assert [service.service_name for service in listed] == ["northwind"]
    assert listed[0].hosted_service_properties.label == "Northwind traders"
    assert listed[0].hosted_service_properties.location == "West US"
    assert [deployment.name for deployment in detail.deployments] == ["nw"]
    assert detail.deployments[0].label == "Northwind"
    assert sdk.get_deployment_by_slot("northwind", "production").name == "nw"


def test_network_configuration_gives_endpoints_and_a_load_balanced_set(sdk):
    from azure.servicemanagement import ConfigurationSetInputEndpoint

    from endpoints.models import Endpoint, LoadBalancedSet

    image = image_named(sdk, "Linux")
    wait(sdk, sdk.create_hosted_service("tailspin", "Tailspin", location="East US"))

    def network() -> ConfigurationSet:
        config = ConfigurationSet()
        config.input_endpoints.input_endpoints.append(ConfigurationSetInputEndpoint("ssh", "tcp", "2222", "22"))
        web = ConfigurationSetInputEndpoint("http", "tcp", "80", "80", load_balanced_endpoint_set_name="web")
        web.load_balancer_probe.protocol = "http"
        web.load_balancer_probe.port = "80"
        web.load_balancer_probe.path = "/health"
        config.input_endpoints.input_endpoints.append(web)
        return config

    def linux(name: str) -> LinuxConfigurationSet:
        return LinuxConfigurationSet(name, "azureuser", STRONG_PASSWORD, False)

    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "tailspin",
            "prod",
            "production",
            "Tailspin",
            "web1",
            linux("web1"),
            OSVirtualHardDisk(image, None),
            network_config=network(),
            availability_set_name="WebSet",
        ),
    )
    second = network()
    second.input_endpoints.input_endpoints[0].port = "2223"
    wait(
        sdk,
        sdk.add_role(
            "tailspin",
            "prod",
            "web2",
            linux("web2"),
            OSVirtualHardDisk(image, None),
            network_config=second,
            availability_set_name="WebSet",
        ),
    )

    role = sdk.get_role("tailspin", "prod", "web1")
    listed = {
        endpoint.name: (endpoint.port, endpoint.local_port, endpoint.load_balanced_endpoint_set_name or None)
        for endpoint in role.configuration_sets[0].input_endpoints
    }
    assert listed == {"ssh": ("2222", "22", None), "http": ("80", "80", "web")}
    lb_set = LoadBalancedSet.objects.get()
    assert (lb_set.name, lb_set.public_port, lb_set.probe_protocol, lb_set.probe_path) == ("web", 80, "http", "/health")
    assert sorted(lb_set.members.values_list("virtual_machine__name", flat=True)) == ["web1", "web2"]
    # The platform's own SSH endpoint took the listed name and port instead of standing beside it.
    assert sorted(Endpoint.objects.filter(private_port=22).values_list("name", "public_port")) == [
        ("ssh", 2222),
        ("ssh", 2223),
    ]


def test_a_taken_public_port_in_the_network_configuration_is_refused_in_the_portals_words(sdk):
    from azure.common import AzureConflictHttpError, AzureHttpError
    from azure.servicemanagement import ConfigurationSetInputEndpoint

    image = image_named(sdk, "Linux")
    wait(sdk, sdk.create_hosted_service("tailspin", "Tailspin", location="East US"))
    config = ConfigurationSet()
    config.input_endpoints.input_endpoints.append(ConfigurationSetInputEndpoint("ssh", "tcp", "2222", "22"))
    linux = LinuxConfigurationSet("web1", "azureuser", STRONG_PASSWORD, False)
    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "tailspin",
            "prod",
            "production",
            "Tailspin",
            "web1",
            linux,
            OSVirtualHardDisk(image, None),
            network_config=config,
        ),
    )

    with pytest.raises((AzureHttpError, AzureConflictHttpError)) as raised:
        sdk.add_role(
            "tailspin",
            "prod",
            "web2",
            LinuxConfigurationSet("web2", "azureuser", STRONG_PASSWORD, False),
            OSVirtualHardDisk(image, None),
            network_config=config,
        )

    assert raised.value.status_code in (400, 409)
    assert "2222" in str(raised.value)
    assert VirtualMachine.objects.count() == 1


def test_create_operations_answer_with_the_platforms_status_codes(sent, subscription):
    """Create Cloud Service is done at once: 201 Created; creating a VM (deployment or role) is accepted: 202."""
    sms, adapter = sent
    prefix = f"/sms/{subscription.subscription_id}/"
    answers: list[tuple[str, str, int]] = []
    send = adapter.send

    def recording_send(request, **kwargs):
        response = send(request, **kwargs)
        answers.append((request.method, urlsplit(request.url).path.removeprefix(prefix), response.status_code))
        return response

    adapter.send = recording_send
    image = image_named(sms, "Windows")
    wait(sms, sms.create_hosted_service("fabrikam", "Fabrikam", location="West US"))
    wait(
        sms,
        sms.create_virtual_machine_deployment(
            "fabrikam", "fabrikam", "production", "Fabrikam", "app1", windows("app1"), OSVirtualHardDisk(image, None)
        ),
    )
    wait(sms, sms.add_role("fabrikam", "fabrikam", "app2", windows("app2"), OSVirtualHardDisk(image, None)))

    assert [answer for answer in answers if answer[0] == "POST"] == [
        ("POST", "services/hostedservices", 201),
        ("POST", "services/hostedservices/fabrikam/deployments", 202),
        ("POST", "services/hostedservices/fabrikam/deployments/fabrikam/roles", 202),
    ]


def test_no_room_on_the_regions_hosts_is_refused_in_the_portals_words(sdk):
    from azure.common import AzureHttpError

    Host.objects.filter(rack__region__name="West US").update(cores=1)
    wait(sdk, sdk.create_hosted_service("contosoweb", "Contoso web", location="West US"))
    with pytest.raises(AzureHttpError) as raised:
        sdk.create_virtual_machine_deployment(
            "contosoweb",
            "contosoweb",
            "production",
            "Contoso web",
            "IIS1",
            windows("IIS1"),
            OSVirtualHardDisk(image_named(sdk, "Windows"), None),
            network_config=ConfigurationSet(),
            role_size="Medium",
        )
    assert raised.value.status_code == 400
    assert "No rack in West US has a host with 2 free cores for a Medium virtual machine" in str(raised.value)
    assert not VirtualMachine.objects.exists()
