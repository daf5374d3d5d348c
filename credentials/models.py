"""Who calls the portal's APIs: personal API tokens, and the request counts that every credential shares.

A credential is an API token (the JSON API, or the classic API with a bearer token) or a management certificate (the
classic API); both APIs count a caller's requests together, so the limit is one per credential.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.models import Subscription


class ApiToken(models.Model):
    """A person's key to the API, acting in one subscription; only a hash of its secret is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField("Name", max_length=100)
    prefix = models.CharField(max_length=16, unique=True, help_text="The public part of the token, shown in lists.")
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 of the secret, in hex.")
    expires_at = models.DateTimeField("Expires")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(secret_hash__regex=r"^[0-9a-f]{64}$"),
                name="api_token_secret_hash_is_sha256",
                violation_error_message="A token keeps the SHA-256 hash of its secret, never the secret.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class ApiRequestCount(models.Model):
    """How many requests one credential made in one fixed window of the rate limit; shared by every web process.

    A credential is an API token or a management certificate (credentials.ratelimit names them): the JSON API and the
    classic API count a caller's requests together.
    """

    credential = models.CharField(max_length=64, help_text="The caller: token:<id> or certificate:<thumbprint>.")
    window = models.BigIntegerField(help_text="The window's number: seconds since the epoch divided by its length.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["credential", "window"],
                name="api_request_count_one_row_per_window",
                violation_error_message="A credential has one request count per window.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.credential} @ {self.window}: {self.count}"
