"""One error shape: a service's ValidationError becomes {code, message, fields} with the portal's wording."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from api.errors import MANY_ERRORS, api_error_from_validation


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
