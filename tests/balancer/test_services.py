"""A region's load balancer: public addresses for cloud services, the selector's values, and applying a change."""

from __future__ import annotations

import http.client
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from balancer import haproxy
from balancer.models import LoadBalancer, PublicAddress
from balancer.periodic import apply_changes
from balancer.selectors import load_balancer_values, public_address_of
from balancer.services import load_balancer_apply, load_balancer_configuration, public_addresses_assign
from endpoints.services import endpoint_create, endpoint_delete, endpoint_update, load_balanced_set_update
from fabric.lab.hosts import LabBalancer
from fabric.services import lab_balancer_register
from tests.factories import CloudServiceFactory, VirtualMachineFactory
from tests.helpers.balancer import load_balancer
from tests.helpers.fabric import place_at_address
from tests.helpers.haproxy import free_port, wait_for
from vms.models import Operation, Region
from vms.services.operations import operations_recover_stale

pytestmark = pytest.mark.django_db


def ssh(vm, public_port: int = 22, private_port: int = 22):
    return endpoint_create(vm=vm, name="SSH", protocol="tcp", public_port=public_port, private_port=private_port)


def test_cloud_services_sharing_a_public_port_get_addresses_of_their_own(tmp_path):
    balancer = load_balancer(tmp_path)
    first, second = VirtualMachineFactory(), VirtualMachineFactory()
    ssh(first), ssh(second)
    CloudServiceFactory()  # no endpoints: no address
    CloudServiceFactory(region=Region.objects.exclude(pk=balancer.region_id).first())

    assert public_addresses_assign(load_balancer=balancer) == []

    given = dict(PublicAddress.objects.values_list("cloud_service_id", "address"))
    assert given == {first.cloud_service_id: "127.0.1.1", second.cloud_service_id: "127.0.1.2"}
    text = load_balancer_configuration(load_balancer=balancer)
    assert "    bind 127.0.1.1:22\n" in text
    assert "    bind 127.0.1.2:22\n" in text


def test_a_cloud_service_keeps_its_address_and_a_freed_one_is_given_again(tmp_path):
    balancer = load_balancer(tmp_path)
    first, second = VirtualMachineFactory(), VirtualMachineFactory()
    ssh(first), ssh(second)
    public_addresses_assign(load_balancer=balancer)
    first.cloud_service.delete()
    third = VirtualMachineFactory()
    ssh(third)

    public_addresses_assign(load_balancer=balancer)

    given = dict(PublicAddress.objects.values_list("cloud_service_id", "address"))
    assert given == {second.cloud_service_id: "127.0.1.2", third.cloud_service_id: "127.0.1.1"}


def test_cloud_services_beyond_the_range_are_named(tmp_path):
    balancer = load_balancer(tmp_path, public_addresses="127.0.1.7/32")
    first, second = VirtualMachineFactory(), VirtualMachineFactory()
    ssh(first), ssh(second)

    assert public_addresses_assign(load_balancer=balancer) == [second.cloud_service.name]
    assert list(PublicAddress.objects.values_list("address", flat=True)) == ["127.0.1.7"]


def test_the_values_take_four_queries_whatever_the_number_of_endpoints(tmp_path, django_assert_num_queries):
    balancer = load_balancer(tmp_path)

    def grow(services: int) -> None:
        for _ in range(services):
            web1 = VirtualMachineFactory()
            web2 = VirtualMachineFactory(cloud_service=web1.cloud_service)
            place_at_address(web1, f"10.254.{128 + web1.pk // 250}.{2 + web1.pk % 250}")
            ssh(web1)
            lb = endpoint_create(
                vm=web1,
                name="web",
                protocol="tcp",
                public_port=80,
                private_port=80,
                load_balanced_set_name="web",
                probe_port=80,
            )
            endpoint_create(
                vm=web2,
                name="web",
                protocol="tcp",
                public_port=80,
                private_port=80,
                load_balanced_set=lb.load_balanced_set,
            )
        public_addresses_assign(load_balancer=balancer)

    grow(1)
    with django_assert_num_queries(4):
        _values, few = load_balancer_values(balancer)
    grow(3)
    with django_assert_num_queries(4):
        _values, many = load_balancer_values(balancer)
    assert len(few) == 1
    assert len(many) == 4
    web_set = many[0].sets[0]
    assert [member.address for member in web_set.members] == [many[0].endpoints[0].address, None]


