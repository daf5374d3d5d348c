"""A VM's Endpoints tab with its Add wizard, Edit and Delete dialogs, and the cloud service page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from balancer.selectors import public_address_of
from endpoints.forms import EXISTING, WELL_KNOWN, DeleteForm, DetailsForm, EditForm, KindForm, ProbeForm, SetForm
from endpoints.models import Endpoint, LoadBalancedSet
from endpoints.selectors import (
    cloud_service_endpoints,
    cloud_service_load_balanced_sets,
    cloud_service_virtual_machines,
    cloud_services_for,
    endpoints_for,
    load_balanced_set_choices,
    virtual_machine_endpoints,
    virtual_machines_for,
)
from endpoints.services import (
    ENDPOINTS_PER_CLOUD_SERVICE,
    endpoint_create,
    endpoint_delete,
    endpoint_update,
    load_balanced_set_update,
)
from portal.forms import add_service_error
from portal.htmx import (
    HtmxHttpRequest,
    redirect_after,
    render_page,
    requested_part,
    subscription_or_404,
    wants_fragment,
)
from portal.wizard import DialogWizard
from vms.models import VirtualMachine

MACHINE_TEMPLATE = "console/machine.html"
WIZARD_TEMPLATE = "endpoints/add_wizard.html"
DIALOG_TEMPLATE = "endpoints/endpoint_dialog.html"
PROBE_TEMPLATE = "endpoints/probe_dialog.html"
CLOUD_SERVICE_TEMPLATE = "endpoints/cloud_service.html"
SETS_PART = "sets"

KIND, DETAILS, SET = "kind", "details", "set"
STEP_TITLES = {
    KIND: "Add an endpoint to a virtual machine",
    DETAILS: "Specify the details of the endpoint",
    SET: "Configure the load-balanced set",
}


def get_machine(request: HtmxHttpRequest, pk: int) -> VirtualMachine:
    """Return one of the current subscription's VMs, or 404."""
    return get_object_or_404(virtual_machines_for(subscription_or_404(request)), pk=pk)


def get_endpoint(request: HtmxHttpRequest, vm: VirtualMachine, value: str | None) -> Endpoint:
    """Return the chosen endpoint of this VM, or 404 for a missing, malformed or foreign one."""
    if not value or not value.isdigit():
        raise Http404("Choose an endpoint.")
    return get_object_or_404(endpoints_for(subscription_or_404(request)).filter(virtual_machine=vm), pk=int(value))


def machine_tab_url(vm: VirtualMachine) -> str:
    return reverse("endpoints:machine", args=[vm.pk])


def render_endpoints_tab(request: HtmxHttpRequest, vm: VirtualMachine, **context) -> HttpResponse:
    """Render the VM page's Endpoints tab: the whole page, or with htmx its main part."""
    context = {
        "vm": vm,
        "tab": "endpoints",
        "nav_section": "vms",
        "fragment": wants_fragment(request),
        "endpoints": virtual_machine_endpoints(vm),
        **context,
    }
    return render_page(request, MACHINE_TEMPLATE, "main", context)


