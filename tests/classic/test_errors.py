"""The classic API refuses what it cannot do with an <Error> and the right status, never a 500 or a redirect."""

from __future__ import annotations

import logging
from xml.etree import ElementTree

import pytest
from azure.common import AzureConflictHttpError, AzureHttpError, AzureMissingResourceHttpError
from azure.servicemanagement import OSVirtualHardDisk, WindowsConfigurationSet

from classic.models import ClassicRequest
from tests.factories import STRONG_PASSWORD, SubscriptionFactory, UserFactory
from tests.helpers.classic import make_sdk, make_token, wait
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db
NS = "{http://schemas.microsoft.com/windowsazure}"


def error_of(response) -> tuple[str, str]:
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{NS}Error"
    return root.findtext(f"{NS}Code"), root.findtext(f"{NS}Message")


@pytest.fixture
def api(client, token, subscription):
    """Send raw requests as a script would, with the token and the version header."""

    def send(method: str, path: str, body: str | bytes = "", *, version: str | None = "2014-10-01", auth=True):
        headers = {"x-ms-version": version} if version else {}
        if auth:
            headers["Authorization"] = f"Bearer {token}"
        return client.generic(
            method,
            f"/sms/{subscription.subscription_id}{path}",
            data=body,
            content_type="application/atom+xml;type=entry;charset=utf-8",
            headers=headers,
        )

    return send


@pytest.fixture
def deployed(sdk):
    """A cloud service with one running Windows VM, made through the SDK."""
    image = next(image.name for image in sdk.list_os_images() if image.os == "Windows")
    wait(sdk, sdk.create_hosted_service("contosoweb", "Contoso", location="West US"))
    config = WindowsConfigurationSet("IIS1", STRONG_PASSWORD, admin_username="azureuser")
    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "contosoweb", "contosoweb", "production", "web", "IIS1", config, OSVirtualHardDisk(image, None)
        ),
    )
    return image


ROUTES = [
    ("GET", "/services/hostedservices"),
    ("GET", "/services/hostedservices/contosoweb?embed-detail=true"),
    ("DELETE", "/services/hostedservices/contosoweb"),
    ("POST", "/services/hostedservices/contosoweb/deployments"),
    ("GET", "/services/hostedservices/contosoweb/deployments/contosoweb"),
    ("DELETE", "/services/hostedservices/contosoweb/deployments/contosoweb"),
    ("GET", "/services/hostedservices/contosoweb/deploymentslots/production"),
    ("POST", "/services/hostedservices/contosoweb/deployments/contosoweb/roles"),
    ("GET", "/services/hostedservices/contosoweb/deployments/contosoweb/roles/IIS1"),
    ("PUT", "/services/hostedservices/contosoweb/deployments/contosoweb/roles/IIS1"),
    ("DELETE", "/services/hostedservices/contosoweb/deployments/contosoweb/roles/IIS1"),
    ("POST", "/services/hostedservices/contosoweb/deployments/contosoweb/roleinstances/IIS1/Operations"),
    ("GET", "/services/images"),
    ("GET", "/rolesizes"),
    ("GET", "/locations"),
    ("GET", "/operations/00000000-0000-0000-0000-000000000000"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_token_of_another_subscription_gets_404_on_every_route(client, deployed, subscription, method, path):
    stranger = UserFactory()
    other = SubscriptionFactory(members=[stranger])
    token = make_token(stranger, other)

    response = client.generic(
        method,
        f"/sms/{subscription.subscription_id}{path}",
        data="<x/>",
        headers={"x-ms-version": "2014-10-01", "Authorization": f"Bearer {token}"},
    )

    assert response.status_code == 404
    assert error_of(response)[0] == "SubscriptionNotFound"
    assert VirtualMachine.objects.get().status == VirtualMachine.Status.RUNNING


def test_another_subscriptions_names_are_not_found_in_ones_own(client, deployed):
    stranger = UserFactory()
    other = SubscriptionFactory(members=[stranger])
    sms, _ = make_sdk(client, make_token(stranger, other), str(other.subscription_id))

    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_hosted_service_properties("contosoweb", embed_detail=True)
    with pytest.raises(AzureMissingResourceHttpError):
        sms.get_role("contosoweb", "contosoweb", "IIS1")
    with pytest.raises(AzureMissingResourceHttpError):
        sms.shutdown_role("contosoweb", "contosoweb", "IIS1")
    assert VirtualMachine.objects.get().status == VirtualMachine.Status.RUNNING


def test_a_taken_dns_name_is_a_conflict_in_the_portals_words(sdk, deployed):
    with pytest.raises(AzureConflictHttpError) as raised:
        sdk.create_hosted_service("contosoweb", "again", location="West US")
    assert "contosoweb.cloudapp.net is already taken. Choose another DNS name." in str(raised.value)


def test_a_busy_vm_and_a_wrong_state_are_conflicts(api, deployed):
    operations = "/services/hostedservices/contosoweb/deployments/contosoweb/roleinstances/IIS1/Operations"
    restart = (
        '<RestartRoleOperation xmlns="http://schemas.microsoft.com/windowsazure">'
        "<OperationType>RestartRoleOperation</OperationType></RestartRoleOperation>"
    )
    start = restart.replace("Restart", "Start")

    first = api("POST", operations, restart)  # no commit here, so the restart stays in progress
    busy = api("POST", operations, restart)

    assert first.status_code == 202
    assert busy.status_code == 409
    assert "is still in progress" in error_of(busy)[1]
    VirtualMachine.objects.update(status=VirtualMachine.Status.RUNNING)
    ClassicRequest.objects.get(request_id=first["x-ms-request-id"]).operations.update(status="succeeded")
    wrong_state = api("POST", operations, start)
    assert wrong_state.status_code == 409
    assert "Running; start is not possible now" in error_of(wrong_state)[1]


def test_missing_version_header_missing_token_wrong_method_and_unknown_paths(api, client, subscription):
    assert api("GET", "/rolesizes", version=None).status_code == 400
    assert error_of(api("GET", "/rolesizes", version=None))[0] == "MissingOrInvalidRequiredHeader"
    assert api("GET", "/rolesizes", auth=False).status_code == 403
    assert error_of(api("GET", "/rolesizes", auth=False))[0] == "ForbiddenError"
    assert api("PATCH", "/rolesizes").status_code == 405
    for path in ("/services/hostedservices/", "/nothing/here", "/operations/not-a-uuid"):
        response = api("GET", path)
        assert response.status_code == 404, path
        assert error_of(response)[0] in {"ResourceNotFound", "SubscriptionNotFound"}
    session_only = client.get(f"/sms/{subscription.subscription_id}/rolesizes", headers={"x-ms-version": "2014-10-01"})
    assert session_only.status_code == 403


def test_a_password_with_an_ampersand_arrives_as_malformed_xml_and_gets_a_clear_400(sdk, deployed, caplog):
    config = WindowsConfigurationSet("IIS2", "Pa&ss<word1!", admin_username="azureuser")
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AzureHttpError) as raised:
        sdk.add_role("contosoweb", "contosoweb", "IIS2", config, OSVirtualHardDisk(deployed, None))

    assert raised.value.status_code == 400
    assert "not well-formed XML" in str(raised.value) and "&amp;" in str(raised.value)
    assert "Pa&ss" not in caplog.text
    assert not ClassicRequest.objects.filter(error_message__contains="Pa&ss").exists()
    assert VirtualMachine.objects.count() == 1


BODY = (
    '<PersistentVMRole xmlns="http://schemas.microsoft.com/windowsazure"><RoleName>IIS2</RoleName>'
    "<RoleType>PersistentVMRole</RoleType>{extra}</PersistentVMRole>"
)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("<Colour>blue</Colour>", "The element Colour is not expected in PersistentVMRole."),
        ("<RoleSize>" + "x" * 70 + "</RoleSize>", "The value of RoleSize is longer than 64 characters."),
        ("<RoleSize>Small</RoleSize><RoleSize>Large</RoleSize>", "appears more than once"),
        ("<VMImageName>mine</VMImageName>", "VMImageName is not supported by this portal"),
        ("<RoleSize><Small/></RoleSize>", "holds a value, not other elements"),
    ],
)
def test_unknown_repeated_overlong_and_unsupported_elements_are_refused(api, deployed, extra, message):
    response = api(
        "PUT", "/services/hostedservices/contosoweb/deployments/contosoweb/roles/IIS1", BODY.format(extra=extra)
    )

    assert response.status_code == 400
    assert message in error_of(response)[1]


