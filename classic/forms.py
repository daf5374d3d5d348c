"""The Settings -> Management certificates upload form."""

from __future__ import annotations

from django import forms

from classic.certificates import MAX_CERTIFICATE_BYTES
from vms.list_forms import PortalForm


class ManagementCertificateForm(PortalForm):
    certificate = forms.FileField(
        label="Certificate file",
        help_text="The public certificate (.cer or .pem) whose private key your scripts hold.",
        error_messages={"required": "Choose a .cer or .pem file.", "empty": "The file is empty."},
        widget=forms.ClearableFileInput(attrs={"accept": ".cer,.pem,.crt"}),
    )

    def clean_certificate(self) -> bytes:
        upload = self.cleaned_data["certificate"]
        if upload.size > MAX_CERTIFICATE_BYTES:
            raise forms.ValidationError("A certificate file is at most 16 KB.", code="size")
        return upload.read()