@require_safe
@vary_on_headers("HX-Request")
def machine_endpoints(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """List a VM's endpoints: name, protocol, ports and load-balanced set."""
    return render_endpoints_tab(request, get_machine(request, pk))


def render_dialog(request: HtmxHttpRequest, context: dict) -> HttpResponse:
    """Render an Edit or Delete dialog, or a page of its own without htmx."""
    context = {"nav_section": "vms", "fragment": wants_fragment(request), **context}
    return render_page(request, DIALOG_TEMPLATE, "dialog", context)


def leave_dialog(request: HtmxHttpRequest, vm: VirtualMachine) -> HttpResponse:
    url = machine_tab_url(vm)
    return redirect_after(request, url)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def endpoint_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show or save the Edit dialog of the endpoint chosen on the Endpoints tab."""
    vm = get_machine(request, pk)
    data = request.POST if request.method == "POST" else None
    endpoint = get_endpoint(request, vm, (data or request.GET).get("endpoint"))
    form = EditForm(data, endpoint=endpoint)
    if form.is_valid():
        try:
            endpoint_update(endpoint=endpoint, **form.endpoint_arguments(), user=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            return leave_dialog(request, vm)
    return render_dialog(request, {"vm": vm, "endpoint": endpoint, "form": form, "action": "edit"})


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def endpoint_remove(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Ask to confirm, then delete the chosen endpoint (and its set, when it was the last member)."""
    vm = get_machine(request, pk)
    data = request.POST if request.method == "POST" else None
    endpoint = get_endpoint(request, vm, (data or request.GET).get("endpoint"))
    form = DeleteForm(data)
    if form.is_valid():
        endpoint_delete(endpoint=endpoint, user=request.user)
        return leave_dialog(request, vm)
    return render_dialog(request, {"vm": vm, "endpoint": endpoint, "form": form, "action": "delete"})


def wants_set(wizard: AddEndpointWizard) -> bool:
    """Show the set page only for a stand-alone endpoint that creates a set."""
    details = wizard.get_cleaned_data_for_step(DETAILS) or {}
    return bool(details.get("create_set"))


@method_decorator(vary_on_headers("HX-Request", "HX-Current-URL"), name="dispatch")
class AddEndpointWizard(DialogWizard):
    """Add an endpoint to a VM, one page at a time, in a dialog or as a page of its own."""

    form_list = [(KIND, KindForm), (DETAILS, DetailsForm), (SET, SetForm)]
    condition_dict = {SET: wants_set}
    step_titles = STEP_TITLES
    template_name = WIZARD_TEMPLATE
    url_name = "endpoints:add-step"

    def dispatch(self, request: HtmxHttpRequest, *args, **kwargs) -> HttpResponse:
        self.vm = get_machine(request, kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs) -> str:
        return f"add_endpoint_{kwargs['pk']}"

    def get_step_path(self, step: str) -> str:
        return reverse(self.url_name, kwargs={"pk": self.vm.pk, "step": step})

    # Navigation

    def discard_url(self) -> str:
        return machine_tab_url(self.vm)

    def start_url(self) -> str:
        return reverse("endpoints:add", args=[self.vm.pk])

    def render_done(self, form: Form, **kwargs) -> HttpResponse:
        """Validate every page again, then add the endpoint; a page that no longer validates is shown again."""
        final_forms = {}
        for step in self.step_names():
            step_form = self.get_form(step=step, data=self.storage.get_step_data(step))
            if not step_form.is_valid():
                return self.render_revalidation_failure(step, step_form)
            final_forms[step] = step_form
        return self.done(list(final_forms.values()), form_dict=final_forms, **kwargs)

    # Forms

    def chosen_set(self):
        kind = self.get_cleaned_data_for_step(KIND) or {}
        return kind.get("load_balanced_set") if kind.get("kind") == EXISTING else None

    def get_form_kwargs(self, step: str | None = None) -> dict:
        if step == KIND:
            return {"load_balanced_sets": load_balanced_set_choices(self.vm)}
        if step == DETAILS:
            return {"vm": self.vm, "load_balanced_set": self.chosen_set()}
        if step == SET:
            details = self.get_cleaned_data_for_step(DETAILS) or {}
            return {"vm": self.vm, "private_port": details.get("private_port")}
        return {}

    # Rendering

    def get_context_data(self, form: Form, **kwargs) -> dict:
        context = super().get_context_data(form=form, **kwargs)
        context.update(
            vm=self.vm,
            nav_section="vms",
            well_known=[(name, protocol.label, port) for name, (protocol, port) in WELL_KNOWN.items()],
        )
        return context

    # Finishing

    def done(self, form_list: list[Form], form_dict: dict[str, Form], **kwargs) -> HttpResponse:
        """Add the endpoint with one call to the service; its refusals land beside the fields they concern."""
        arguments = dict(form_dict[DETAILS].endpoint_arguments())
        arguments["load_balanced_set"] = self.chosen_set()
        if SET in form_dict:
            arguments.update(form_dict[SET].endpoint_arguments())
        try:
            endpoint_create(vm=self.vm, **arguments, user=self.request.user)
        except ValidationError as error:
            return self.render_service_errors(error, form_dict)
        self.storage.reset()
        url = machine_tab_url(self.vm)
        return redirect_after(self.request, url)


add_wizard = AddEndpointWizard.as_view()


@require_safe
@vary_on_headers("HX-Request")
def cloud_service_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Show a cloud service: its VMs, every endpoint, and each load-balanced set with who is in rotation."""
    cloud_service = get_object_or_404(cloud_services_for(subscription_or_404(request)), pk=pk)
    context = {
        "nav_section": "cloud-services",
        "fragment": wants_fragment(request),
        "cloud_service": cloud_service,
        "load_balanced_sets": cloud_service_load_balanced_sets(cloud_service, now=timezone.now()),
        "public_address": public_address_of(cloud_service.pk),
    }
    if requested_part(request, (SETS_PART,)):
        return render(request, f"{CLOUD_SERVICE_TEMPLATE}#sets", context)
    context |= {
        "virtual_machines": cloud_service_virtual_machines(cloud_service),
        "endpoints": cloud_service_endpoints(cloud_service),
        "endpoint_limit": ENDPOINTS_PER_CLOUD_SERVICE,
    }
    return render_page(request, CLOUD_SERVICE_TEMPLATE, "main", context)


@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
def load_balanced_set_probe(request: HtmxHttpRequest, pk: int, set_pk: int) -> HttpResponse:
    """Show or save a load-balanced set's probe, changed for every member at once."""
    cloud_service = get_object_or_404(cloud_services_for(subscription_or_404(request)), pk=pk)
    lb_set = get_object_or_404(LoadBalancedSet, pk=set_pk, cloud_service=cloud_service)
    form = ProbeForm(request.POST if request.method == "POST" else None, load_balanced_set=lb_set)
    if form.is_valid():
        try:
            load_balanced_set_update(load_balanced_set=lb_set, **form.cleaned_data, user=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            url = lb_set.get_absolute_url()
            return redirect_after(request, url)
    context = {
        "nav_section": "cloud-services",
        "fragment": wants_fragment(request),
        "cloud_service": cloud_service,
        "lb_set": lb_set,
        "form": form,
    }
    return render_page(request, PROBE_TEMPLATE, "dialog", context)
