"""New -> Virtual Machine -> From Gallery: the four-page wizard and its DNS name check."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.forms import FileField, FileInput, Form, PasswordInput
from django.http import HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from console.forms.common import dns_name_problem
from console.forms.wizard import ConfigurationForm, ImageForm, ModeForm, OptionsForm
from console.services import virtual_machine_deploy
from portal.htmx import HtmxHttpRequest, redirect_after, render_page, subscription_or_404
from portal.wizard import DialogWizard
from vms.selectors import cloud_services_matching, gallery_categories, gallery_filter, gallery_images

IMAGE, CONFIGURATION, MODE, OPTIONS = "image", "configuration", "mode", "options"
STEP_TITLES = {
    IMAGE: "Select the virtual machine operating system",
    CONFIGURATION: "Virtual machine configuration",
    MODE: "Virtual machine mode",
    OPTIONS: "Virtual machine options",
}
SECRET_FIELDS = ("admin_password", "confirm_password")
DRAFTS = "drafts"


@method_decorator(sensitive_post_parameters(*(f"{CONFIGURATION}-{name}" for name in SECRET_FIELDS)), name="dispatch")
@method_decorator(vary_on_headers("HX-Request", "HX-Current-URL"), name="dispatch")
class CreateVirtualMachineWizard(DialogWizard):
    """Create a VM from a gallery image, one page at a time, in a dialog or as a page of its own."""

    form_list = [(IMAGE, ImageForm), (CONFIGURATION, ConfigurationForm), (MODE, ModeForm), (OPTIONS, OptionsForm)]
    step_titles = STEP_TITLES
    template_name = "console/wizard.html"
    fragment_partials = {**DialogWizard.fragment_partials, "images": "wizard_images"}
    url_name = "vms:wizard-step"
    # True while the last page is posted: the deploy service then checks what the pages' service rules would.
    finishing = False

    @property
    def file_storage(self) -> FileSystemStorage:
        return FileSystemStorage(location=settings.WIZARD_UPLOAD_ROOT)

    def dispatch(self, request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        subscription_or_404(request)
        return super().dispatch(request, *args, **kwargs)

    # Navigation

    def discard_url(self) -> str:
        return reverse("vms:list")

    def start_url(self) -> str:
        return reverse("vms:wizard")

    def before_posting(self, step: str) -> None:
        self.finishing = step == self.steps.last

    def render_done(self, form: Form, **kwargs) -> HttpResponse:
        """Validate every page again, then create the VM; a page that no longer validates is shown again."""
        final_forms = {}
        for step in self.step_names():
            # The page just posted was validated a moment ago, with the data now saved for it.
            step_form = form if step == self.steps.current else self.saved_form(step)
            if step_form is None or not step_form.is_valid():
                return self.render_revalidation_failure(step, step_form)
            final_forms[step] = step_form
        return self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)

    def saved_form(self, step: str) -> Form | None:
        """Return a page's form built from what was saved for it and validated, once per request.

        The later pages' choices depend on the earlier pages' answers, so each request reads those answers several
        times; building and checking each page once keeps the wizard's queries few.
        """
        cache = self.__dict__.setdefault("_saved_forms", {})
        if step not in cache:
            data = self.storage.get_step_data(step)
            form = None
            if data is not None:
                form = self.get_form(step=step, data=data, files=self.storage.get_step_files(step))
                form.is_valid()
            cache[step] = form
        return cache[step]

    def forget_saved_form(self, step: str) -> None:
        self.__dict__.get("_saved_forms", {}).pop(step, None)

    def get_cleaned_data_for_step(self, step: str) -> dict | None:
        form = self.saved_form(step) if step in self.form_list else None
        return form.cleaned_data if form is not None and form.is_valid() else None

    # Forms and the draft

    def get_form_kwargs(self, step: str | None = None) -> dict:
        subscription = self.request.subscription
        if step == CONFIGURATION:
            image = (self.get_cleaned_data_for_step(IMAGE) or {}).get("image")
            return {"image": image, "subscription": subscription}
        if step == MODE:
            return {"subscription": subscription, "service_checks": not self.finishing}
        if step == OPTIONS:
            mode_form = self.saved_form(MODE)
            valid = mode_form is not None and mode_form.is_valid()
            return {
                "cloud_service": mode_form.cleaned_data.get("cloud_service") if valid else None,
                "virtual_network": mode_form.virtual_network if valid else None,
                "service_checks": not self.finishing,
            }
        return {}

    def get_form(self, step: str | None = None, data=None, files=None) -> Form:
        step = step or self.steps.current
        if step == CONFIGURATION and data is not None and data is self.request.POST:
            data, files = self.with_kept_secrets(step, data, files)
        return super().get_form(step, data, files)

    def with_kept_secrets(self, step: str, data, files):
        """Keep the password and certificate entered before when the page comes back with them left empty."""
        stored = self.storage.get_step_data(step)
        if stored is None:
            return data, files
        data = data.copy()
        names = [f"{step}-{name}" for name in SECRET_FIELDS]
        if not any(data.get(name) for name in names):
            for name in names:
                data.setlist(name, stored.getlist(name))
        files = files.copy()
        for name, stored_file in (self.storage.get_step_files(step) or {}).items():
            if name not in files:
                files[name] = stored_file
        return data, files

    def process_step(self, form: Form) -> dict:
        # What is saved for the page changes now: build its form afresh when it is next needed.
        self.forget_saved_form(form.prefix)
        self.storage.extra_data.get(DRAFTS, {}).pop(form.prefix, None)
        return {key: form.data.getlist(key) for key in form.data if key.startswith(f"{form.prefix}-")}

    def process_step_files(self, form: Form) -> dict:
        """Keep only the page's own file fields that validated to a file; any other posted file is dropped unread."""
        wanted = {
            form.add_prefix(name)
            for name, field in form.fields.items()
            if isinstance(field, FileField) and form.cleaned_data.get(name)
        }
        uploaded = {key: file for key, file in self.request.FILES.items() if key in wanted}
        stored = self.storage.data[self.storage.step_files_key].get(form.prefix, {})
        for key in uploaded.keys() & stored.keys():
            self.storage.file_storage.delete(stored.pop(key)["tmp_name"])
        return uploaded

    def keep_entries(self, step: str) -> None:
        """Keep what was typed on a page being left by Back: saved when valid, otherwise as a draft."""
        form = self.get_form(step, data=self.request.POST, files=self.request.FILES)
        if form.is_valid():
            self.storage.set_step_data(step, self.process_step(form))
            self.storage.set_step_files(step, self.process_step_files(form))
            return
        skipped = (PasswordInput, FileInput)
        self.storage.extra_data.setdefault(DRAFTS, {})[step] = {
            name: field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
            for name, field in form.fields.items()
            if not isinstance(field.widget, skipped)
        }

    def form_to_show(self, step: str) -> Form:
        """Build a page's form from its draft, or from what was saved, or empty."""
        draft = self.storage.extra_data.get(DRAFTS, {}).get(step)
        if draft is not None:
            form = self.get_form(step)
            form.initial.update(draft)
            return form
        return self.saved_form(step) or self.get_form(step)

    # Rendering

    def get_context_data(self, form: Form, **kwargs) -> dict:
        context = super().get_context_data(form=form, **kwargs)
        step = self.steps.current
        context.update(
            has_entries=any(self.storage.get_step_data(name) is not None for name in self.step_names())
            or bool(self.storage.extra_data.get(DRAFTS)),
            nav_section="vms",
        )
        if step == IMAGE:
            context.update(self.gallery_context(form))
        elif step == CONFIGURATION:
            stored = self.storage.get_step_data(CONFIGURATION)
            context["password_kept"] = bool(stored and stored.get(f"{CONFIGURATION}-admin_password"))
            kept_files = self.storage.data[self.storage.step_files_key].get(CONFIGURATION, {})
            kept_certificate = kept_files.get(f"{CONFIGURATION}-ssh_certificate")
            context["kept_certificate_name"] = kept_certificate["name"] if kept_certificate else ""
        return context

    def gallery_context(self, form: Form) -> dict:
        images = list(gallery_images())
        category = self.request.GET.get("category", "")
        text = self.request.GET.get("q", "")
        selected = self.request.GET.get(form.add_prefix("image")) or form["image"].value() or ""
        shown = gallery_filter(images, category=category, text=text)
        hidden_choice = str(selected) not in {str(image.pk) for image in shown} and str(selected) in {
            str(image.pk) for image in images
        }
        return {
            "images": shown,
            "categories": gallery_categories(images),
            "category": category,
            "text": text,
            "selected_image": str(selected),
            "selected_hidden": hidden_choice,
        }

    # Finishing

    @sensitive_variables()
    def done(self, form_list: list[Form], form_dict: dict[str, Form], **kwargs) -> HttpResponse:
        """Create the VM with one call to the deploy service; its refusals land beside the fields they concern."""
        arguments = {}
        for form in form_list:
            arguments.update(form.deploy_arguments())
        try:
            operation = virtual_machine_deploy(
                user=self.request.user, subscription=self.request.subscription, **arguments
            )
        except ValidationError as error:
            return self.render_service_errors(error, form_dict)
        self.storage.reset()
        dashboard = reverse("vms:dashboard", args=[operation.virtual_machine_id])
        return redirect_after(self.request, dashboard)


wizard_start = CreateVirtualMachineWizard.as_view()


@require_GET
@vary_on_headers("HX-Request")
def dns_name_check(request: HtmxHttpRequest) -> HttpResponse:
    """Say whether NAME.cloudapp.net is free, as the DNS Name field is typed."""
    name = (request.GET.get("dns_name") or request.GET.get(f"{MODE}-dns_name") or "").strip()
    context = {"dns_name_check": True, "dns_name": name, "problem": dns_name_problem(name) if name else ""}
    return render_page(request, "console/wizard.html", "dns_name_status", context)


@require_GET
@vary_on_headers("HX-Request")
def cloud_service_search(request: HtmxHttpRequest) -> HttpResponse:
    """Suggest the cloud services to connect to whose DNS name starts with what was typed."""
    subscription = subscription_or_404(request)
    text = (request.GET.get("q") or request.GET.get(f"{MODE}-cloud_service") or "").strip()
    services = cloud_services_matching(subscription=subscription, text=text)
    context = {"cloud_service_search": True, "text": text, "services": services}
    return render_page(request, "console/cloud_service_search.html", "options", context)
