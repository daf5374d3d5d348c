"""One error shape: a service's ValidationError becomes {code, message, fields} with the portal's wording."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from api.errors import MANY_ERRORS, api_error_from_validation
from classic.services import validation_to_api_error
from portal.errors import CONFLICT_CODES


def test_a_field_error_keeps_its_field_message_and_code():
    error = api_error_from_validation(
        ValidationError({"dns_name": ValidationError("contoso.cloudapp.net is taken.", code="dns_name_taken")})
    )
    assert (error.status, error.code, error.message) == (409, "dns_name_taken", "contoso.cloudapp.net is taken.")
    assert error.fields == {"dns_name": ["contoso.cloudapp.net is taken."]}


def test_a_non_field_refusal_is_the_message_with_no_fields():
    error = api_error_from_validation(ValidationError("Restarting web1 is still in progress.", code="busy"))
    assert (error.status, error.code, error.fields) == (409, "busy", {})
    assert error.message == "Restarting web1 is still in progress."


def test_bad_input_is_400_and_several_errors_are_all_listed():
    error = api_error_from_validation(
        ValidationError(
            {
                "name": ValidationError("Bad name.", code="vm_name_format"),
                "admin_password": [ValidationError("Too short.", code="password_length")],
            }
        )
    )
    assert (error.status, error.code, error.message) == (400, "vm_name_format", MANY_ERRORS)
    assert error.fields == {"name": ["Bad name."], "admin_password": ["Too short."]}


def test_a_conflict_among_other_errors_makes_it_409_and_leads():
    error = api_error_from_validation(
        ValidationError(
            {
                "size": ValidationError("Over quota.", code="core_quota"),
                "name": ValidationError("Taken.", code="vm_name_taken"),
            }
        )
    )
    assert (error.status, error.code) == (409, "vm_name_taken")


def test_fields_are_renamed_to_the_request_s_names_and_params_are_filled_in():
    error = api_error_from_validation(
        ValidationError(
            {"location": ValidationError("Choose %(what)s.", code="required", params={"what": "a region"})}
        ),
        rename={"location": "affinity_group"},
    )
    assert error.fields == {"affinity_group": ["Choose a region."]}
    assert error.body() == {"code": "required", "message": "Choose a region.", "fields": error.fields}


@pytest.mark.parametrize("code", sorted(CONFLICT_CODES))
def test_each_conflict_is_409_in_the_json_api_and_in_the_classic_api(code):
    """One table says which refusals are conflicts, so the two APIs answer a refusal with the same status."""
    error = ValidationError("web1 is held by the drill Rack failure.", code=code)
    assert api_error_from_validation(error).status == 409
    assert validation_to_api_error(error).status == 409
    assert validation_to_api_error(ValidationError({"name": [error]})).status == 409


@pytest.mark.parametrize("code", ["required", "vm_name_format", "core_quota"])
def test_a_refusal_of_the_request_itself_is_400_in_both_apis(code):
    error = ValidationError("Not so.", code=code)
    assert api_error_from_validation(error).status == 400
    assert validation_to_api_error(error).status == 400
