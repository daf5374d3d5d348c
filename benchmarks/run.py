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
    # The JSON API with a bearer token (lookup and rate count included): 100 VMs a page, a set of 40 members.
    "api_vm_list_median_ms": (150.0, "ms"),
    "api_vm_list_queries": (5, "queries"),
    "api_set_median_ms": (150.0, "ms"),
    "api_set_queries": (5, "queries"),
    # A Linux VM with an SSH key: the portal's own work, one transaction, placement under the set's lock.
    "deploy_into_set_median_ms": (100.0, "ms"),
    # A password costs one hash on top (Django's PBKDF2, deliberately slow).
    "password_hash_median_ms": (1000.0, "ms"),
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
    results |= measure_api(user, subscription, availability_set, repeat)
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
    return results


def measure_api(user, subscription, availability_set, repeat: int) -> dict[str, float]:
    """Time the API's VM list (100 a page) and a set of 40 members, as a script with a token calls them."""
    from datetime import timedelta

    from django.utils import timezone

    from api.services import api_token_create

    settings.API_RATE_LIMIT = 10**9
    _, raw = api_token_create(
        user=user, subscription=subscription, name="benchmark", expires_at=timezone.now() + timedelta(days=1)
    )
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    urls = {
        "api_vm_list": "/api/v1/virtual-machines?limit=100",
        "api_set": f"/api/v1/availability-sets/{availability_set.pk}",
    }
    results: dict[str, float] = {}
    for name, url in urls.items():
        assert client.get(url).status_code == 200, url
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        results[f"{name}_queries"] = len(queries)
        results[f"{name}_median_ms"] = timed(lambda url=url: client.get(url), repeat)
    return results


if __name__ == "__main__":
    sys.exit(main())
