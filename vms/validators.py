"""The platform's naming, credential and certificate rules, written once for forms, services and the admin."""

from __future__ import annotations

import re
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ValidationError

from portal.validators import validate_visible_name
from vms.models import OSFamily

DNS_NAME_RE = re.compile(r"^[a-z0-9]{3,24}$")
WINDOWS_NAME_RE = re.compile(r"^[A-Za-z0-9-]{1,15}$")
LINUX_NAME_RE = re.compile(r"^[A-Za-z0-9.-]{1,64}$")

RESERVED_USER_NAMES = frozenset(
    [
        "administrator",
        "admin",
        "user",
        "user1",
        "user2",
        "user3",
        "user4",
        "user5",
        "test",
        "test1",
        "test2",
        "test3",
        "admin1",
        "admin2",
        "1",
        "123",
        "a",
        "actuser",
        "adm",
        "aspnet",
        "backup",
        "console",
        "david",
        "guest",
        "john",
        "owner",
        "root",
        "server",
        "sql",
        "support",
        "support_388945a0",
        "sys",
    ]
)
DISALLOWED_PASSWORDS = frozenset(
    [
        "abc@123",
        "P@$$w0rd",
        "P@ssw0rd",
        "P@ssword123",
        "Pa$$word",
        "pass@word1",
        "Password!",
        "Password1",
        "Password22",
        "iloveyou!",
    ]
)


def validate_dns_name(value: str) -> None:
    """Check a cloud service's DNS name: 3 through 24 lowercase letters and numbers."""
    validate_visible_name(value)
    if not DNS_NAME_RE.fullmatch(value or ""):
        raise ValidationError(
            "The name can contain from 3 through 24 lowercase letters and numbers.", code="dns_name_format"
        )


def validate_storage_account_name(value: str) -> None:
    """Check a storage account's name: 3 through 24 lowercase letters and numbers."""
    validate_visible_name(value)
    if not DNS_NAME_RE.fullmatch(value or ""):
        raise ValidationError(
            "A storage account name can contain from 3 through 24 lowercase letters and numbers.",
            code="storage_account_name_format",
        )


def validate_vm_name(value: str, os_family: str) -> None:
    """Check a VM name against the rules of its operating system."""
    validate_visible_name(value)
    if os_family == OSFamily.WINDOWS:
        if not WINDOWS_NAME_RE.fullmatch(value) or value.isdigit() or value.startswith("-") or value.endswith("-"):
            raise ValidationError(
                "A Windows virtual machine name has 1 to 15 letters, numbers and hyphens; it cannot be all "
                "numbers or start or end with a hyphen.",
                code="vm_name_windows",
            )
    elif not LINUX_NAME_RE.fullmatch(value):
        raise ValidationError(
            "A Linux virtual machine name has 1 to 64 letters, numbers, hyphens and periods.", code="vm_name_linux"
        )


def validate_admin_username(value: str, os_family: str) -> None:
    """Check the administrator's user name: visible characters, not a reserved name, and each system's length rules."""
    validate_visible_name(value)
    if value.lower() in RESERVED_USER_NAMES:
        raise ValidationError(
            "The user name %(name)s is reserved; choose another.", code="reserved_user_name", params={"name": value}
        )
    if os_family == OSFamily.WINDOWS:
        if len(value) > 20:
            raise ValidationError("A Windows user name has at most 20 characters.", code="user_name_too_long")
        if value.endswith("."):
            raise ValidationError("A Windows user name cannot end with a period.", code="user_name_period")
    elif len(value) > 64:
        raise ValidationError("A Linux user name has at most 64 characters.", code="user_name_too_long")


def validate_admin_password(value: str) -> None:
    """Check a strong password: 8-123 characters from at least three classes, and not a well-known one."""
    if not 8 <= len(value) <= 123:
        raise ValidationError("The password must have 8 to 123 characters.", code="password_length")
    classes = [
        any(c.islower() for c in value),
        any(c.isupper() for c in value),
        any(c.isdigit() for c in value),
        any(not c.isalnum() for c in value),
    ]
    if sum(classes) < 3:
        raise ValidationError(
            "The password must contain at least three of: a lowercase letter, an uppercase letter, a number, "
            "a special character.",
            code="password_too_simple",
        )
    if value in DISALLOWED_PASSWORDS:
        raise ValidationError("That password is too well known; choose another.", code="password_common")


class SshCertificate(NamedTuple):
    thumbprint: str  # SHA-1, as the platform names certificates
    public_key: str  # OpenSSH form (ssh-rsa AAAA...), what a guest's authorized_keys holds


def ssh_certificate_thumbprint(pem: bytes) -> str:
    """Parse a PEM X.509 certificate wrapping an RSA public key and return its SHA-1 thumbprint."""
    return ssh_certificate_read(pem).thumbprint


def ssh_certificate_read(pem: bytes) -> SshCertificate:
    """Parse a PEM X.509 certificate wrapping an RSA public key: its thumbprint and its key in OpenSSH form."""
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except (ValueError, TypeError) as error:
        raise ValidationError(
            "Upload an X.509 certificate in a .pem file (-----BEGIN CERTIFICATE-----).", code="ssh_certificate_invalid"
        ) from error
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValidationError("The certificate must wrap an RSA public key.", code="ssh_certificate_not_rsa")
    openssh = public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    thumbprint = certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - the platform's is SHA-1
    return SshCertificate(thumbprint, openssh)
