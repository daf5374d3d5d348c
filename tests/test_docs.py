"""The README and docs/ name only settings, commands, targets and files that exist, and every setting is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCES = [
    path
    for path in ROOT.rglob("*.py")
    if not {".venv", "tests", "migrations", "node_modules"} & set(path.relative_to(ROOT).parts)
]
ENVIRONMENT_READ = re.compile(r"""(?:environ\.get|environ\[|env_bool|env_list)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
TABLE_VARIABLE = re.compile(r"^\| `([A-Z][A-Z0-9_]+)`(?:, `([A-Z][A-Z0-9_]+)`)? \|", re.MULTILINE)
LINK = re.compile(r"\]\(([^)#:]+)(#[^)]*)?\)")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _settings_read_from_environment() -> set[str]:
    return {name for path in SOURCES for name in ENVIRONMENT_READ.findall(_text(path))}


def _configuration_table() -> set[str]:
    readme = _text(ROOT / "README.md")
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return {name for pair in TABLE_VARIABLE.findall(section) for name in pair if name}


def test_every_setting_read_from_the_environment_is_in_the_configuration_table():
    missing = _settings_read_from_environment() - _configuration_table()
    assert not missing, f"settings the README's Configuration table does not list: {sorted(missing)}"


def test_every_setting_in_the_configuration_table_is_read_somewhere():
    unknown = _configuration_table() - _settings_read_from_environment()
    assert not unknown, f"the Configuration table lists settings nothing reads: {sorted(unknown)}"


def test_the_readme_and_docs_name_only_management_commands_that_exist():
    commands = set(get_commands())
    named = {command for document in DOCUMENTS for command in re.findall(r"manage\.py ([a-z_]+)", _text(document))}
    table = _text(ROOT / "docs" / "portal.md").split("## Management commands", 1)[1].split("\n## ", 1)[0]
    listed = {
        entry.split()[0]
        for cell in re.findall(r"^\| (`[^|]*)\|", table, re.MULTILINE)
        for entry in re.findall(r"`([^`]+)`", cell)
    }
    assert {"load_demo", "worker", "check_availability"} <= listed, "the commands table was not found"
    named |= listed
    assert named <= commands, f"documented but not a command: {sorted(named - commands)}"


def test_the_readme_and_docs_name_only_make_targets_that_exist():
    makefile = _text(ROOT / "Makefile")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    named = {target for document in DOCUMENTS for target in re.findall(r"`make ([a-z][a-z-]*)", _text(document))}
    assert {"run", "test"} <= named
    assert named <= targets, f"documented but not a make target: {sorted(named - targets)}"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file(document: Path):
    broken = [
        target
        for target, _anchor in LINK.findall(_text(document))
        if not target.startswith(("http", "mailto")) and not (document.parent / target).exists()
    ]
    assert not broken, f"links to nothing: {broken}"


def test_the_readme_opens_with_the_two_commands():
    opening = _text(ROOT / "README.md").split("```sh\n", 1)[1].split("```", 1)[0]
    assert [line.split()[:2] for line in opening.strip().splitlines()] == [["make", "run"], ["make", "test"]]
