"""Whatever a client sends, the portal answers normally: random htmx headers and random form bodies, on every page and
every wizard step, never get a server error (5xx)."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import Application, Dependency, Drill, Role
from availability.models import AvailabilitySet
from classic.models import ManagementCertificate
from credentials.models import ApiToken
from credentials.services import api_token_create
from endpoints.models import Endpoint, LoadBalancedSet
from maintenance.models import MaintenanceRun
from portal.models import Subscription
from tests import factories
from tests.helpers.wizard import CURRENT_STEP, configuration, image, standalone, submit, url
from vms.models import (
    AffinityGroup,
    CloudService,
    Image,
    Operation,
    StorageAccount,
    VirtualMachine,
    VirtualNetwork,
)

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

HTMX_HEADERS = [
    "HX-Request",
    "HX-Boosted",
    "HX-Current-URL",
    "HX-History-Restore-Request",
    "HX-Prompt",
    "HX-Target",
    "HX-Trigger",
    "HX-Trigger-Name",
    "Triggering-Event",
]
LIKELY_HEADER_VALUES = [
    "true",
    "false",
    "",
    "http://[",
    "http://]",
    "http://testserver/virtual-machines/new/",
    "http://testserver/virtual-machines/new/image/",
    "http://testserver:99999/",
    "%",
    "%ZZ",
    "%5B",
    "dialog-root",
    "wizard-page",
    "wizard-images",
    "vm-status",
    "main",
    "{",
    '{"target": null}',
]
# What a WSGI server can hand over: header bytes read as Latin-1, without line breaks.
header_text = st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40)
header_value = st.one_of(st.sampled_from(LIKELY_HEADER_VALUES), header_text)
htmx_headers = st.dictionaries(
    st.one_of(st.sampled_from(HTMX_HEADERS), st.sampled_from(HTMX_HEADERS).map(lambda name: f"{name}-URI-AutoEncoded")),
    header_value,
    max_size=8,
)

FIELD_NAMES = [
    CURRENT_STEP,
    "wizard_goto_step",
    "image-image",
    "configuration-image_version",
    "configuration-name",
    "configuration-admin_username",
    "configuration-admin_password",
    "configuration-confirm_password",
    "configuration-size",
    "configuration-use_password",
    "configuration-use_ssh_key",
    "mode-mode",
    "mode-dns_name",
    "mode-location",
    "mode-cloud_service",
    "mode-storage_account",
    "options-availability_set",
    "options-availability_set_name",
    "options-subnet",
    "dns_name",
    "q",
    "category",
    "page",
    "groups_page",
    "networks_page",
    "name",
    "region",
    "size",
    "availability_set",
    "availability_set_name",
    "confirmed",
    "delete_cloud_service",
    "subscription",
    "next",
    "username",
    "password",
    "affinity_group-name",
    "affinity_group-region",
    "virtual_network-name",
    "virtual_network-affinity_group",
    "virtual_network-address_space",
    "virtual_network-subnet_name",
    "virtual_network-subnet_address_prefix",
]
LIKELY_VALUES = ["", "0", "1", "-1", "2", "99999999999999999999", "on", "true", "create", "new", "none", "standalone"]
LIKELY_VALUES += ["connect", "image", "configuration", "mode", "options", "finished", "region-1", "affinity-1"]
LIKELY_VALUES += ["10.0.0.0/16", "10.0.0.0/24", "10.0.0.0/33", "web1", "contosoweb", "../..", "http://evil.example/"]
# Anything that can be sent as UTF-8, NUL and control characters included.
body_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)
body_value = st.one_of(st.sampled_from(LIKELY_VALUES), body_text, st.integers().map(str))
field_value = st.one_of(body_value, st.lists(body_value, max_size=3))
# Each known field present or not, with any value, and now and then a field nobody expects.
form_body = st.builds(
    lambda known, unknown: unknown | known,
    st.fixed_dictionaries({}, optional=dict.fromkeys(FIELD_NAMES, field_value)),
    st.dictionaries(st.text(max_size=12), field_value, max_size=2),
)


@pytest.fixture
def world(signed_in, user, subscription):
    """One of everything the pages show, in the signed-in person's subscription, and a second subscription."""
    membership = factories.MembershipFactory(availability_set__cloud_service__subscription=subscription)
    vm = membership.virtual_machine
    factories.SubnetFactory(virtual_network__subscription=subscription)
    factories.StorageAccountFactory(subscription=subscription)
    factories.OperationFactory(virtual_machine=vm)
    factories.SubscriptionFactory(members=[user])
    load_balanced_set = factories.LoadBalancedSetFactory(cloud_service=vm.cloud_service)
    factories.EndpointFactory(virtual_machine=vm, load_balanced_set=load_balanced_set)
    factories.EndpointFactory(virtual_machine=vm)
    application = factories.ApplicationFactory(subscription=subscription)
    web = factories.RoleFactory(application=application, availability_set=membership.availability_set)
    data = factories.RoleFactory(application=application, virtual_machine=factories.VirtualMachineFactory())
    Dependency.objects.create(role=web, depends_on=data)
    Drill.objects.create(application=application, kind=Drill.Kind.WALK, status=Drill.Status.COMPLETED)
    api_token_create(user=user, subscription=subscription, name="fuzz", expires_at=timezone.now() + timedelta(days=1))
    ManagementCertificate.objects.create(
        subscription=subscription, uploaded_by=user, thumbprint="A" * 40, subject="CN=fuzz", not_after=timezone.now()
    )
    return membership


