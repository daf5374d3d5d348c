"""Certificates of abandoned wizard drafts are removed once no draft can still use them."""

from __future__ import annotations

import os
import time

from django.core.management import call_command

from portal.wizard_storage import DRAFT_MAX_AGE_SECONDS, DRAFT_PRUNE_SECONDS
from vms.periodic import prune_wizard_uploads


def test_old_uploads_go_and_recent_ones_stay(settings, tmp_path, capsys):
    settings.WIZARD_UPLOAD_ROOT = tmp_path
    old = tmp_path / "abandoned.pem"
    recent = tmp_path / "in-use.pem"
    old.write_text("old")
    recent.write_text("recent")
    two_days_ago = time.time() - 2 * 24 * 60 * 60
    os.utime(old, (two_days_ago, two_days_ago))

    call_command("prune_wizard_uploads")

    assert not old.exists()
    assert recent.exists()
    assert "Removed 1 abandoned upload(s)" in capsys.readouterr().out


def test_a_missing_upload_folder_is_not_an_error(settings, tmp_path, capsys):
    settings.WIZARD_UPLOAD_ROOT = tmp_path / "never-created"
    call_command("prune_wizard_uploads")
    assert "Removed 0" in capsys.readouterr().out


def test_the_workers_hourly_job_removes_uploads_a_draft_can_no_longer_use(settings, tmp_path):
    settings.WIZARD_UPLOAD_ROOT = tmp_path
    expired, live = tmp_path / "expired.pem", tmp_path / "live.pem"
    expired.write_text("expired")
    live.write_text("live")
    just_past = time.time() - DRAFT_MAX_AGE_SECONDS - 1
    os.utime(expired, (just_past, just_past))

    prune_wizard_uploads()

    assert not expired.exists()
    assert live.exists()
    assert DRAFT_MAX_AGE_SECONDS + DRAFT_PRUNE_SECONDS <= 24 * 60 * 60  # gone within a day of the draft's last change


def test_a_runs_upload_folder_goes_with_its_last_expired_file(settings, tmp_path):
    settings.WIZARD_UPLOAD_ROOT = tmp_path
    folder = tmp_path / "0b7d6a4e-0000-4000-8000-000000000000"
    folder.mkdir()
    certificate = folder / "key.pem"
    certificate.write_text("expired")
    just_past = time.time() - DRAFT_MAX_AGE_SECONDS - 1
    for path in (certificate, folder):
        os.utime(path, (just_past, just_past))

    prune_wizard_uploads()

    assert list(tmp_path.iterdir()) == []