def test_a_configuration_haproxy_refuses_is_recorded_and_not_tried_again(tmp_path):
    balancer = load_balancer(tmp_path, binary="false")
    ssh(VirtualMachineFactory())

    result = load_balancer_apply(load_balancer=balancer)

    balancer.refresh_from_db()
    assert result.outcome == "refused"
    assert balancer.refusal == result.message == "false -c failed."
    assert balancer.refused_hash and not balancer.applied_hash
    assert not Path(balancer.config_path).exists()
    assert load_balancer_apply(load_balancer=balancer).outcome == "refused"


def test_an_haproxy_that_does_not_answer_is_tried_again(tmp_path):
    balancer = load_balancer(tmp_path)
    ssh(VirtualMachineFactory())
    Path(balancer.config_path).write_text("# the running configuration\n")

    result = load_balancer_apply(load_balancer=balancer)

    balancer.refresh_from_db()
    assert result.outcome == "unreachable"
    assert "does not answer" in balancer.refusal
    assert balancer.refused_hash == ""
    assert Path(balancer.config_path).read_text() == "# the running configuration\n"


def fetch(address: str, port: int) -> str:
    connection = http.client.HTTPConnection(address, port, timeout=5)
    try:
        connection.request("GET", "/")
        return connection.getresponse().read().decode()
    finally:
        connection.close()


def test_endpoint_and_probe_changes_reach_a_running_haproxy(tmp_path, start_haproxy, backends):
    balancer = load_balancer(tmp_path)
    vm = VirtualMachineFactory()
    place_at_address(vm, "127.0.0.1")
    first_port, set_port = free_port(), free_port()
    endpoint = endpoint_create(
        vm=vm, name="web1", protocol="tcp", public_port=first_port, private_port=backends[0].port
    )
    public_addresses_assign(load_balancer=balancer)
    start_haproxy(load_balancer_configuration(load_balancer=balancer))
    assert load_balancer_apply(load_balancer=balancer).outcome == "applied"
    assert load_balancer_apply(load_balancer=balancer).outcome == "unchanged"
    assert fetch("127.0.1.1", first_port) == "web1"

    member = endpoint_create(
        vm=vm,
        name="web2",
        protocol="tcp",
        public_port=set_port,
        private_port=backends[1].port,
        load_balanced_set_name="web",
        probe_protocol="http",
        probe_port=backends[1].port,
        probe_path="/health",
        probe_interval=5,
    )
    assert apply_changes()[balancer.region.name].outcome == "applied"
    assert wait_for(lambda: fetch("127.0.1.1", set_port), what="the set to serve") == "web2"
    runtime = haproxy.RuntimeApi(balancer.runtime_socket)
    backend = f"set-{member.load_balanced_set_id}"
    wait_for(lambda: runtime.server_state(backend, f"endpoint-{member.pk}").check_status == "L7OK", what="HTTP")

    load_balanced_set_update(
        load_balanced_set=member.load_balanced_set, probe_protocol="tcp", probe_port=backends[1].port, probe_count=3
    )
    assert apply_changes()[balancer.region.name].outcome == "applied"
    wait_for(lambda: runtime.server_state(backend, f"endpoint-{member.pk}").check_status == "L4OK", what="TCP")

    endpoint_delete(endpoint=endpoint)
    assert apply_changes()[balancer.region.name].outcome == "applied"
    with pytest.raises(ConnectionRefusedError):
        fetch("127.0.1.1", first_port)
    assert fetch("127.0.1.1", set_port) == "web2"


