"""The balancer tests' real HAProxy, and a lab of four hosts in two racks with its HAProxy, for maintenance."""

from __future__ import annotations

import atexit
import subprocess
import time
from collections.abc import Iterator

import pytest

from fabric.lab.hosts import LabError, recorded_balancer, start_hosts, stop_hosts
from tests.balancer.conftest import start_haproxy  # noqa: F401 - a fixture
from tests.fabric.conftest import CAPABILITIES_CACHE, IMAGES, ROOT, Lab, _unavailable
from tests.helpers.lab import skip_or_fail

LAB_FREE_TIMEOUT = 600  # another session's lab may hold the machine's fixed names this long


@pytest.fixture
def lab_of_four(tmp_path_factory) -> Iterator[tuple[Lab, object]]:
    """Four lab hosts in two racks and the lab's HAProxy, stopped at the end whatever happens."""
    reason = _unavailable()
    if reason:
        skip_or_fail(reason)
    build = subprocess.run(
        [str(ROOT / "fabric" / "lab" / "build_guest_image.sh"), str(IMAGES)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if build.returncode != 0:
        skip_or_fail(f"the lab guest image did not build: {build.stderr.strip()}")
    workdir = tmp_path_factory.mktemp("lab4")
    atexit.register(stop_hosts, workdir)
    deadline = time.monotonic() + LAB_FREE_TIMEOUT
    while True:
        try:
            hosts = start_hosts(4, 2, workdir, images=IMAGES, cache=CAPABILITIES_CACHE, balancer=True)
            break
        except LabError as error:
            # Only one lab runs on a machine: wait (bounded) while another one's names are taken.
            if "is a lab running?" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(5)
    try:
        yield Lab(hosts=hosts, workdir=workdir), recorded_balancer(workdir)
    finally:
        stop_hosts(workdir)
