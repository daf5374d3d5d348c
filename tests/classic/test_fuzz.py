"""Fuzzing the request bodies the SDK writes: whatever arrives, no answer is a 5xx and a refusal is an <Error>."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from azure.servicemanagement import ConfigurationSet, LinuxConfigurationSet, OSVirtualHardDisk, WindowsConfigurationSet
from azure.servicemanagement._serialization import _XmlSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import STRONG_PASSWORD
from tests.helpers.classic import wait

pytestmark = pytest.mark.django_db
NS = "{http://schemas.microsoft.com/windowsazure}"
DEPLOYMENT = "/services/hostedservices/contosoweb/deployments/contosoweb"


def bodies(image: str) -> list[tuple[str, str, str]]:
    """(method, path, body) as the SDK writes them for every write route."""
    windows = WindowsConfigurationSet("IIS2", STRONG_PASSWORD, admin_username="azureuser")
    linux = LinuxConfigurationSet("web1", "azureuser", STRONG_PASSWORD, False)
    disk = OSVirtualHardDisk(image, None)
    network = ConfigurationSet()
    network.subnet_names.append("Subnet-1")
    role = _XmlSerializer.add_role_to_xml(
        "IIS2", windows, disk, "PersistentVMRole", None, "WebSet", None, "Small", None, None, None, None
    )
    return [
        (
            "POST",
            "/services/hostedservices",
            _XmlSerializer.create_hosted_service_to_xml("fuzzsvc", "Fuzz", None, "West US", None, None),
        ),
        (
            "POST",
            "/services/hostedservices/emptysvc/deployments",
            _XmlSerializer.virtual_machine_deployment_to_xml(
                "d",
                "production",
                "label",
                "web1",
                linux,
                disk,
                "PersistentVMRole",
                network,
                "Set",
                None,
                "Small",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
            ),
        ),
        ("POST", f"{DEPLOYMENT}/roles", role),
        (
            "PUT",
            f"{DEPLOYMENT}/roles/IIS1",
            _XmlSerializer.update_role_to_xml(
                "IIS1", None, "PersistentVMRole", None, "WebSet", None, "Medium", None, None
            ),
        ),
        (
            "POST",
            f"{DEPLOYMENT}/roleinstances/IIS1/Operations",
            _XmlSerializer.shutdown_role_operation_to_xml("Stopped"),
        ),
        ("POST", f"{DEPLOYMENT}/roleinstances/IIS1/Operations", _XmlSerializer.restart_role_operation_to_xml()),
    ]


NOISE = st.lists(
    st.sampled_from([*"<>&;/\"'= \x00\x01\u202e\u00e9\ufffdabcXYZ019", "</", "<!--", "]]>", "&amp;", "&#0;"]),
    max_size=20,
).map("".join)


@st.composite
def mutation(draw, body: str) -> str:
    kind = draw(st.sampled_from(["insert", "delete", "replace-tag", "long-value", "truncate", "duplicate"]))
    at = draw(st.integers(0, len(body)))
    if kind == "insert":
        return body[:at] + draw(NOISE) + body[at:]
    if kind == "delete":
        return body[:at] + body[at + draw(st.integers(1, 30)) :]
    if kind == "truncate":
        return body[:at]
    if kind == "long-value":
        return body.replace(">", ">" + "x" * draw(st.integers(60, 5000)), 1 + draw(st.integers(0, 3)))
    if kind == "duplicate":
        end = draw(st.integers(at, len(body)))
        return body[:end] + body[at:end] + body[end:]
    tag = draw(st.sampled_from(["RoleName", "RoleSize", "Label", "ConfigurationSet", "AvailabilitySetName"]))
    return body.replace(tag, draw(st.sampled_from(["Rolename", "Unknown", "OperationType", "i:type", tag * 2])))


@pytest.fixture
def scene(sdk):
    image = next(image.name for image in sdk.list_os_images() if image.os == "Windows")
    wait(sdk, sdk.create_hosted_service("contosoweb", "Contoso", location="West US"))
    wait(sdk, sdk.create_hosted_service("emptysvc", "Empty", location="West US"))
    config = WindowsConfigurationSet("IIS1", STRONG_PASSWORD, admin_username="azureuser")
    wait(
        sdk,
        sdk.create_virtual_machine_deployment(
            "contosoweb",
            "contosoweb",
            "production",
            "web",
            "IIS1",
            config,
            OSVirtualHardDisk(image, None),
            availability_set_name="WebSet",
        ),
    )
    return bodies(image)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_bodies_never_get_a_5xx(client, token, subscription, scene, data):
    method, path, body = data.draw(st.sampled_from(scene))
    mutated = data.draw(mutation(body))

    response = client.generic(
        method,
        f"/sms/{subscription.subscription_id}{path}",
        data=mutated.encode("utf-8", "surrogatepass"),
        content_type="application/atom+xml;type=entry;charset=utf-8",
        headers={"x-ms-version": "2014-10-01", "Authorization": f"Bearer {token}"},
    )

    assert response.status_code < 500, response.content
    assert response.has_header("x-ms-request-id")
    if response.status_code >= 400:
        root = ElementTree.fromstring(response.content)
        assert root.tag == f"{NS}Error"
        assert root.findtext(f"{NS}Code") and root.findtext(f"{NS}Message")
