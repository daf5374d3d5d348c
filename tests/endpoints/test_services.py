"""The endpoint rules, each refused beside its field by the one service that owns it."""

from __future__ import annotations

import random

import pytest
from django.core.exceptions import ValidationError

from endpoints.models import Endpoint, LoadBalancedSet
from endpoints.services import (
    ENDPOINTS_PER_CLOUD_SERVICE,
    endpoint_create,
    endpoint_delete,
    endpoint_update,
    endpoints_create_defaults,
    load_balanced_set_update,
)
from tests.factories import (
    CloudServiceFactory,
    EndpointFactory,
    VirtualMachineFactory,
    deploy,
    image_version,
)

pytestmark = pytest.mark.django_db


def refused(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return caught.value.message_dict


def codes(call, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    return {field: [error.code for error in errors] for field, errors in caught.value.error_dict.items()}


@pytest.fixture
def service():
    return CloudServiceFactory()


@pytest.fixture
def web1(service):
    return VirtualMachineFactory(cloud_service=service, name="web1")


@pytest.fixture
def web2(service):
    return VirtualMachineFactory(cloud_service=service, name="web2")


def http(vm, **overrides):
    arguments = {"vm": vm, "name": "HTTP", "protocol": "tcp", "public_port": 80, "private_port": 80}
    return endpoint_create(**(arguments | overrides))


def http_set(vm, **overrides):
    arguments = {"load_balanced_set_name": "web", "probe_protocol": "http", "probe_port": 80, "probe_path": "/"}
    return http(vm, **(arguments | overrides))


class TestCreate:
    def test_a_stand_alone_endpoint_maps_a_public_port_to_a_private_one(self, web1):
        endpoint = http(web1, public_port=8080)
        assert (endpoint.name, endpoint.public_port, endpoint.private_port) == ("HTTP", 8080, 80)
        assert endpoint.cloud_service_id == web1.cloud_service_id
        assert endpoint.load_balanced_set is None

    @pytest.mark.parametrize("name", ["", "1http", "has space", "a" * 16, "-web", "wéb"])
    def test_names_break_the_rule_beside_name(self, web1, name):
        assert codes(http, vm=web1, name=name) == {"name": ["name_format"]}

    def test_names_are_unique_per_vm_whatever_the_case(self, web1, web2):
        http(web1)
        assert codes(http, vm=web1, name="http", public_port=81, private_port=81) == {"name": ["name_taken"]}
        http(web2, public_port=81)  # another VM may use the name

    @pytest.mark.parametrize("port", [0, 65536, -1])
    def test_ports_are_1_to_65535(self, web1, port):
        assert codes(http, vm=web1, public_port=port, private_port=port) == {
            "public_port": ["port_range"],
            "private_port": ["port_range"],
        }

    def test_a_public_port_is_used_once_per_cloud_service_and_protocol(self, web1, web2):
        http(web1)
        errors = refused(http, vm=web2)
        assert list(errors) == ["public_port"]
        assert "already uses public port 80 (TCP) for web1's HTTP" in errors["public_port"][0]
        http(web2, protocol="udp")  # the same number over UDP is another port

    def test_a_public_port_in_another_cloud_service_is_free(self, web1):
        http(web1)
        other = VirtualMachineFactory()
        assert http(other).public_port == 80

    def test_a_private_port_is_used_once_per_vm_and_protocol(self, web1):
        http(web1)
        assert codes(http, vm=web1, name="Other", public_port=81) == {"private_port": ["private_port_taken"]}
        http(web1, name="Other", public_port=81, protocol="udp")

    def test_at_most_150_endpoints_per_cloud_service(self, service, web1):
        vms = [VirtualMachineFactory(cloud_service=service) for _ in range(3)]
        Endpoint.objects.bulk_create(
            Endpoint(
                virtual_machine=vms[i % 3],
                cloud_service=service,
                name=f"e{i}",
                protocol="tcp",
                public_port=1000 + i,
                private_port=1000 + i,
            )
            for i in range(ENDPOINTS_PER_CLOUD_SERVICE)
        )
        errors = refused(http, vm=web1)
        assert "has 150 of its 150 input endpoints" in errors["name"][0]
        assert not Endpoint.objects.filter(virtual_machine=web1).exists()


class TestLoadBalancedSets:
    def test_creating_a_set_makes_the_endpoint_its_first_member_out_of_rotation_until_probed(self, web1):
        endpoint = http_set(web1)
        lb_set = endpoint.load_balanced_set
        assert (lb_set.name, lb_set.public_port, lb_set.probe_protocol, lb_set.probe_interval) == (
            "web",
            80,
            "http",
            15,
        )
        assert lb_set.probe_count == 2
        assert not endpoint.in_rotation

    def test_members_share_the_public_port(self, web1, web2):
        lb_set = http_set(web1).load_balanced_set
        member = http(web2, load_balanced_set=lb_set)
        assert member.load_balanced_set == lb_set
        assert lb_set.members.count() == 2

    def test_members_share_protocol_and_ports(self, web1, web2):
        lb_set = http_set(web1).load_balanced_set
        assert codes(http, vm=web2, load_balanced_set=lb_set, protocol="udp", public_port=81, private_port=8080) == {
            "protocol": ["set_shares"],
            "public_port": ["set_shares"],
            "private_port": ["set_shares"],
        }

    def test_a_vm_is_in_a_set_at_most_once(self, web1):
        lb_set = http_set(web1).load_balanced_set
        errors = codes(http, vm=web1, name="Again", private_port=80, load_balanced_set=lb_set)
        assert errors["load_balanced_set"] == ["already_member"]

    def test_a_set_port_is_not_free_for_a_stand_alone_endpoint(self, web1, web2):
        http_set(web1)
        assert "for the load-balanced set web" in refused(http, vm=web2)["public_port"][0]

    def test_sets_are_per_cloud_service(self, web1):
        lb_set = http_set(web1).load_balanced_set
        stranger = VirtualMachineFactory(cloud_service__subscription=web1.cloud_service.subscription)
        assert codes(http, vm=stranger, load_balanced_set=lb_set) == {"load_balanced_set": ["other_cloud_service"]}

    def test_set_names_are_unique_per_cloud_service(self, web1, web2):
        http_set(web1)
        errors = codes(http_set, vm=web2, public_port=81, load_balanced_set_name="WEB")
        assert errors == {"load_balanced_set_name": ["set_name_taken"]}

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"probe_interval": 4}, "probe_interval"),
            ({"probe_interval": 3601}, "probe_interval"),
            ({"probe_count": 1}, "probe_count"),
            ({"probe_count": 101}, "probe_count"),
            ({"probe_port": 0}, "probe_port"),
            ({"probe_path": ""}, "probe_path"),
            ({"probe_protocol": "tcp", "probe_path": "/"}, "probe_path"),
        ],
    )
    def test_probe_rules(self, web1, overrides, field):
        assert list(codes(http_set, vm=web1, **overrides)) == [field]
        assert not LoadBalancedSet.objects.exists()

    def test_probe_minimum_follows_the_setting(self, web1, settings):
        settings.ENDPOINT_PROBE_MIN_INTERVAL_SECONDS = 1
        assert http_set(web1, probe_interval=1).load_balanced_set.probe_interval == 1

    def test_removing_the_last_member_removes_the_set(self, web1, web2):
        first = http_set(web1)
        second = http(web2, load_balanced_set=first.load_balanced_set)
        assert endpoint_delete(endpoint=first) is False
        assert LoadBalancedSet.objects.count() == 1
        assert endpoint_delete(endpoint=second) is True
        assert not LoadBalancedSet.objects.exists()

    def test_a_probe_change_applies_to_the_whole_set(self, web1):
        lb_set = http_set(web1).load_balanced_set
        updated = load_balanced_set_update(
            load_balanced_set=lb_set, probe_protocol="tcp", probe_port=8080, probe_count=5
        )
        assert (updated.probe_protocol, updated.probe_port, updated.probe_path, updated.probe_count) == (
            "tcp",
            8080,
            "",
            5,
        )
        with pytest.raises(ValidationError):
            load_balanced_set_update(load_balanced_set=lb_set, probe_protocol="http", probe_port=80, probe_path="x")


