"""What the JSON API keeps per token: the first answer to an idempotent create."""

from __future__ import annotations

from django.db import models

from credentials.models import ApiToken


class ApiIdempotentRequest(models.Model):
    """The first answer to a create sent with an Idempotency-Key, replayed when the same key comes again."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="idempotent_requests")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    body = models.JSONField()
    location = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["token", "key"],
                name="api_idempotency_key_unique_per_token",
                violation_error_message="This token already used that Idempotency-Key.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status_code})"
