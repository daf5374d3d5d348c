"""Whatever a client sends, the portal answers normally: random htmx headers and random form bodies, on every page and
every wizard step, never get a server error (5xx)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from applications.models import Application
from tests import factories
from tests.console.test_wizard import CURRENT_STEP, configuration, image, standalone, submit, url

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
    factories.SubnetFactory(virtual_network__subscription=subscription)
    factories.StorageAccountFactory(subscription=subscription)
    factories.OperationFactory(virtual_machine=membership.virtual_machine)
    factories.SubscriptionFactory(members=[user])
    factories.ApplicationFactory(subscription=subscription)
    return membership


def application_of(world) -> int:
    """The world's application: one of the signed-in person's subscription."""
    return Application.objects.get(subscription_id=world.availability_set.cloud_service.subscription_id).pk


PAGES = {
    "home": lambda world: reverse("home"),
    "sign-in": lambda world: reverse("login"),
    "subscription-switch": lambda world: reverse("subscription-switch"),
    "vm-list": lambda world: reverse("vms:list"),
    "cloud-services": lambda world: reverse("vms:cloud-services"),
    "storage": lambda world: reverse("vms:storage"),
    "storage-create": lambda world: reverse("vms:storage-create"),
    "networks": lambda world: reverse("vms:networks"),
    "affinity-group-create": lambda world: reverse("vms:affinity-group-create"),
    "virtual-network-create": lambda world: reverse("vms:virtual-network-create"),
    "notifications": lambda world: reverse("vms:notifications"),
    "activity": lambda world: reverse("vms:activity"),
    "dns-name-check": lambda world: reverse("vms:dns-name-check"),
    "dashboard": lambda world: reverse("vms:dashboard", args=[world.virtual_machine_id]),
    "configure": lambda world: reverse("vms:configure", args=[world.virtual_machine_id]),
    **{
        f"command-{command}": lambda world, command=command: reverse(
            "vms:command", args=[world.virtual_machine_id, command]
        )
        for command in ("start", "shutdown", "restart", "delete", "unknown")
    },
    "set-list": lambda world: reverse("availability:list", args=[world.availability_set.cloud_service_id]),
    "set-detail": lambda world: reverse("availability:detail", args=[world.availability_set_id]),
    "set-delete": lambda world: reverse("availability:delete", args=[world.availability_set_id]),
    "application": lambda world: reverse("applications:detail", args=[application_of(world)]),
    "role-targets": lambda world: reverse("applications:role-targets", args=[application_of(world)]),
    "role-add": lambda world: reverse("applications:role-add", args=[application_of(world)]),
    "wizard": lambda world: url(),
    **{f"wizard-{step}": lambda world, step=step: url(step) for step in ("finished", "unknown")},
}


def assert_normal_answer(response, method: str, path: str, headers: dict, body: dict) -> None:
    assert response.status_code < 500, (method, path, headers, body)


@pytest.mark.parametrize("page", PAGES)
def test_every_page_answers_any_headers_and_body_normally(client, world, user, page):
    path = PAGES[page](world)
    client.force_login(user)

    @FUZZ
    @given(method=st.sampled_from(["get", "post"]), headers=htmx_headers, body=form_body)
    def request_anything(method, headers, body):
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