def test_the_labs_haproxy_becomes_the_regions_load_balancer_and_is_disabled_when_the_lab_stops(tmp_path):
    lab = LabBalancer(
        binary="/usr/sbin/haproxy",
        config_path=str(tmp_path / "haproxy.cfg"),
        runtime_socket=str(tmp_path / "runtime.sock"),
        master_socket=str(tmp_path / "master.sock"),
        pid_file=str(tmp_path / "haproxy.pid"),
        public_addresses="10.254.250.0/24",
    )
    earlier = load_balancer(tmp_path, applied_hash="a" * 64)

    lab_balancer_register(balancer=lab, region=earlier.region)

    balancer = LoadBalancer.objects.get(region=earlier.region)
    assert (balancer.enabled, balancer.public_addresses, balancer.master_socket, balancer.applied_hash) == (
        True,
        "10.254.250.0/24",
        lab.master_socket,
        "",  # the new HAProxy runs the lab's empty configuration until the next pass
    )
    lab_balancer_register(balancer=lab, region=None)
    balancer.refresh_from_db()
    assert not balancer.enabled


def test_the_public_address_is_shown_only_while_the_regions_load_balancer_is_enabled(tmp_path):
    balancer = load_balancer(tmp_path)
    vm = VirtualMachineFactory()
    ssh(vm)
    public_addresses_assign(load_balancer=balancer)
    assert public_address_of(vm.cloud_service_id) == "127.0.1.1"
    LoadBalancer.objects.filter(pk=balancer.pk).update(enabled=False)
    assert public_address_of(vm.cloud_service_id) is None


def endpoint_operations():
    return Operation.objects.filter(kind=Operation.Kind.ENDPOINTS).order_by("pk")


def test_a_change_the_load_balancer_carries_is_an_operation_until_haproxy_takes_it(tmp_path, user):
    balancer = load_balancer(tmp_path)
    vm = VirtualMachineFactory(cloud_service__region=balancer.region)
    taken = []

    endpoint = endpoint_create(vm=vm, name="SSH", protocol="tcp", public_port=22, private_port=22, user=user)

    operation = endpoint_operations().get()
    assert operation.status == Operation.Status.IN_PROGRESS
    assert operation.title == f"Adding endpoint SSH to {vm.name}"
    assert operation.requested_by == user and operation.subscription_id == vm.subscription_id
    assert operation.virtual_machine is None and operation.target_name == vm.name

    result = load_balancer_apply(load_balancer=balancer, apply=lambda text, **_: taken.append(text))

    operation.refresh_from_db()
    assert result.outcome == "applied" and len(taken) == 1
    assert f"server endpoint-{endpoint.pk}" in taken[0] or f"backend endpoint-{endpoint.pk}" in taken[0]
    assert operation.status == Operation.Status.SUCCEEDED and operation.ended_at
    assert operation.message == "HAProxy runs the configuration with this change."


def test_a_change_in_a_region_no_load_balancer_carries_has_no_operation(tmp_path):
    balancer = load_balancer(tmp_path, enabled=False)
    ssh(VirtualMachineFactory(cloud_service__region=balancer.region))
    ssh(VirtualMachineFactory())

    assert not endpoint_operations().exists()


def test_a_refused_configuration_fails_the_operations_of_the_changes_in_it_with_haproxys_reason(tmp_path, user):
    balancer = load_balancer(tmp_path, binary="false")
    vm = VirtualMachineFactory(cloud_service__region=balancer.region)
    endpoint = endpoint_create(vm=vm, name="SSH", protocol="tcp", public_port=22, private_port=22, user=user)

    assert load_balancer_apply(load_balancer=balancer).outcome == "refused"

    refused = endpoint_operations().get()
    assert refused.status == Operation.Status.FAILED
    assert refused.message == (
        f"Adding endpoint SSH to {vm.name}: failed. HAProxy refused the configuration with this change, so it still "
        "serves the one before: false -c failed."
    )
    assert not Path(balancer.config_path).exists()
    # The next change is in a configuration HAProxy has not seen: it is tried, and refused again with its reason.
    endpoint_update(endpoint=endpoint, name="SSH", protocol="tcp", public_port=2222, private_port=22, user=user)
    assert apply_changes()[balancer.region.name].outcome == "refused"
    assert [operation.status for operation in endpoint_operations()] == [Operation.Status.FAILED] * 2
    assert "false -c failed." in endpoint_operations().last().message


