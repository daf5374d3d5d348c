"""The admin's pages driven as staff's browser would: their addresses and what their forms post back."""

from __future__ import annotations

from django.urls import reverse


def admin_url(model, action: str, *args) -> str:
    """Return the admin's address of a model's page (changelist, add, change, delete) for the given arguments."""
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{action}", args=args)


def form_data(response) -> dict:
    """Return what the browser would post back from an admin add or change page, inlines included."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        forms.extend([inline.formset.management_form, *inline.formset.forms])
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            data[field.html_name] = [str(item) for item in value] if isinstance(value, list) else str(value)
    return data
