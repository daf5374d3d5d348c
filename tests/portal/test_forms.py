"""How every form shows a service's refusal: beside the field it names, the rest above the form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from portal.forms import add_service_error


class NameForm(forms.Form):
    name = forms.CharField()


def bound() -> NameForm:
    form = NameForm({"name": "web"})
    assert form.is_valid()
    return form


def test_a_refusal_keyed_by_a_field_of_the_form_lands_beside_it():
    form = bound()

    add_service_error(form, ValidationError({"name": ValidationError("Taken.", code="name_taken")}))

    assert form.errors == {"name": ["Taken."]}
    assert form.has_error("name", "name_taken")


def test_a_refusal_keyed_by_a_field_the_form_lacks_lands_above_the_form():
    form = bound()

    add_service_error(form, ValidationError({"size": ValidationError("No cores left.", code="core_quota")}))

    assert form.non_field_errors() == ["No cores left."]
    assert form.has_error(NON_FIELD_ERRORS, "core_quota")


def test_a_refusal_without_a_field_lands_above_the_form():
    form = bound()

    add_service_error(form, ValidationError("Busy.", code="busy"))

    assert form.non_field_errors() == ["Busy."]


def test_fields_renames_the_services_names_to_the_forms():
    form = bound()

    add_service_error(
        form,
        ValidationError({"dns_name": ValidationError("Taken.", code="dns_name_taken"), "other": "Elsewhere."}),
        fields={"dns_name": "name"},
    )

    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Elsewhere."]
