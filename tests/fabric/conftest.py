"""Fabric tests: libvirt-python is optional, unless PORTAL_REAL_GUESTS=required says the run must use it."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def real_guests_required() -> bool:
    return os.environ.get("PORTAL_REAL_GUESTS", "") == "required"


def require_libvirt() -> ModuleType:
    """Return libvirt-python; skip the calling test without it, or fail it when PORTAL_REAL_GUESTS=required."""
    try:
        return importlib.import_module("libvirt")
    except ImportError:
        reason = "libvirt-python is not installed (pip install -r requirements-fabric.txt)"
        if real_guests_required():
            pytest.fail(f"PORTAL_REAL_GUESTS=required, but {reason}.")
        pytest.skip(reason)


@pytest.fixture
def libvirt_module() -> ModuleType:
    return require_libvirt()
