"""The portal's migrations match its models and tell each app's history as one straight line."""

from __future__ import annotations

import itertools
import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db.migrations.loader import MigrationLoader

ROOT = Path(settings.BASE_DIR).resolve()


def portal_apps() -> list[str]:
    """Return the labels of the apps that live in this repository, not in the virtualenv."""
    labels = []
    for config in apps.get_app_configs():
        path = Path(config.path)
        if path.is_relative_to(ROOT) and ".venv" not in path.relative_to(ROOT).parts:
            labels.append(config.label)
    return labels


@pytest.fixture(scope="module")
def loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)


def test_the_portal_apps_are_found():
    assert {"portal", "vms", "availability", "endpoints", "applications", "classic", "api"} <= set(portal_apps())


@pytest.mark.django_db
def test_makemigrations_finds_nothing_to_change():
    """A model change without its migration fails here (makemigrations --check exits with status 1)."""
    output = StringIO()
    try:
        call_command("makemigrations", check=True, dry_run=True, interactive=False, stdout=output, stderr=output)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check exited with {exit_.code}:\n{output.getvalue()}")
    assert "No changes detected" in output.getvalue()


@pytest.mark.parametrize("label", portal_apps())
def test_each_app_has_one_leaf_and_no_merge_migrations(loader, label):
    names = sorted(name for app, name in loader.disk_migrations if app == label)
    if not names:
        pytest.skip(f"{label} has no migrations")
    assert loader.graph.leaf_nodes(label) == [(label, names[-1])]
    for name in names:
        migration = loader.disk_migrations[label, name]
        parents = [dependency for dependency in migration.dependencies if dependency[0] == label]
        assert len(parents) <= 1, f"{label}.{name} merges {parents}"
        assert not migration.replaces, f"{label}.{name} squashes {migration.replaces}"


@pytest.mark.parametrize("label", portal_apps())
def test_each_app_numbers_its_migrations_in_one_chain_from_0001_initial(loader, label):
    names = sorted(name for app, name in loader.disk_migrations if app == label)
    if not names:
        pytest.skip(f"{label} has no migrations")
    assert names[0] == "0001_initial"
    numbers = [int(re.match(r"\d{4}", name).group()) for name in names]
    assert numbers == list(range(1, len(names) + 1)), f"{label}: {names}"
    for previous, name in itertools.pairwise(names):
        migration = loader.disk_migrations[label, name]
        parents = [dependency for dependency in migration.dependencies if dependency[0] == label]
        assert parents == [(label, previous)], f"{label}.{name} follows {parents}, not {previous}"
