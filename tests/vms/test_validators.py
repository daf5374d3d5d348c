"""The platform's naming, credential and certificate rules."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from django.core.exceptions import ValidationError

from tests.factories import certificate_pem
from vms.models import OSFamily
from vms.validators import (
    ssh_certificate_read,
    ssh_certificate_thumbprint,
    validate_admin_password,
    validate_admin_username,
    validate_dns_name,
    validate_storage_account_name,
    validate_vm_name,
)


def codes(call, *args) -> str:
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.code


@pytest.mark.parametrize("name", ["abc", "contoso2013", "a" * 24])
def test_dns_name_of_3_to_24_lowercase_letters_and_numbers_is_accepted(name):
    validate_dns_name(name)


@pytest.mark.parametrize("name", ["ab", "a" * 25, "Contoso", "con-toso", "con_toso", "", "contoso.net"])
def test_dns_name_outside_the_rule_is_refused(name):
    assert codes(validate_dns_name, name) == "dns_name_format"


def test_storage_account_name_follows_the_same_rule():
    validate_storage_account_name("portalvhds1")
    assert codes(validate_storage_account_name, "Portal") == "storage_account_name_format"


@pytest.mark.parametrize("name", ["web1", "WEB-01", "a", "a" * 15])
def test_windows_name_of_1_to_15_letters_numbers_hyphens_is_accepted(name):
    validate_vm_name(name, OSFamily.WINDOWS)


@pytest.mark.parametrize("name", ["a" * 16, "12345", "-web", "web-", "web.1", "web_1", ""])
def test_windows_name_outside_the_rule_is_refused(name):
    assert codes(validate_vm_name, name, OSFamily.WINDOWS) == "vm_name_windows"


@pytest.mark.parametrize("name", ["web.contoso", "12345", "a" * 64, "web-1"])
def test_linux_name_of_1_to_64_letters_numbers_hyphens_periods_is_accepted(name):
    validate_vm_name(name, OSFamily.LINUX)


@pytest.mark.parametrize("name", ["a" * 65, "web_1", "web 1", ""])
def test_linux_name_outside_the_rule_is_refused(name):
    assert codes(validate_vm_name, name, OSFamily.LINUX) == "vm_name_linux"


@pytest.mark.parametrize("name", ["root", "Administrator", "admin", "guest", "support_388945a0"])
@pytest.mark.parametrize("os_family", [OSFamily.WINDOWS, OSFamily.LINUX])
def test_reserved_user_names_are_refused(name, os_family):
    assert codes(validate_admin_username, name, os_family) == "reserved_user_name"


def test_windows_user_name_has_at_most_20_characters_and_no_final_period():
    validate_admin_username("a" * 20, OSFamily.WINDOWS)
    assert codes(validate_admin_username, "a" * 21, OSFamily.WINDOWS) == "user_name_too_long"
    assert codes(validate_admin_username, "portal.", OSFamily.WINDOWS) == "user_name_period"
    validate_admin_username("portal.", OSFamily.LINUX)


@pytest.mark.parametrize("password", ["Portal!2013x", "lower123UPPER", "lower!@#123", "A" * 60 + "b1"])
def test_strong_password_is_accepted(password):
    validate_admin_password(password)


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Sh0rt!", "password_length"),
        ("Aa1!" * 31, "password_length"),
        ("alllowercase", "password_too_simple"),
        ("lowerUPPER", "password_too_simple"),
        ("P@ssw0rd", "password_common"),
        ("Password1", "password_common"),
    ],
)
def test_weak_password_is_refused(password, code):
    assert codes(validate_admin_password, password) == code


def test_rsa_certificate_gives_its_sha1_thumbprint():
    pem = certificate_pem()
    expected = x509.load_pem_x509_certificate(pem).fingerprint(hashes.SHA1()).hex().upper()
    assert ssh_certificate_thumbprint(pem) == expected
    assert len(expected) == 40


def test_an_rsa_certificate_gives_its_key_in_openssh_form_for_authorized_keys():
    pem = certificate_pem()

    thumbprint, public_key = ssh_certificate_read(pem)

    assert thumbprint == ssh_certificate_thumbprint(pem)
    assert public_key.startswith("ssh-rsa ") and "\n" not in public_key
    # Read back by the SSH key loader, it is the certificate's own key.
    loaded = serialization.load_ssh_public_key(public_key.encode())
    assert loaded.public_numbers() == x509.load_pem_x509_certificate(pem).public_key().public_numbers()


@pytest.mark.parametrize(
    "pem",
    [
        b"",
        b"ssh-rsa AAAAB3NzaC1yc2E portal@host",
        b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    ],
)
def test_anything_but_a_pem_certificate_is_refused(pem):
    assert codes(ssh_certificate_thumbprint, pem) == "ssh_certificate_invalid"


def test_certificate_without_an_rsa_key_is_refused():
    assert codes(ssh_certificate_thumbprint, certificate_pem("ec")) == "ssh_certificate_not_rsa"
