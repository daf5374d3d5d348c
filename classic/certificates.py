"""Management certificates: reading an uploaded .cer or .pem, and who a proxied thumbprint belongs to."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest

MAX_CERTIFICATE_BYTES = 16 * 1024


@dataclass(frozen=True)
class CertificateFacts:
    thumbprint: str
    subject: str
    not_after: datetime


def certificate_read(data: bytes) -> CertificateFacts:
    """Read an X.509 certificate in DER (.cer) or PEM form; refuse private keys and anything else."""
    if len(data) > MAX_CERTIFICATE_BYTES:
        raise ValidationError({"certificate": ValidationError("A certificate file is at most 16 KB.", code="size")})
    if b"PRIVATE KEY" in data:
        raise ValidationError(
            {
                "certificate": ValidationError(
                    "This file holds a private key. Upload only the public certificate (.cer or .pem).",
                    code="private_key",
                )
            }
        )
    try:
        certificate = (
            x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data else x509.load_der_x509_certificate(data)
        )
    except ValueError:
        raise ValidationError(
            {"certificate": ValidationError("This is not an X.509 certificate in .cer or .pem form.", code="invalid")}
        ) from None
    return CertificateFacts(
        thumbprint=certificate.fingerprint(hashes.SHA1()).hex().upper(),  # noqa: S303 - the platform's thumbprint
        subject=certificate.subject.rfc4514_string()[:400],
        not_after=certificate.not_valid_after_utc,
    )


def proxied_thumbprint(request: HttpRequest) -> str:
    """The client certificate's thumbprint a trusted TLS proxy passed on, or "" when none may be believed."""
    header = settings.CLASSIC_CERTIFICATE_HEADER
    proxies = settings.CLASSIC_TRUSTED_PROXIES
    if not header or not proxies:
        return ""
    try:
        remote = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return ""
    if not any(remote in ipaddress.ip_network(proxy, strict=False) for proxy in proxies):
        return ""
    value = request.headers.get(header, "").replace(":", "").strip().upper()
    return value if len(value) == 40 and all(c in "0123456789ABCDEF" for c in value) else ""