class TestUpdate:
    def test_a_stand_alone_endpoint_changes_name_and_ports(self, web1):
        endpoint = http(web1)
        endpoint_update(endpoint=endpoint, name="Web", protocol="tcp", public_port=8080, private_port=8081)
        endpoint.refresh_from_db()
        assert (endpoint.name, endpoint.public_port, endpoint.private_port) == ("Web", 8080, 8081)

    def test_an_update_keeps_its_own_port_and_name_free(self, web1):
        endpoint = http(web1)
        endpoint_update(endpoint=endpoint, name="HTTP", protocol="tcp", public_port=80, private_port=80)

    def test_an_update_is_refused_a_port_of_another_endpoint(self, web1, web2):
        http(web1)
        endpoint = http(web2, public_port=81)
        assert codes(
            endpoint_update, endpoint=endpoint, name="HTTP", protocol="tcp", public_port=80, private_port=80
        ) == {"public_port": ["public_port_taken"]}

    def test_a_member_keeps_the_ports_of_its_set(self, web1):
        endpoint = http_set(web1)
        assert codes(
            endpoint_update, endpoint=endpoint, name="HTTP", protocol="tcp", public_port=81, private_port=80
        ) == {"public_port": ["set_shares"]}
        endpoint_update(endpoint=endpoint, name="Web", protocol="tcp", public_port=80, private_port=80)


