"""The From Gallery wizard driven as a browser's requests would: its addresses, its pages' fields, a whole run."""

from __future__ import annotations

import re

from django.urls import reverse

from console.forms.wizard import ConfigurationForm, ModeForm
from portal.models import WizardDraft
from tests import factories
from vms.models import Image

CURRENT_STEP = "create_virtual_machine_wizard-current_step"
WIZARD = "wizard_create_virtual_machine_wizard"
WINDOWS = "Windows Server 2012 Datacenter"
UBUNTU = "Ubuntu Server 12.04 LTS"
CENTOS = "OpenLogic CentOS 6.4"
IN_DIALOG = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/virtual-machines/"}


def url(step: str | None = None, draft: WizardDraft | str | None = None) -> str:
    """A step's address in a run: the given draft's, or by default the most recently started run's.

    Without a step, the wizard's own address: with a draft, closing that run; without, starting a new one.
    """
    path = reverse("vms:wizard-step", kwargs={"step": step}) if step else reverse("vms:wizard")
    if draft is None and step:
        draft = latest_draft()
    draft_id = draft.pk if isinstance(draft, WizardDraft) else draft
    return f"{path}?draft={draft_id}" if draft_id else path


def latest_draft() -> WizardDraft | None:
    """The draft of the run of the From Gallery wizard started last (by anyone)."""
    return WizardDraft.objects.filter(wizard=WIZARD).order_by("-created_at").first()


def image(name: str = WINDOWS) -> Image:
    return Image.objects.get(name=name)


def submit(client, step: str, fields: dict, *, headers: dict | None = None, goto: str = "", draft=None):
    """Post one page as the browser does: prefixed fields, the management form, checkboxes only when checked."""
    data = {CURRENT_STEP: step}
    for name, value in fields.items():
        if value is True:
            data[f"{step}-{name}"] = "on"
        elif value is not False:
            data[f"{step}-{name}"] = value
    if goto:
        data["wizard_goto_step"] = goto
    if headers:
        # With htmx, the page's form names the part it asks for, as its hx-vals do.
        return client.post(url(step, draft), data | {"part": "page"}, **headers)
    return client.post(url(step, draft), data, follow=True)


def configuration(image_name: str = WINDOWS, **overrides) -> dict:
    fields = {
        "image_version": factories.image_version(image_name).pk,
        "name": "web1",
        "admin_username": "portaladmin",
        "admin_password": factories.STRONG_PASSWORD,
        "confirm_password": factories.STRONG_PASSWORD,
        "size": factories.size("Small").pk,
    }
    return fields | overrides


def standalone(**overrides) -> dict:
    return {"mode": "standalone", "dns_name": "contosoweb", "location": f"region-{factories.region().pk}"} | overrides


def create_set(name: str = "webset") -> dict:
    return {"availability_set": "create", "availability_set_name": name}


def run(client, *, image_name=WINDOWS, config=None, mode=None, options=None, headers=None):
    """Go through the four pages and return the last response."""
    client.get(url(), **(headers or {}))
    submit(client, "image", {"image": image(image_name).pk}, headers=headers)
    submit(client, "configuration", config or configuration(image_name), headers=headers)
    submit(client, "mode", mode or standalone(), headers=headers)
    return submit(client, "options", options or create_set(), headers=headers)


def page_of(response) -> str:
    return response.content.decode()


def checked_image(html: str) -> str | None:
    """Return the value of the checked image radio, if any."""
    match = re.search(r'<input[^>]*name="image-image"[^>]*value="(\d+)"[^>]*\schecked>', html)
    return match.group(1) if match else None


def configuration_form(img_name, subscription, data=None, files=None):
    base = {k: v for k, v in configuration(img_name).items()}
    return ConfigurationForm(data=base | (data or {}), files=files, image=image(img_name), subscription=subscription)


def mode_form(subscription, **data):
    return ModeForm(data=standalone() | data, subscription=subscription)
