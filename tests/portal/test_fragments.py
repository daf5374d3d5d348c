"""Fragments rendered once per distinct content: the same HTML as a fresh render, never stale, and only plain values."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.autoreload import file_changed
from django.utils.safestring import mark_safe
from hypothesis import given, settings
from hypothesis import strategies as st

from availability.selectors import MemberRow, VirtualMachineRow
from portal.fragments import render_pure, render_rows
from tests import factories
from vms.selectors import OperationRow

VM_ROW = "console/vm_list.html#vm-row"
STATUSES = ["running", "stopped", "starting", "provisioning", "deleting"]

vm_rows = st.builds(
    VirtualMachineRow,
    pk=st.integers(min_value=1, max_value=10**9),
    name=st.text(max_size=30),
    status=st.sampled_from(STATUSES),
    status_label=st.text(max_size=30),
    busy=st.booleans(),
    location=st.text(max_size=20),
    dns_name=st.text(max_size=40),
    availability_set=st.text(max_size=20),
)


def fresh(template_name: str, **context) -> str:
    """Render without any memory of earlier renders: the independent check."""
    return get_template(template_name).render(context)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(vm_rows, max_size=8))
def test_rows_are_what_a_fresh_render_gives_each_time(rows):
    expected = "".join(fresh(VM_ROW, row=row) for row in rows)
    assert render_rows(VM_ROW, rows) == expected
    assert render_rows(VM_ROW, rows) == expected  # the second time from memory


def test_a_changed_value_renders_anew():
    row = VirtualMachineRow(7, "web1", "running", "Running", False, "West US", "svc.cloudapp.net", "")
    assert "Running" in render_rows(VM_ROW, [row])
    stopped = row._replace(status="stopped", status_label="Stopped")
    html = render_rows(VM_ROW, [stopped])
    assert "Stopped" in html and "Running" not in html


def test_values_are_escaped():
    row = VirtualMachineRow(7, "<script>x</script>", "running", "Running", False, "", "", "")
    html = render_rows(VM_ROW, [row])
    assert "<script>x</script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_nested_rows_and_times_render_like_a_fresh_render():
    member = MemberRow(3, "web1", "Running", 0, 1)
    operation = OperationRow(
        "Restart web1", "succeeded", "Succeeded", False, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), ""
    )
    assert render_rows("console/includes/machine_dashboard.html#neighbour-row", [member]) == fresh(
        "console/includes/machine_dashboard.html#neighbour-row", row=member
    )
    html = render_rows("console/includes/machine_activity.html#operation-row", [operation])
    assert "2026-01-02 03:04:05 UTC" in html


@pytest.mark.django_db
def test_a_model_instance_is_refused_because_it_hashes_by_its_key_alone():
    vm = factories.VirtualMachineFactory()
    with pytest.raises(TypeError, match="plain values"):
        render_rows(VM_ROW, [(vm,)])
    with pytest.raises(TypeError, match="plain values"):
        render_pure("console/machine.html#tabs", pk=vm)


def test_a_row_must_be_a_tuple():
    with pytest.raises(TypeError):
        render_rows(VM_ROW, [["web1"]])


@pytest.mark.parametrize("section", ["vms", "storage", ""])
def test_a_pure_partial_is_what_a_fresh_render_gives(section):
    expected = fresh("base.html#nav", section=section)
    assert render_pure("base.html#nav", section=section) == expected
    assert render_pure("base.html#nav", section=section) == expected
    if section:
        assert 'aria-current="page"' in expected


@pytest.mark.parametrize(
    "values",
    [(1, True, 1.0), (True, 1, 1.0), (Decimal("1.5"), Decimal("1.50")), (0.0, -0.0)],
    ids=["int-bool-float", "bool-int-float", "decimal-digits", "signed-zero"],
)
def test_values_python_calls_equal_render_as_themselves(values):
    """`1`, `True` and `1.0` are equal to Python, and `Decimal("1.5")` to `Decimal("1.50")`; each shows itself."""
    row = VirtualMachineRow(7, "web1", "running", "Running", False, "West US", "svc.cloudapp.net", "")
    for value in values:
        shown = row._replace(name=value)
        assert render_rows(VM_ROW, [shown]) == fresh(VM_ROW, row=shown)


def test_text_marked_safe_is_refused_so_a_plain_string_is_never_served_unescaped():
    row = VirtualMachineRow(7, "<b>web1</b>", "running", "Running", False, "", "", "")
    with pytest.raises(TypeError, match="marked safe"):
        render_rows(VM_ROW, [row._replace(name=mark_safe(row.name))])
    html = render_rows(VM_ROW, [row])
    assert "<b>web1</b>" not in html and "&lt;b&gt;web1&lt;/b&gt;" in html


def test_a_fragment_follows_the_active_language():
    """Numbers are written as the language writes them: 1.5 in English, 1,5 in German."""
    row = VirtualMachineRow(7, 1.5, "running", "Running", False, "", "", "")
    assert ">1.5<" in render_rows(VM_ROW, [row])
    with translation.override("de"):
        assert render_rows(VM_ROW, [row]) == fresh(VM_ROW, row=row)
        assert ">1,5<" in render_rows(VM_ROW, [row])


def test_a_fragment_follows_the_current_time_zone():
    operation = OperationRow(
        "Restart web1", "succeeded", "Succeeded", False, datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), ""
    )
    template = "console/includes/machine_activity.html#operation-row"
    assert "2026-01-02 03:04:05" in render_rows(template, [operation])
    with timezone.override(zoneinfo.ZoneInfo("America/New_York")):
        assert render_rows(template, [operation]) == fresh(template, row=operation)
        assert "2026-01-01 22:04:05" in render_rows(template, [operation])


def test_a_template_edited_in_development_renders_anew(settings, tmp_path):
    """The autoreloader reloads an edited template without a restart; the fragments made from it go too."""
    (tmp_path / "cell.html").write_text("<td>{{ row.0 }}</td>")
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [tmp_path]}]
    assert render_rows("cell.html", [("web1",)]) == "<td>web1</td>"
    (tmp_path / "cell.html").write_text("<th>{{ row.0 }}</th>")
    file_changed.send(sender=None, file_path=tmp_path / "cell.html")
    assert render_rows("cell.html", [("web1",)]) == "<th>web1</th>"