class TestDefaults:
    def test_windows_gets_remote_desktop_and_powershell_on_their_well_known_ports_first(self, user, subscription):
        operation = deploy(user, subscription)
        endpoints = {
            e.name: (e.protocol, e.public_port, e.private_port) for e in operation.virtual_machine.endpoints.all()
        }
        assert endpoints == {"RemoteDesktop": ("tcp", 3389, 3389), "PowerShell": ("tcp", 5986, 5986)}

    def test_linux_gets_ssh(self, user, subscription):
        operation = deploy(user, subscription, image_version=image_version("Ubuntu Server 12.04 LTS"), name="lin1")
        endpoints = [
            (e.name, e.protocol, e.public_port, e.private_port) for e in operation.virtual_machine.endpoints.all()
        ]
        assert endpoints == [("SSH", "tcp", 22, 22)]

    def test_later_vms_get_free_random_public_ports(self, user, subscription):
        first = deploy(user, subscription).virtual_machine
        second = deploy(user, subscription, name="web2", dns_name="", cloud_service=first.cloud_service)
        ports = list(Endpoint.objects.filter(cloud_service=first.cloud_service).values_list("public_port", flat=True))
        assert len(ports) == len(set(ports)) == 4
        mine = {e.name: e for e in second.virtual_machine.endpoints.all()}
        assert mine["RemoteDesktop"].private_port == 3389 and mine["RemoteDesktop"].public_port >= 49152
        assert mine["PowerShell"].private_port == 5986 and mine["PowerShell"].public_port >= 49152

    def test_defaults_avoid_ports_already_taken(self, web1):
        EndpointFactory(virtual_machine=web1, name="Taken", public_port=3389, private_port=1)
        vm = VirtualMachineFactory(cloud_service=web1.cloud_service)
        created = endpoints_create_defaults(vm=vm, rng=random.Random(3))
        assert created[0].public_port != 3389
        assert created[1].public_port == 5986

    def test_a_full_cloud_service_refuses_a_new_vm_beside_cloud_service(self, user, subscription):
        first = deploy(user, subscription).virtual_machine
        Endpoint.objects.bulk_create(
            Endpoint(
                virtual_machine=first,
                cloud_service=first.cloud_service,
                name=f"e{i}",
                protocol="udp",
                public_port=1000 + i,
                private_port=1000 + i,
            )
            for i in range(ENDPOINTS_PER_CLOUD_SERVICE - 3)
        )
        with pytest.raises(ValidationError) as caught:
            deploy(user, subscription, name="web2", dns_name="", cloud_service=first.cloud_service)
        assert list(caught.value.message_dict) == ["cloud_service"]
        assert first.cloud_service.virtual_machines.count() == 1
