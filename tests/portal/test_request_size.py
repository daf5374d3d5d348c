"""A request body over the portal's limit is refused with a clear 413 before anything reads it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_body_over_the_limit_gets_413_and_the_view_never_runs(signed_in, settings, monkeypatch):
    settings.MAX_REQUEST_BYTES = 10 * 1024
    reached = []
    monkeypatch.setattr(
        "console.views.wizard.CreateVirtualMachineWizard.dispatch", lambda *args, **kw: reached.append(1)
    )
    big = SimpleUploadedFile("big.pem", b"x" * 20 * 1024)

    response = signed_in.post(reverse("vms:wizard-step", kwargs={"step": "configuration"}), {"file": big})

    assert response.status_code == 413
    html = response.content.decode()
    assert "<h1>Request too large</h1>" in html
    assert "more than the portal accepts in one request (10 KB)" in html
    assert reached == []


def test_a_body_within_the_limit_goes_through(signed_in, settings):
    settings.MAX_REQUEST_BYTES = 10 * 1024
    response = signed_in.post(reverse("vms:wizard"), {"note": "x" * 1024})
    assert response.status_code != 413


def test_the_default_limits_keep_uploads_small_and_in_memory(settings):
    from portal import settings as defaults

    assert defaults.MAX_REQUEST_BYTES == 1024 * 1024
    assert defaults.FILE_UPLOAD_MAX_MEMORY_SIZE >= defaults.MAX_REQUEST_BYTES  # nothing accepted is spooled to disk
    assert defaults.DATA_UPLOAD_MAX_MEMORY_SIZE == 256 * 1024
    assert defaults.MIDDLEWARE[0] == "portal.middleware.RequestSizeLimitMiddleware"
