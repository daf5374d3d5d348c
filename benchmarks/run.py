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
    # The application page: the same queries with 2 VMs as with 200, and the pure assessment of a large application.
    "application_page_queries_2_vms": (15, "queries"),
    "application_page_queries_200_vms": (15, "queries"),
    "application_page_200_vms_median_ms": (300.0, "ms"),
    "assessment_50_roles_x_20_members_median_ms": (50.0, "ms"),
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

    results |= measure_applications(client, subscription, storage_account=vms[0].storage_account, repeat=repeat)

    # The cloud service holds 40 VMs; ten more fill it to the platform's limit of 50.
    results["deploy_into_set_median_ms"] = timed(deploy, 10)
    results["password_hash_median_ms"] = timed(lambda: make_password(factories.STRONG_PASSWORD), 5)
    return results


def build_application(subscription, storage_account, *, name: str, vm_count: int):
    """Create an application whose roles are sets of up to 40 VMs each, every role depending on the one before."""
    from applications.models import Application, Dependency, Role
    from availability.models import AvailabilitySet, Membership
    from tests import factories

    application = Application.objects.create(subscription=subscription, name=name)
    previous = None
    for start in range(0, vm_count, 40):
        service = factories.CloudServiceFactory(subscription=subscription, region=storage_account.region)
        vms = factories.VirtualMachineFactory.create_batch(
            min(40, vm_count - start), cloud_service=service, storage_account=storage_account, password_hash="!"
        )
        availability_set = AvailabilitySet.objects.create(cloud_service=service, name=f"{name}{start}")
        Membership.objects.bulk_create(
            Membership(availability_set=availability_set, virtual_machine=vm, fault_domain=i % 2, update_domain=i % 5)
            for i, vm in enumerate(vms)
        )
        role = Role.objects.create(application=application, name=f"tier{start}", availability_set=availability_set)
        if previous is not None:
            Dependency.objects.create(role=role, depends_on=previous)
        previous = role
    return application


def large_assessment_input():
    """Build the assessment's input for 50 roles of 20 members each, with random slots, states and dependencies."""
    import random

    from applications import assessment as model

    rng = random.Random(50)  # noqa: S311 - a benchmark input, not security
    roles = tuple(
        model.Role(
            key=r,
            name=f"role{r}",
            members=tuple(
                model.Member(r * 100 + m, f"vm{r}-{m}", rng.randrange(3), rng.randrange(20), rng.random() < 0.9)
                for m in range(20)
            ),
            set_name=f"set{r}",
            fault_domain_count=3,
            update_domain_count=20,
        )
        for r in range(50)
    )
    dependencies = tuple((a, b) for a in range(50) for b in range(a) if rng.random() < 0.05)
    return model.Application("large", roles, dependencies)


def measure_applications(client: Client, subscription, *, storage_account, repeat: int) -> dict[str, float]:
    from applications import assessment as model

    results: dict[str, float] = {}
    for vm_count in (2, 200):
        application = build_application(subscription, storage_account, name=f"bench{vm_count}", vm_count=vm_count)
        url = application.get_absolute_url()
        assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[f"application_page_queries_{vm_count}_vms"] = len(queries)
        if vm_count == 200:
            results["application_page_200_vms_median_ms"] = timed(lambda url=url: client.get(url), repeat)
    large = large_assessment_input()
    results["assessment_50_roles_x_20_members_median_ms"] = timed(lambda: model.assess(large), repeat)
    return results


if __name__ == "__main__":
    sys.exit(main())
