"""The monitoring check lists every application's verdicts and fails when one has a single point of failure."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.helpers.applications import web_shop

pytestmark = pytest.mark.django_db


def test_the_lone_sql_server_fails_the_check_and_is_named(subscription, capsys):
    web_shop(subscription)
    with pytest.raises(CommandError, match="1 application"):
        call_command("check_applications")
    out = capsys.readouterr().out
    assert "/Web shop: single point of failure: Data" in out
    assert "  Any one rack failure: DOWN" in out
    assert "can take down SQL1, the only member of the Data role; Web depends on Data." in out


def test_a_second_sql_server_in_its_own_set_passes(subscription, capsys):
    web_shop(subscription, sql_in_set=True)
    call_command("check_applications")
    out = capsys.readouterr().out
    assert "/Web shop: no single point of failure" in out
    assert "  Any one update round: survives" in out