def test_a_document_outside_the_namespace_or_with_a_dtd_is_refused(api, deployed):
    path = "/services/hostedservices/contosoweb/deployments/contosoweb/roles/IIS1"
    plain = api("PUT", path, "<PersistentVMRole><RoleName>IIS1</RoleName></PersistentVMRole>")
    bomb = api(
        "PUT",
        path,
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        '<PersistentVMRole xmlns="http://schemas.microsoft.com/windowsazure"><RoleName>&b;</RoleName></PersistentVMRole>',
    )
    assert plain.status_code == 400 and "namespace" in error_of(plain)[1]
    assert bomb.status_code == 400


def test_an_oversized_body_is_refused(api, deployed):
    response = api("POST", "/services/hostedservices", "<a>" + "x" * 70_000 + "</a>")
    assert response.status_code == 400
    assert "larger than 64 KB" in error_of(response)[1]


def test_no_answer_is_a_redirect(api):
    for path in ("/services/hostedservices/", "/locations/", "/services/images/"):
        assert api("GET", path).status_code == 404


def test_a_failed_operation_reports_its_error_and_only_then(sdk, settings, deployed):
    settings.FABRIC_FAILURE_RATE = 1
    result = sdk.restart_role("contosoweb", "contosoweb", "IIS1")

    status = sdk.get_operation_status(result.request_id)

    assert status.status == "Failed"
    assert status.error.code == "InternalError"
    assert "could not restart" in status.error.message
    settings.FABRIC_FAILURE_RATE = 0
    ok = sdk.get_operation_status(sdk.start_role("contosoweb", "contosoweb", "IIS1").request_id)
    assert ok.status == "Succeeded" and ok.error is None


class TestRateLimitAndCaching:
    def test_a_token_over_its_rate_limit_gets_429_as_an_error_document(self, settings, api):
        settings.API_RATE_LIMIT = 3
        assert [api("GET", "/locations").status_code for _ in range(3)] == [200, 200, 200]
        response = api("GET", "/locations")
        assert response.status_code == 429
        assert error_of(response)[0] == "TooManyRequests"
        assert 1 <= int(response["Retry-After"]) <= settings.API_RATE_WINDOW_SECONDS
        assert response["Retry-After"] in error_of(response)[1]

    def test_a_token_has_one_limit_for_both_apis(self, settings, api, client, token):
        """Requests to the JSON API count against the same limit as the classic API's."""
        settings.API_RATE_LIMIT = 2
        for _ in range(2):
            assert client.get("/api/v1/regions", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert api("GET", "/locations").status_code == 429

    @pytest.mark.parametrize(
        ("method", "path", "auth"),
        [("GET", "/locations", True), ("GET", "/locations", False), ("GET", "/no/such/path", True)],
    )
    def test_no_answer_is_kept_by_a_cache(self, api, method, path, auth):
        assert api(method, path, auth=auth)["Cache-Control"] == "no-store"
