"""The New drawer's one-page forms (Quick Create, cloud service, storage account, affinity group, virtual network):
a dialog through htmx, a page of their own without it; every write is one service call."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from console.forms.quick_create import QuickCreateForm
from console.services import virtual_machine_deploy
from portal.htmx import HtmxHttpRequest, redirect_after, requested_part, subscription_required, wants_fragment
from vms.list_forms import AffinityGroupForm, CloudServiceForm, StorageAccountForm, VirtualNetworkForm
from vms.services import cloud_services, networks, storage

TEMPLATE = "console/create.html"
# The part the form names when it is submitted from the page or the dialog: the form alone, swapped in place.
FORM_PART = "form"


@dataclass(frozen=True)
class Outcome:
    """Where a successful create leads and what it says there."""

    url: str
    message: str = ""


@dataclass(frozen=True)
class CreateDialog:
    """One New form: its title, its form class, and the service call that writes what it describes."""

    title: str
    url_name: str
    submit_label: str
    cancel_url_name: str
    build: Callable[[HtmxHttpRequest, dict | None], Form]
    create: Callable[[HtmxHttpRequest, Form], Outcome]
    intro: str = ""

    def respond(self, request: HtmxHttpRequest) -> HttpResponse:
        form = self.build(request, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                outcome = self.create(request, form)
            except ValidationError as error:
                form.add_service_error(error)
            else:
                if outcome.message:
                    messages.success(request, outcome.message)
                return redirect_after(request, outcome.url)
        return self.render(request, form)

    def render(self, request: HtmxHttpRequest, form: Form) -> HttpResponse:
        context = {
            "form": form,
            "title": self.title,
            "intro": self.intro,
            "action": reverse(self.url_name),
            "submit_label": self.submit_label,
            "cancel_url": reverse(self.cancel_url_name),
        }
        if not wants_fragment(request):
            part = ""
        elif requested_part(request, (FORM_PART,)):
            part = "#form"
        else:
            part = "#dialog"
        return render(request, f"{TEMPLATE}{part}", context)


def _view(dialog: CreateDialog) -> Callable[[HtmxHttpRequest], HttpResponse]:
    @vary_on_headers("HX-Request")
    @require_http_methods(["GET", "POST"])
    @subscription_required
    def view(request: HtmxHttpRequest) -> HttpResponse:
        return dialog.respond(request)

    view.__doc__ = f"Show and submit the {dialog.title} form."
    return view


def _deploy(request: HtmxHttpRequest, form: QuickCreateForm) -> Outcome:
    operation = virtual_machine_deploy(user=request.user, subscription=request.subscription, **form.deploy_arguments())
    # No message: the dashboard says the VM is being created for as long as it is (vms/includes/machine_banner.html).
    return Outcome(reverse("vms:dashboard", args=[operation.virtual_machine_id]))


def _storage_account(request: HtmxHttpRequest, form: StorageAccountForm) -> Outcome:
    account = storage.storage_account_create(subscription=request.subscription, **form.cleaned_data)
    return Outcome(reverse("vms:storage"), f"Storage account {account.name} was created.")


def _cloud_service(request: HtmxHttpRequest, form: CloudServiceForm) -> Outcome:
    service = cloud_services.cloud_service_add(subscription=request.subscription, **form.cleaned_data)
    return Outcome(reverse("vms:cloud-services"), f"Cloud service {service.name} was created.")


def _affinity_group(request: HtmxHttpRequest, form: AffinityGroupForm) -> Outcome:
    group = networks.affinity_group_create(subscription=request.subscription, **form.cleaned_data)
    return Outcome(reverse("vms:networks"), f"Affinity group {group.name} was created.")


def _virtual_network(request: HtmxHttpRequest, form: VirtualNetworkForm) -> Outcome:
    data = form.cleaned_data
    network = networks.virtual_network_create(
        subscription=request.subscription,
        name=data["name"],
        affinity_group=data["affinity_group"],
        address_space=data["address_space"],
        subnets=[(data["subnet_name"], data["subnet_address_prefix"])],
    )
    return Outcome(reverse("vms:networks"), f"Virtual network {network.name} was created.")


quick_create = sensitive_post_parameters("admin_password", "confirm_password")(
    _view(
        CreateDialog(
            title="Quick Create",
            url_name="vms:quick-create",
            submit_label="Create virtual machine",
            cancel_url_name="vms:list",
            build=lambda request, data: QuickCreateForm(data, subscription=request.subscription),
            create=_deploy,
            intro="A virtual machine in a new cloud service of the same name. From Gallery offers every option.",
        )
    )
)
cloud_service_create = _view(
    CreateDialog(
        title="New cloud service",
        url_name="vms:cloud-service-create",
        submit_label="Create cloud service",
        cancel_url_name="vms:cloud-services",
        build=lambda request, data: CloudServiceForm(data),
        create=_cloud_service,
    )
)
storage_create = _view(
    CreateDialog(
        title="New storage account",
        url_name="vms:storage-create",
        submit_label="Create storage account",
        cancel_url_name="vms:storage",
        build=lambda request, data: StorageAccountForm(data),
        create=_storage_account,
    )
)
affinity_group_create = _view(
    CreateDialog(
        title="New affinity group",
        url_name="vms:affinity-group-create",
        submit_label="Create affinity group",
        cancel_url_name="vms:networks",
        build=lambda request, data: AffinityGroupForm(data, prefix="affinity_group"),
        create=_affinity_group,
    )
)
virtual_network_create = _view(
    CreateDialog(
        title="New virtual network",
        url_name="vms:virtual-network-create",
        submit_label="Create virtual network",
        cancel_url_name="vms:networks",
        build=lambda request, data: VirtualNetworkForm(
            data, subscription=request.subscription, prefix="virtual_network"
        ),
        create=_virtual_network,
        intro="A virtual network lives in an affinity group; create one first if the list is empty.",
    )
)
