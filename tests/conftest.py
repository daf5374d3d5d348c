"""Shared fixtures: a signed-in person with a subscription, and a fabric that answers at once."""

from __future__ import annotations

from importlib import import_module

import pytest
from django.apps import apps

from tests.factories import STRONG_PASSWORD, SubscriptionFactory, UserFactory
from tests.helpers.fabric import simulated_topology


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def _restores_migrated_data(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    return bool(marker is not None and marker.kwargs.get("serialized_rollback"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Among the tests in real transactions, run those that restore the migrated data (serialized_rollback) first.

    Any other such test ends with a flush that recreates the content types under new ids; a restoring test after it
    would then insert the saved content types beside them and fail on their unique names, whatever the order of files.
    """
    positions = [index for index, item in enumerate(items) if _transactional(item)]
    block = sorted((items[index] for index in positions), key=lambda item: not _restores_migrated_data(item))
    for index, item in zip(positions, block, strict=True):
        items[index] = item


@pytest.fixture(autouse=True)
def instant_fabric(settings):
    """Run tasks in-process as soon as their transaction commits, with no simulated delay."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.FABRIC_OPERATION_SECONDS = 0
    settings.FABRIC_FAILURE_RATE = 0
    # A fast hasher keeps the suite quick; the hashing itself is Django's and is exercised all the same.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def subscription(user):
    return SubscriptionFactory(members=[user])


@pytest.fixture
def signed_in(client, user, subscription):
    """A test client signed in as a person who belongs to `subscription`."""
    client.force_login(user)
    return client


@pytest.fixture
def password() -> str:
    return STRONG_PASSWORD


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database has the catalog (its data migration) and a simulated topology to place VMs on."""
    with django_db_blocker.unblock():
        simulated_topology()


@pytest.fixture(autouse=True)
def catalog(request):
    """Restore the catalog and the topology for tests in real transactions: their database is flushed after each."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or {
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if transactional:
        request.getfixturevalue("transactional_db")
        import_module("vms.migrations.0002_catalog").load_catalog(apps, None)
        simulated_topology()
