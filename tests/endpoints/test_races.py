"""Racing adds to one cloud service: one public port has one winner, the others get the field error (PostgreSQL)."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from endpoints import services
from endpoints.models import Endpoint
from tests import factories

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def slow_checks(monkeypatch):
    """Widen the window between checking the public port and writing the endpoint, as a busy database would."""
    check = services.public_port_check

    def slow_check(**kwargs):
        check(**kwargs)
        time.sleep(0.2)

    monkeypatch.setattr(services, "public_port_check", slow_check)


def test_racing_adds_of_one_public_port_leave_exactly_one_winner(slow_checks):
    cloud_service = factories.CloudServiceFactory()
    vms = [factories.VirtualMachineFactory(cloud_service=cloud_service, name=f"web{i}") for i in range(4)]
    barrier = threading.Barrier(len(vms))
    outcomes: list[str] = []
    refusals: list[dict] = []
    errors: list[BaseException] = []

    def add(vm) -> None:
        try:
            barrier.wait(timeout=10)
            services.endpoint_create(vm=vm, name="HTTP", protocol="tcp", public_port=80, private_port=80)
            outcomes.append("won")
        except ValidationError as error:
            outcomes.append("refused")
            refusals.append(error.message_dict)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(vm,)) for vm in vms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sorted(outcomes) == ["refused", "refused", "refused", "won"]
    assert Endpoint.objects.filter(cloud_service=cloud_service, public_port=80).count() == 1
    for refusal in refusals:
        assert list(refusal) == ["public_port"]
        assert "already uses public port 80 (TCP)" in refusal["public_port"][0]


def test_racing_adds_never_pass_150_endpoints(monkeypatch):
    cloud_service = factories.CloudServiceFactory()
    vms = [factories.VirtualMachineFactory(cloud_service=cloud_service, name=f"web{i}") for i in range(3)]
    Endpoint.objects.bulk_create(
        Endpoint(
            virtual_machine=vms[0],
            cloud_service=cloud_service,
            name=f"e{i}",
            protocol="tcp",
            public_port=1000 + i,
            private_port=1000 + i,
        )
        for i in range(services.ENDPOINTS_PER_CLOUD_SERVICE - 1)
    )
    count = services.endpoint_capacity_check

    def slow_count(**kwargs):
        count(**kwargs)
        time.sleep(0.2)

    monkeypatch.setattr(services, "endpoint_capacity_check", slow_count)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def add(vm, port) -> None:
        try:
            barrier.wait(timeout=10)
            services.endpoint_create(vm=vm, name="Web", protocol="tcp", public_port=port, private_port=port)
            outcomes.append("won")
        except ValidationError as error:
            outcomes.append(next(iter(error.message_dict)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=add, args=(vm, port)) for vm, port in ((vms[1], 80), (vms[2], 81))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["name", "won"]
    assert Endpoint.objects.filter(cloud_service=cloud_service).count() == services.ENDPOINTS_PER_CLOUD_SERVICE
