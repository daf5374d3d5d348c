"""Measure the portal's hot paths against its targets; exit non-zero when one is missed.

Runs on a throwaway test database (SQLite by default, PostgreSQL when DATABASE_URL points at it):
    .venv/bin/python benchmarks/run.py [--vms 300] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("SQLITE_TEST_NAME", str(Path(tempfile.gettempdir()) / f"portal-benchmark-{os.getpid()}.sqlite3"))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

# Each target: (upper bound, unit).
TARGETS = {
    "vm_list_median_ms": (150.0, "ms"),
    "vm_list_queries": (12, "queries"),
    "vm_list_peak_memory_mb": (20.0, "MB"),
    "set_page_median_ms": (150.0, "ms"),
    "set_page_queries": (15, "queries"),
    "dashboard_median_ms": (150.0, "ms"),
    "dashboard_queries": (20, "queries"),
    # A Linux VM with an SSH key: the portal's own work, one transaction, placement under the set's lock.
    "deploy_into_set_median_ms": (100.0, "ms"),
    # A password costs one hash on top (Django's PBKDF2, deliberately slow).
    "password_hash_median_ms": (1000.0, "ms"),
    # A VM's Endpoints tab and its cloud service's page (every endpoint, each set's members and last hour).
    "endpoints_tab_3_queries": (10, "queries"),
    "endpoints_tab_150_queries": (10, "queries"),
    "endpoints_tab_150_median_ms": (150.0, "ms"),
    "cloud_service_page_3_queries": (12, "queries"),
    "cloud_service_page_150_queries": (12, "queries"),
    "cloud_service_page_150_median_ms": (150.0, "ms"),
    # One probe round over 1,000 members of 25 sets, every member changing state: one read, bulk writes.
    "probe_round_1000_queries": (10, "queries"),
    "probe_round_1000_median_ms": (500.0, "ms"),
}


def timed(function, repeat: int) -> float:
    """Return the median wall time of `repeat` calls, in milliseconds."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def build(vm_count: int):
    """Create a subscription with `vm_count` VMs over cloud services of 40; the first service's VMs share a set."""
    from availability.models import AvailabilitySet
    from availability.services import availability_set_join
    from tests import factories

    user = factories.UserFactory(username="benchmark")
    subscription = factories.SubscriptionFactory(members=[user], core_quota=100_000, cloud_service_quota=1000)
    storage = factories.StorageAccountFactory(subscription=subscription)
    services = []
    for start in range(0, vm_count, 40):
        service = factories.CloudServiceFactory(subscription=subscription, region=storage.region)
        factories.VirtualMachineFactory.create_batch(
            min(40, vm_count - start), cloud_service=service, storage_account=storage
        )
        services.append(service)
    availability_set = AvailabilitySet.objects.create(cloud_service=services[0], name="bench")
    members = list(services[0].virtual_machines.all())
    with transaction.atomic():
        for vm in members:
            availability_set_join(vm=vm, availability_set=availability_set)
    return user, subscription, services[0], availability_set, members


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vms", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=20)
    options = parser.parse_args()

    from django.test.utils import setup_databases, teardown_databases

    setup_test_environment()
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    settings.PAGE_SIZE = 50
    old_config = setup_databases(verbosity=0, interactive=False)
    try:
        results = measure(options.vms, options.repeat)
    finally:
        teardown_databases(old_config, verbosity=0)

    print(f"database: {connection.vendor}; {options.vms} VMs, 40 of them in one set; median of {options.repeat} runs")
    missed = []
    for name, value in results.items():
        bound, unit = TARGETS[name]
        verdict = "ok" if value <= bound else "MISSED"
        if verdict == "MISSED":
            missed.append(name)
        print(f"{name:28} {value:10.1f} {unit:8} target <= {bound:g}  {verdict}")
    return 1 if missed else 0


def measure(vm_count: int, repeat: int) -> dict[str, float]:
    from django.contrib.auth.hashers import make_password

    from availability.services import virtual_machine_deploy
    from tests import factories

    user, subscription, service, availability_set, vms = build(vm_count)
    client = Client()
    client.force_login(user)
    pages = {
        "vm_list": "/virtual-machines/",
        "set_page": availability_set.get_absolute_url(),
        "dashboard": vms[0].get_absolute_url(),
    }
    results: dict[str, float] = {}
    for name, url in pages.items():
        assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[f"{name}_queries"] = len(queries)
        results[f"{name}_median_ms"] = timed(lambda url=url: client.get(url), repeat)
    tracemalloc.start()
    client.get(pages["vm_list"])
    results["vm_list_peak_memory_mb"] = tracemalloc.get_traced_memory()[1] / 1024 / 1024
    tracemalloc.stop()

    counter = iter(range(10**6))
    certificate = factories.certificate_pem()
    image_version = factories.image_version("Ubuntu Server 12.04 LTS")
    size = factories.size("ExtraSmall")

    def deploy() -> None:
        virtual_machine_deploy(
            user=user,
            subscription=subscription,
            image_version=image_version,
            name=f"bench{next(counter)}",
            admin_username="azureuser",
            ssh_certificate=certificate,
            size=size,
            cloud_service=service,
            availability_set=availability_set,
        )

    # The cloud service holds 40 VMs; ten more fill it to the platform's limit of 50.
    results["deploy_into_set_median_ms"] = timed(deploy, 10)
    results["password_hash_median_ms"] = timed(lambda: make_password(factories.STRONG_PASSWORD), 5)
    results |= measure_endpoints(client, subscription, repeat)
    return results


