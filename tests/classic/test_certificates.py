"""Management certificates: added on Settings, shown by thumbprint, and believed only from the trusted TLS proxy."""

from __future__ import annotations

import hashlib
from xml.etree import ElementTree

import pytest
from azure.common import AzureHttpError
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from classic.models import ManagementCertificate
from tests.factories import SubscriptionFactory, UserFactory, certificate_pem
from tests.helpers.classic import sdk_with_certificate

pytestmark = pytest.mark.django_db
PAGE = "/settings/management-certificates/"
NS = "{http://schemas.microsoft.com/windowsazure}"


def der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)


def thumbprint(pem: bytes) -> str:
    return hashlib.sha1(der(pem)).hexdigest().upper()


def upload(client, data: bytes, name: str = "portal.cer", **headers):
    return client.post(PAGE, {"certificate": SimpleUploadedFile(name, data)}, headers=headers)


class TestSettingsPage:
    def test_page_and_fragment(self, signed_in):
        page = signed_in.get(PAGE)
        fragment = signed_in.get(PAGE, headers={"HX-Request": "true"})

        assert page.status_code == 200 and b"<html" in page.content
        assert b"Upload a management certificate" in page.content
        assert fragment.status_code == 200 and b"<html" not in fragment.content
        assert b'id="management-certificates"' in fragment.content

    @pytest.mark.parametrize(("form", "name"), [("der", "portal.cer"), ("pem", "portal.pem")])
    def test_uploading_a_certificate_shows_its_thumbprint(self, signed_in, subscription, user, form, name):
        pem = certificate_pem()
        response = upload(signed_in, der(pem) if form == "der" else pem, name, **{"HX-Request": "true"})

        assert response.status_code == 200
        certificate = ManagementCertificate.objects.get()
        assert certificate.thumbprint == thumbprint(pem)
        assert (certificate.subscription, certificate.uploaded_by) == (subscription, user)
        assert certificate.thumbprint in response.content.decode()
        assert "CN=portal test" in response.content.decode()

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (b"-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n", "holds a private key"),
            (b"not a certificate", "is not an X.509 certificate"),
            (b"x" * 17_000, "at most 16 KB"),
        ],
    )
    def test_bad_files_get_a_message_beside_the_field(self, signed_in, data, message):
        response = upload(signed_in, data)

        assert response.status_code == 200
        assert message in response.content.decode()
        assert 'aria-invalid="true"' in response.content.decode() or "is-invalid" in response.content.decode()
        assert not ManagementCertificate.objects.exists()

    def test_the_same_certificate_twice_is_refused(self, signed_in):
        pem = certificate_pem()
        upload(signed_in, pem)
        response = upload(signed_in, pem)

        assert "already a management certificate" in response.content.decode()
        assert ManagementCertificate.objects.count() == 1

    def test_removing_one_and_another_subscriptions_is_not_found(self, signed_in, user):
        upload(signed_in, certificate_pem())
        mine = ManagementCertificate.objects.get()
        stranger = UserFactory()
        other = SubscriptionFactory(members=[stranger])
        theirs = ManagementCertificate.objects.create(
            subscription=other, uploaded_by=stranger, thumbprint="A" * 40, subject="CN=x", not_after=mine.not_after
        )

        foreign = signed_in.post(reverse("management-certificate-delete", args=[theirs.pk]))
        removed = signed_in.post(reverse("management-certificate-delete", args=[mine.pk]))

        assert foreign.status_code == 404
        assert removed.status_code == 302
        assert list(ManagementCertificate.objects.all()) == [theirs]


@pytest.fixture
def certificate(signed_in, settings):
    settings.CLASSIC_TRUSTED_PROXIES = ["127.0.0.1/32"]
    pem = certificate_pem()
    upload(signed_in, pem)
    signed_in.logout()
    return thumbprint(pem)


def test_the_sdk_authenticates_with_a_proxied_certificate_thumbprint(client, subscription, certificate):
    nginx_style = ":".join(certificate[i : i + 2] for i in range(0, 40, 2)).lower()

    sizes = sdk_with_certificate(client, subscription, nginx_style).list_role_sizes()

    assert "Small" in [size.name for size in sizes]


def test_a_thumbprint_from_anywhere_but_the_trusted_proxy_is_not_believed(client, subscription, certificate):
    with pytest.raises(AzureHttpError) as raised:
        sdk_with_certificate(client, subscription, certificate, remote="192.0.2.7").list_role_sizes()
    assert raised.value.status_code == 403


def test_an_unknown_thumbprint_or_another_subscription_is_refused(client, subscription, certificate, settings):
    other = SubscriptionFactory(members=[UserFactory()])
    for sms in (
        sdk_with_certificate(client, subscription, "B" * 40),
        sdk_with_certificate(client, other, certificate),
    ):
        with pytest.raises(AzureHttpError) as raised:
            sms.list_role_sizes()
        assert raised.value.status_code == 403


def test_certificates_are_off_without_a_trusted_proxy(client, subscription, certificate, settings):
    settings.CLASSIC_TRUSTED_PROXIES = []
    with pytest.raises(AzureHttpError) as raised:
        sdk_with_certificate(client, subscription, certificate).list_role_sizes()
    assert raised.value.status_code == 403


def test_a_certificate_caller_over_the_rate_limit_gets_429_as_an_error_document(
    client, subscription, certificate, settings
):
    """A management certificate is a credential like a token: its requests count against the same limit."""
    settings.API_RATE_LIMIT = 3
    other = SubscriptionFactory(members=[UserFactory()])

    def call(subscription_id: str, path: str = "/locations"):
        return client.get(
            f"/sms/{subscription_id}{path}",
            headers={"X-Client-Cert-Thumbprint": certificate, "x-ms-version": "2014-10-01"},
            REMOTE_ADDR="127.0.0.1",
        )

    assert [call(subscription.subscription_id).status_code for _ in range(3)] == [200, 200, 200]
    response = call(subscription.subscription_id, "/rolesizes")
    assert response.status_code == 429
    root = ElementTree.fromstring(response.content)
    assert root.findtext(f"{NS}Code") == "TooManyRequests"
    assert 1 <= int(response["Retry-After"]) <= settings.API_RATE_WINDOW_SECONDS
    assert response["Retry-After"] in root.findtext(f"{NS}Message")
    # A caller that is not let in is not counted: another subscription's refusal stays 403.
    assert call(other.subscription_id).status_code == 403
