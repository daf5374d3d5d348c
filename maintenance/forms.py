"""The Plan maintenance form of the Hosts page: hosts, a rack or a region, exactly one of them."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from fabric.models import Host, Rack
from vms.models import Region


class MaintenancePlanForm(forms.Form):
    error_messages = {
        "one_scope": "Choose hosts, a rack or a region: one of them.",
        "empty": "%(scope)s has no hosts.",
    }

    hosts = forms.ModelMultipleChoiceField(queryset=Host.objects.order_by("name"), required=False)
    rack = forms.ModelChoiceField(queryset=Rack.objects.select_related("region"), required=False)
    region = forms.ModelChoiceField(queryset=Region.objects.all(), required=False)

    def clean(self) -> dict:
        data = super().clean()
        chosen = [name for name in ("hosts", "rack", "region") if data.get(name)]
        if len(chosen) != 1:
            raise ValidationError(self.error_messages["one_scope"], code="one_scope")
        if data.get("hosts"):
            hosts = list(data["hosts"])
            data["scope"] = ", ".join(host.name for host in hosts)
        elif data.get("rack"):
            hosts = list(data["rack"].hosts.order_by("name"))
            data["scope"] = f"rack {data['rack']}"
        else:
            hosts = list(Host.objects.filter(rack__region=data["region"]).order_by("name"))
            data["scope"] = f"region {data['region']}"
        if not hosts:
            raise ValidationError(
                self.error_messages["empty"], code="empty", params={"scope": data["scope"].capitalize()}
            )
        data["host_list"] = hosts
        return data
