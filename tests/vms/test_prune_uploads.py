"""Certificates of abandoned wizard drafts are removed once no draft can still use them."""

from __future__ import annotations

import os
import time

from django.core.management import call_command


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