# The model a numeric id names, by the path segment before it (or the argument's own name).
ID_OWNERS = {
    "virtual-machines": VirtualMachine,
    "cloud-services": CloudService,
    "availability-sets": AvailabilitySet,
    "applications": Application,
    "notifications": Operation,
    "api-tokens": ApiToken,
    "management-certificates": ManagementCertificate,
    "role_pk": Role,
    "dependency_pk": Dependency,
    "drill_pk": Drill,
    "set_pk": LoadBalancedSet,
    "maintenance": MaintenanceRun,
    # The JSON API names its objects by argument.
    "image_id": Image,
    "group_id": AffinityGroup,
    "network_id": VirtualNetwork,
    "account_id": StorageAccount,
    "service_id": CloudService,
    "vm_id": VirtualMachine,
    "set_id": AvailabilitySet,
    "endpoint_id": Endpoint,
    "lb_set_id": LoadBalancedSet,
    "application_id": Application,
    "role_id": Role,
    "dependency_id": Dependency,
    "drill_id": Drill,
    "operation_id": Operation,
    # The classic API names them by their names.
    "subscription_id": lambda: str(Subscription.objects.order_by("pk").first().subscription_id),
    "name": lambda: CloudService.objects.order_by("pk").first().name,
    "deployment_name": lambda: CloudService.objects.order_by("pk").first().name,
    "role_name": lambda: VirtualMachine.objects.order_by("pk").first().name,
    "request_id": lambda: "00000000-0000-0000-0000-000000000000",
}
# Path arguments that name something other than a row: a few of the values each may take.
WORDS = {
    "step": ["unknown", "finished", "image", "options", "kind", "set"],
    "command": ["start", "shutdown", "restart", "delete", "unknown"],
    "rest": ["", "unknown"],
    "slot": ["production", "staging"],
}
# Django's own admin is not the portal's to fuzz.
SKIPPED_NAMESPACES = {"admin"}


def url_patterns(patterns=None, prefix: str = "", namespace: str = ""):
    """Yield (name, route) for every URL the portal answers, walking included URL configurations."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            inner = f"{namespace}:{pattern.namespace}" if pattern.namespace else namespace
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        else:
            yield f"{namespace}:{pattern.name}".lstrip(":"), prefix + str(pattern.pattern)


def route_arguments(route: str) -> list[tuple[str, str]]:
    """Return each path argument of a route with the literal segment before it."""
    found = []
    before = ""
    for segment in route.strip("^$").split("/"):
        match = re.fullmatch(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>.*\)\$?", segment)
        if match:
            found.append((match.group(1) or match.group(2), before))
        else:
            before = segment
    return found


def fillings(route: str) -> list[dict[str, str]]:
    """Every way to fill a route's arguments that this fuzz tries: one per word of a named choice."""
    options = []
    for argument, before in route_arguments(route):
        if argument in WORDS:
            options.append([(argument, word) for word in WORDS[argument]])
        else:
            options.append([(argument, ID_OWNERS.get(argument) or ID_OWNERS.get(before))])
    return [dict(combination) for combination in itertools.product(*options)]


