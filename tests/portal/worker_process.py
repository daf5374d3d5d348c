"""Run ``manage.py worker`` in a process of its own, with the fabric writing one line per call to FABRIC_CALL_LOG.

The process tests start this as a subprocess against the test database, so they can kill it, cut its database off,
or race several of them, and still count how often the fabric carried out each operation.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from vms import fabric  # noqa: E402

carry_out = fabric.carry_out


def counting_carry_out(operation):
    """Record the call, then let the simulated fabric carry the operation out."""
    with open(os.environ["FABRIC_CALL_LOG"], "a") as log:
        log.write(f"{operation.pk}\n")
    return carry_out(operation)


fabric.carry_out = counting_carry_out
call_command("worker", *sys.argv[1:])
