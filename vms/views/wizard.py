from __future__ import annotations

from django.views import View


def _todo(*args, **kwargs):
    raise NotImplementedError


wizard_start = dns_name_check = _todo


class CreateVirtualMachineWizard(View):
    pass
