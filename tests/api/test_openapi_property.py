"""A property-based run over the OpenAPI document: every operation, valid and invalid input, no 5xx, answers conform."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.v1.api import api as ninja_api
from tests import factories
from tests.helpers.api import make_raw_token

# Modest, so the suite stays fast: each operation gets this many generated cases per mode (valid, invalid).
MAX_EXAMPLES = 8

schema = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema(path_prefix="/api/v1"))
schema.app = get_wsgi_application()
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES, deterministic=True
)
# Generated cases only: the coverage phase's exhaustive boundary values take minutes over 30 operations.
schema.config.phases.update(phases=["examples", "fuzzing"])


@pytest.fixture
def keep_connection():
    """Keep the test's database connection open across requests, as Django's test client does."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def bearer(db, user, subscription, keep_connection) -> dict:
    """A token, and a few of the subscription's objects for generated ids to run into."""
    memberships = factories.MembershipFactory.create_batch(
        2, availability_set__cloud_service__subscription=subscription, virtual_machine__status="running"
    )
    vm = memberships[0].virtual_machine
    factories.EndpointFactory(
        virtual_machine=vm, load_balanced_set=factories.LoadBalancedSetFactory(cloud_service=vm.cloud_service)
    )
    factories.AffinityGroupFactory(subscription=subscription)
    application = factories.ApplicationFactory(subscription=subscription)
    factories.RoleFactory(application=application, availability_set=memberships[0].availability_set)
    factories.RoleFactory(application=application, availability_set=memberships[1].availability_set)
    return {"Authorization": f"Bearer {make_raw_token(user, subscription)}"}


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_operation_conforms_and_never_fails_on_the_server(case, bearer):
    # Schema-valid input may still break a business rule (an id that is not the subscription's, a taken name), which
    # is a 400 with the portal's message; every other built-in check runs.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])