def fill(route: str, filling: dict) -> str:
    """The path of a route with its arguments replaced by real ids (or the words chosen)."""
    path = route.strip("^$")
    for argument, value in filling.items():
        if isinstance(value, type):
            row = value.objects.order_by("pk").first()
            value = str(row.pk if row else 1)
        elif callable(value):
            value = value()
        path = re.sub(rf"<(?:\w+:)?{argument}>|\(\?P<{argument}>[^)]*\)", value, path)
    return "/" + path


def page_id(name: str, filling: dict) -> str:
    words = [value for value in filling.values() if isinstance(value, str)]
    return f"{name}[{','.join(words)}]" if words else name


PAGES = {page_id(name, filling): (route, filling) for name, route in url_patterns() for filling in fillings(route)}


def test_the_fuzz_reaches_every_page_with_real_ids():
    """Every route is fuzzed, and every numeric argument is filled from the world rather than left to chance."""
    assert any(name.startswith("endpoints:add-step") for name in PAGES)
    assert any(name.startswith("api-tokens") for name in PAGES)
    assert any(name.startswith("management-certificate-delete") for name in PAGES)
    for name, (route, filling) in PAGES.items():
        for argument, value in filling.items():
            assert value is not None, f"{name}: no model gives the id of <{argument}>; add it to ID_OWNERS"


def assert_normal_answer(response, method: str, path: str, headers: dict, body: dict) -> None:
    assert response.status_code < 500, (method, path, headers, body)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_any_headers_and_body_normally(client, world, user, page):
    route, filling = PAGES[page]
    path = fill(route, filling)

    @FUZZ
    @given(method=st.sampled_from(["get", "post"]), headers=htmx_headers, body=form_body)
    def request_anything(method, headers, body):
        # Sign in again each time: one of the pages is Sign out.
        client.force_login(user)
        response = getattr(client, method)(path, body, headers=headers)
        assert_normal_answer(response, method, path, headers, body)

    request_anything()


@pytest.mark.parametrize("step", ["image", "configuration", "mode", "options"])
def test_every_wizard_step_answers_any_headers_and_body_normally(client, world, user, step):
    """With a draft that has reached the last page, so that every step's form is bound and validated."""

    client.force_login(user)

    def draft_to_the_last_page() -> None:
        client.get(url())
        submit(client, "image", {"image": image("Windows Server 2012 Datacenter").pk})
        submit(client, "configuration", configuration())
        submit(client, "mode", standalone(dns_name="fuzzweb"))

    @FUZZ
    @given(
        method=st.sampled_from(["get", "post", "post"]),
        headers=htmx_headers,
        body=form_body,
        as_step=st.booleans(),
        certificate=st.one_of(st.none(), st.binary(max_size=200)),
    )
    def post_anything(method, headers, body, as_step, certificate):
        draft_to_the_last_page()
        data = dict(body)
        if as_step:
            # Most bodies a browser sends name the step they come from; give the step's own fields a chance.
            data[CURRENT_STEP] = step
            data = {
                (f"{step}-{key}" if "-" not in key and key != "wizard_goto_step" else key): value
                for key, value in data.items()
            }
        if certificate is not None and method == "post":
            data["configuration-ssh_certificate"] = SimpleUploadedFile("key.pem", certificate)
        response = getattr(client, method)(url(step), data, headers=headers)
        assert_normal_answer(response, method, url(step), headers, body)

    post_anything()


@pytest.mark.parametrize("choice", ["", "abc", "1.5", "\x00", "99999999999999999999"])
def test_a_malformed_subscription_choice_is_not_found(signed_in, choice):
    """Found by the fuzzing above: a subscription id that is not a number once gave a server error."""
    response = signed_in.post(reverse("subscription-switch"), {"subscription": choice, "next": "/"})
    assert response.status_code == 404
