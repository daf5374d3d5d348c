"""The monitoring check lists every application's verdicts and fails when one has a single point of failure."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from tests.helpers.applications import web_shop
from tests.helpers.fabric import place_in_rack
from vms.models import VirtualMachine

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


def test_racks_are_named_in_the_reasons_and_the_findings(subscription, capsys):
    """SQL1 and SQL2 on one rack: the check fails, naming the rack in the rack failure's reason and the finding."""
    web_shop(subscription, sql_in_set=True)
    for name, rack in (("IIS1", "r1"), ("IIS2", "r2"), ("SQL1", "r2"), ("SQL2", "r2")):
        place_in_rack(VirtualMachine.objects.get(name=name), rack)
    with pytest.raises(CommandError, match="1 application"):
        call_command("check_applications")
    out = capsys.readouterr().out
    assert "/Web shop: single point of failure: Data" in out
    assert (
        "  Any one rack failure: DOWN\n    Rack r2 of West US holds SQL1 and SQL2, every member of the Data role that "
        "is up: a failure of that rack takes the role down; Web depends on Data.\n"
    ) in out
    assert (
        "  Findings:\n    Fault domains 0 and 1 of SQLSet share rack r2 of West US: a failure of that rack takes the "
        "whole set down.\n"
    ) in out