def test_a_change_committed_while_a_configuration_is_applied_waits_for_the_next_pass(tmp_path):
    balancer = load_balancer(tmp_path)
    first_vm = VirtualMachineFactory(cloud_service__region=balancer.region)
    second_vm = VirtualMachineFactory(cloud_service__region=balancer.region)
    ssh(first_vm)
    taken = []

    def apply(text, **_):
        taken.append(text)
        if len(taken) == 1:
            ssh(second_vm)  # committed after this pass read its changes and rendered the configuration

    load_balancer_apply(load_balancer=balancer, apply=apply)
    assert [operation.status for operation in endpoint_operations()] == ["succeeded", "in_progress"]
    load_balancer_apply(load_balancer=balancer, apply=apply)
    assert [operation.status for operation in endpoint_operations()] == ["succeeded", "succeeded"]
    assert len(taken) == 2


def test_an_unreachable_haproxy_leaves_the_change_waiting_until_the_recovery_sweep_gives_up(tmp_path, settings):
    balancer = load_balancer(tmp_path)
    vm = VirtualMachineFactory(cloud_service__region=balancer.region)
    ssh(vm)

    assert load_balancer_apply(load_balancer=balancer).outcome == "unreachable"
    operation = endpoint_operations().get()
    assert operation.status == Operation.Status.IN_PROGRESS

    later = timezone.now() + timedelta(seconds=settings.OPERATION_TIMEOUT_SECONDS + 1)
    assert operations_recover_stale(now=later) == [operation]
    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED and operation.attempts == 1
    assert f"did not take it within {settings.OPERATION_TIMEOUT_SECONDS} seconds" in operation.message
    assert vm.endpoints.filter(name="SSH").exists()


def test_the_changes_of_a_load_balancer_disabled_meanwhile_end_saved(tmp_path):
    balancer = load_balancer(tmp_path)
    lb_set = endpoint_create(
        vm=VirtualMachineFactory(cloud_service__region=balancer.region),
        name="web",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set_name="farm",
        probe_port=80,
    ).load_balanced_set
    load_balanced_set_update(load_balanced_set=lb_set, probe_protocol="tcp", probe_port=80, probe_count=3)
    LoadBalancer.objects.filter(pk=balancer.pk).update(enabled=False)

    apply_changes()

    assert [(operation.title, operation.status, operation.message) for operation in endpoint_operations()] == [
        (f"Adding endpoint web to {lb_set.members.get().virtual_machine.name}", "succeeded", DISABLED),
        ("Updating the probe of load-balanced set farm", "succeeded", DISABLED),
    ]


DISABLED = "The region's load balancer was disabled; the change is saved."


def test_a_change_haproxy_cannot_load_fails_its_operation_and_the_running_configuration_serves_on(
    tmp_path, start_haproxy, backends, user
):
    """The public port is taken on the cloud service's address by another program: `haproxy -c` accepts the file,
    the reload cannot bind, and the endpoint's operation says so while the endpoints before it are still served."""
    balancer = load_balancer(tmp_path)
    vm = VirtualMachineFactory(cloud_service__region=balancer.region)
    place_at_address(vm, "127.0.0.1")
    served_port, taken_port = free_port(), free_port()
    endpoint_create(vm=vm, name="web1", protocol="tcp", public_port=served_port, private_port=backends[0].port)
    public_addresses_assign(load_balancer=balancer)
    start_haproxy(load_balancer_configuration(load_balancer=balancer))
    assert load_balancer_apply(load_balancer=balancer).outcome == "applied"
    address = public_address_of(vm.cloud_service_id)
    with socket.create_server((address, taken_port)):
        endpoint_create(
            vm=vm, name="web2", protocol="tcp", public_port=taken_port, private_port=backends[1].port, user=user
        )
        result = apply_changes()[balancer.region.name]

        assert result.outcome == "refused", result
        operation = endpoint_operations().last()
        assert operation.status == Operation.Status.FAILED
        assert operation.message.startswith(f"Adding endpoint web2 to {vm.name}: failed. HAProxy refused")
        assert str(taken_port) in operation.message, operation.message
        assert fetch(address, served_port) == "web1"
        assert str(taken_port) not in Path(balancer.config_path).read_text()
