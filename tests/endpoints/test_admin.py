"""The admin's endpoint and set pages refuse what the portal refuses, beside the field, through the same services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from endpoints.models import Endpoint, LoadBalancedSet
from endpoints.services import endpoint_create
from tests import factories
from tests.helpers.balancer import load_balancer
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


@pytest.fixture
def web1():
    return factories.VirtualMachineFactory(name="web1")


def post_endpoint(admin_client, vm, **overrides):
    data = {"virtual_machine": vm.pk, "name": "HTTP", "protocol": "tcp", "public_port": 80, "private_port": 80}
    return admin_client.post(admin_url(Endpoint, "add"), data | overrides)


def test_adds_an_endpoint_through_the_service(admin_client, web1):
    response = post_endpoint(admin_client, web1)
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    assert endpoint.cloud_service == web1.cloud_service


def test_a_taken_public_port_is_refused_beside_the_field(admin_client, web1):
    web2 = factories.VirtualMachineFactory(cloud_service=web1.cloud_service)
    endpoint_create(vm=web1, name="HTTP", protocol="tcp", public_port=80, private_port=80)
    response = post_endpoint(admin_client, web2)
    assert response.status_code == 200
    assert "already uses public port 80" in str(response.context["adminform"].form.errors["public_port"])
    assert Endpoint.objects.count() == 1


def test_a_set_of_another_cloud_service_is_refused(admin_client, web1):
    other = factories.VirtualMachineFactory(cloud_service__subscription=web1.cloud_service.subscription)
    lb_set = endpoint_create(
        vm=other,
        name="HTTP",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set_name="web",
        probe_port=80,
    ).load_balanced_set
    response = post_endpoint(admin_client, web1, load_balanced_set=lb_set.pk)
    assert "Choose a load-balanced set of" in str(response.context["adminform"].form.errors["load_balanced_set"])


def test_changing_a_probe_applies_the_probe_rules(admin_client, web1):
    lb_set = endpoint_create(
        vm=web1,
        name="HTTP",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set_name="web",
        probe_port=80,
    ).load_balanced_set
    data = {
        "probe_protocol": "http",
        "probe_port": 80,
        "probe_path": "",
        "probe_interval": 3,
        "probe_count": 2,
        "members-TOTAL_FORMS": 0,
        "members-INITIAL_FORMS": 0,
    }
    response = admin_client.post(admin_url(LoadBalancedSet, "change", lb_set.pk), data)
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"probe_path", "probe_interval"}
    data |= {"probe_path": "/", "probe_interval": 30}
    assert admin_client.post(admin_url(LoadBalancedSet, "change", lb_set.pk), data).status_code == 302
    lb_set.refresh_from_db()
    assert (lb_set.probe_protocol, lb_set.probe_interval) == ("http", 30)


def test_deleting_the_last_member_removes_its_set(admin_client, web1):
    endpoint = endpoint_create(
        vm=web1,
        name="HTTP",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set_name="web",
        probe_port=80,
    )
    response = admin_client.post(admin_url(Endpoint, "delete", endpoint.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not LoadBalancedSet.objects.exists()


def test_the_probe_fails_knob_is_on_the_vm_page(admin_client, web1):
    html = admin_client.get(admin_url(VirtualMachine, "change", web1.pk)).content.decode()
    assert 'name="probe_fails"' in html and "Probe fails" in html


def test_changes_made_in_the_admin_are_requested_by_the_staff_member(admin_client, admin_user, tmp_path):
    """A change the load balancer carries is an operation, and the admin's add, edit and probe change name who asked."""
    balancer = load_balancer(tmp_path)
    vm = factories.VirtualMachineFactory(cloud_service__region=balancer.region)
    assert post_endpoint(admin_client, vm).status_code == 302
    endpoint = Endpoint.objects.get()
    data = {"name": "Web", "protocol": "tcp", "public_port": 81, "private_port": 80}
    assert admin_client.post(admin_url(Endpoint, "change", endpoint.pk), data).status_code == 302
    lb_set = endpoint_create(
        vm=vm,
        name="HTTPS",
        protocol="tcp",
        public_port=443,
        private_port=443,
        load_balanced_set_name="web",
        probe_port=443,
    ).load_balanced_set
    data = {
        "probe_protocol": "tcp",
        "probe_port": 443,
        "probe_path": "",
        "probe_interval": 30,
        "probe_count": 2,
        "members-TOTAL_FORMS": 0,
        "members-INITIAL_FORMS": 0,
    }
    assert admin_client.post(admin_url(LoadBalancedSet, "change", lb_set.pk), data).status_code == 302
    operations = Operation.objects.filter(kind=Operation.Kind.ENDPOINTS).order_by("pk")
    assert [(operation.title, operation.requested_by) for operation in operations] == [
        (f"Adding endpoint HTTP to {vm.name}", admin_user),
        (f"Updating endpoint Web of {vm.name}", admin_user),
        (f"Adding endpoint HTTPS to {vm.name}", None),
        ("Updating the probe of load-balanced set web", admin_user),
    ]
