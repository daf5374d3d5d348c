"""The balancer tests' real HAProxy, for maintenance behind a load balancer."""

from tests.balancer.conftest import start_haproxy  # noqa: F401 - a fixture