def endpoint_rows(vm, count: int, *, prefix: str, load_balanced_set=None, start: int = 1000) -> list:
    from endpoints.models import Endpoint

    return [
        Endpoint(
            virtual_machine=vm,
            cloud_service_id=vm.cloud_service_id,
            name=f"{prefix}{i}",
            protocol="tcp",
            public_port=start + i,
            private_port=start + i,
            load_balanced_set=load_balanced_set,
        )
        for i in range(count)
    ]


def measure_endpoints(client: Client, subscription, repeat: int) -> dict[str, float]:
    """Endpoint pages with 3 and with 150 endpoints in a cloud service, and a probe round over 1,000 members."""
    from django.utils import timezone

    from endpoints.models import Endpoint, LoadBalancedSet
    from endpoints.services import load_balanced_sets_probe
    from tests import factories
    from vms.models import CloudService, VirtualMachine

    results: dict[str, float] = {}
    storage = factories.StorageAccountFactory(subscription=subscription)
    for count in (3, 150):
        service = factories.CloudServiceFactory(subscription=subscription, region=storage.region)
        vms = factories.VirtualMachineFactory.create_batch(10, cloud_service=service, storage_account=storage)
        lb_set = factories.LoadBalancedSetFactory(cloud_service=service, public_port=80)
        members = min(count, len(vms))
        Endpoint.objects.bulk_create(
            [
                row
                for vm in vms[:members]
                for row in endpoint_rows(vm, 1, prefix="web", load_balanced_set=lb_set, start=80)
            ]
        )
        Endpoint.objects.bulk_create(endpoint_rows(vms[0], count - members, prefix="e", start=2000))
        load_balanced_sets_probe(now=timezone.now())
        for name, url in (
            ("endpoints_tab", f"/virtual-machines/{vms[0].pk}/endpoints/"),
            ("cloud_service_page", f"/cloud-services/{service.pk}/"),
        ):
            assert client.get(url).status_code == 200, url
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            results[f"{name}_{count}_queries"] = len(queries)
            if count == 150:
                results[f"{name}_{count}_median_ms"] = timed(lambda url=url: client.get(url), repeat)

    # 25 cloud services of 40 VMs, each with one load-balanced set over all 40.
    template = VirtualMachine.objects.filter(cloud_service__subscription=subscription).first()
    sets = []
    for index in range(25):
        service = CloudService.objects.create(
            subscription=subscription, name=f"probe{index:04d}", region=storage.region
        )
        vms = VirtualMachine.objects.bulk_create(
            VirtualMachine(
                cloud_service=service,
                name=f"member{i}",
                image_version_id=template.image_version_id,
                size_id=template.size_id,
                storage_account=storage,
                admin_username="azureuser",
                password_hash="!",
                status=VirtualMachine.Status.RUNNING,
            )
            for i in range(40)
        )
        lb_set = LoadBalancedSet.objects.create(
            cloud_service=service,
            name="web",
            protocol="tcp",
            public_port=80,
            private_port=80,
            probe_protocol="tcp",
            probe_port=80,
            probe_interval=5,
            probe_count=2,
        )
        Endpoint.objects.bulk_create(
            Endpoint(
                virtual_machine=vm,
                cloud_service=service,
                name="HTTP",
                protocol="tcp",
                public_port=80,
                private_port=80,
                load_balanced_set=lb_set,
                probe_failures=2,
            )
            for vm in vms
        )
        sets.append(lb_set)
    probe_sets = LoadBalancedSet.objects.filter(pk__in=[lb_set.pk for lb_set in sets])
    member_vms = VirtualMachine.objects.filter(cloud_service__load_balanced_sets__in=probe_sets)
    assert Endpoint.objects.filter(load_balanced_set__in=probe_sets).count() == 1000

    def full_round() -> None:
        # Every member flips: all enter, then all leave (two failed probes), so each round writes 1,000 rows.
        probe_sets.update(next_probe_at=None)
        running = Endpoint.objects.filter(load_balanced_set__in=probe_sets, in_rotation=False).exists()
        member_vms.update(status=VirtualMachine.Status.RUNNING if running else VirtualMachine.Status.STOPPED)
        load_balanced_sets_probe(now=timezone.now())

    full_round()
    member_vms.update(status=VirtualMachine.Status.RUNNING)
    Endpoint.objects.filter(load_balanced_set__in=probe_sets).update(in_rotation=False, probe_failures=2)
    probe_sets.update(next_probe_at=None)
    with CaptureQueriesContext(connection) as queries:
        outcome = load_balanced_sets_probe(now=timezone.now())
    assert outcome.probed == 1000 and outcome.entered == 1000, outcome
    results["probe_round_1000_queries"] = len(queries)
    samples = []
    for _ in range(max(repeat // 4, 3)):
        probe_sets.update(next_probe_at=None)
        Endpoint.objects.filter(load_balanced_set__in=probe_sets).update(in_rotation=False, probe_failures=2)
        started = time.perf_counter()
        load_balanced_sets_probe(now=timezone.now())
        samples.append((time.perf_counter() - started) * 1000)
    results["probe_round_1000_median_ms"] = statistics.median(samples)
    return results


if __name__ == "__main__":
    sys.exit(main())
