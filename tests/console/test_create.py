"""The New drawer's one-page forms: Quick Create and New cloud service, as dialogs and as pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from console.forms.quick_create import QuickCreateForm
from console.forms.wizard import ModeForm
from tests import factories
from tests.helpers.quick_create import quick_create_data
from vms.models import CloudService, Image, Operation, VirtualMachine

pytestmark = pytest.mark.django_db

WINDOWS = "Windows Server 2012 Datacenter"
UBUNTU = "Ubuntu Server 12.04 LTS"
HTMX = {"HTTP_HX_REQUEST": "true"}
# What the form in the dialog or on the page sends with htmx besides its fields: the part it asks for.
FORM_PART = {"part": "form"}


class TestQuickCreate:
    def test_opens_as_a_modal_dialog_with_the_classic_fields(self, signed_in):
        response = signed_in.get(reverse("vms:quick-create"), **HTMX)
        html = response.content.decode()
        assert response.status_code == 200 and "<html" not in html
        assert html.strip().startswith('<dialog class="portal-modal"') and ">Quick Create</h2>" in html
        for label in ("DNS Name", "Image", "Size", "User Name", "New Password", "Confirm"):
            assert f">{label}</label>" in html
        assert ">Region/Affinity Group/Virtual Network</label>" in html
        assert "Help: DNS Name" in html and "Help: New Password" in html

    def test_dns_name_is_the_wizards_field_with_its_suffix_and_its_check_as_it_is_typed(self, signed_in, subscription):
        html = signed_in.get(reverse("vms:quick-create"), **HTMX).content.decode()
        assert f'hx-get="{reverse("vms:dns-name-check")}" hx-trigger="load, input changed delay:500ms"' in html
        assert '<span class="input-group-text">.cloudapp.net</span>' in html
        assert '<div id="dns-name-status" class="form-text" aria-live="polite"></div>' in html
        # One field: the wizard's Mode page draws the same, but for its form's prefix, help text and required flag.
        quick = str(QuickCreateForm(subscription=subscription)["dns_name"])
        mode = str(ModeForm(subscription=subscription, prefix="mode")["dns_name"]).replace("mode-dns_name", "dns_name")
        assert mode == quick.replace(" id_dns_name_helptext", "").replace(" required", "")

    def test_a_refused_dns_name_is_described_by_its_error_and_its_check(self, signed_in):
        factories.CloudServiceFactory(name="quickweb")
        html = signed_in.post(reverse("vms:quick-create"), quick_create_data() | FORM_PART, **HTMX).content.decode()
        assert 'aria-describedby="dns-name-status id_dns_name_helptext id_dns_name_error"' in html
        assert 'aria-invalid="true"' in html

    def test_without_htmx_is_a_page_of_its_own(self, signed_in):
        html = signed_in.get(reverse("vms:quick-create")).content.decode()
        assert "<html" in html and '<h1 class="page-title">Quick Create</h1>' in html and "<dialog" not in html

    def test_creates_the_vm_and_its_cloud_service_through_the_deploy_service(self, signed_in, subscription):
        response = signed_in.post(reverse("vms:quick-create"), quick_create_data() | FORM_PART, **HTMX)
        vm = VirtualMachine.objects.get(name="quickweb")
        assert response["HX-Redirect"] == reverse("vms:dashboard", args=[vm.pk])
        assert vm.cloud_service.name == "quickweb" and vm.cloud_service.subscription == subscription
        assert vm.cloud_service.region == factories.region() and vm.admin_username == "contosoadmin"
        assert vm.image_version.image.name == WINDOWS
        assert Operation.objects.get(virtual_machine=vm).kind == Operation.Kind.CREATE

    def test_leaves_saying_the_vm_is_being_created_to_its_dashboard(self, signed_in):
        """A message would outlive the creation: the dashboard says it for as long as it is true."""
        response = signed_in.post(reverse("vms:quick-create"), quick_create_data(), follow=True)
        html = response.content.decode()
        assert 'class="portal-messages"' not in html
        assert html.count("Creating virtual machine quickweb.") == 1

    def test_without_htmx_redirects_to_the_new_vms_dashboard(self, signed_in):
        response = signed_in.post(reverse("vms:quick-create"), quick_create_data(dns_name="quickweb2"))
        vm = VirtualMachine.objects.get(name="quickweb2")
        assert response.status_code == 302 and response["Location"] == reverse("vms:dashboard", args=[vm.pk])

    @pytest.mark.parametrize(
        ("overrides", "field", "message"),
        [
            ({"dns_name": "Bad_Name"}, "dns_name", "The name can contain from 3 through 24 lowercase"),
            ({"confirm_password": "Other-Pass-123"}, "confirm_password", "The passwords do not match."),
            (
                {"admin_password": "short", "confirm_password": "short"},
                "admin_password",
                "The password must have 8 to 123",
            ),
            ({"admin_username": "administrator"}, "admin_username", ""),
            ({"location": ""}, "location", "Choose a region, affinity group or virtual network."),
            ({"image": ""}, "image", "Choose an image."),
        ],
    )
    def test_bad_input_is_shown_beside_its_field_and_nothing_is_made(self, overrides, field, message, signed_in):
        response = signed_in.post(reverse("vms:quick-create"), quick_create_data(**overrides) | FORM_PART, **HTMX)
        html = response.content.decode()
        assert response.status_code == 200 and html.strip().startswith('<form id="create-form"')
        assert f'id="id_{field}_error">{message}' in html
        assert not VirtualMachine.objects.exists() and not CloudService.objects.exists()

    def test_a_taken_dns_name_is_refused_beside_the_field(self, signed_in):
        factories.CloudServiceFactory(name="quickweb")
        html = signed_in.post(reverse("vms:quick-create"), quick_create_data() | FORM_PART, **HTMX).content.decode()
        assert 'id="id_dns_name_error">quickweb.cloudapp.net is already taken.' in html
        assert not VirtualMachine.objects.exists()

    def test_the_core_quota_is_the_deploy_services_rule(self, signed_in, subscription):
        subscription.core_quota = 0
        subscription.save()
        html = signed_in.post(reverse("vms:quick-create"), quick_create_data() | FORM_PART, **HTMX).content.decode()
        assert 'id="id_size_error">' in html and not VirtualMachine.objects.exists()

    def test_a_windows_name_longer_than_15_characters_is_refused(self, signed_in):
        data = quick_create_data(dns_name="averylongwindowsname")
        html = signed_in.post(reverse("vms:quick-create"), data | FORM_PART, **HTMX).content.decode()
        assert 'id="id_dns_name_error">' in html and not VirtualMachine.objects.exists()

    def test_a_linux_image_gets_the_linux_rules(self, signed_in):
        data = quick_create_data(dns_name="averylonglinuxname", image=Image.objects.get(name=UBUNTU).pk)
        signed_in.post(reverse("vms:quick-create"), data | FORM_PART, **HTMX)
        assert VirtualMachine.objects.get(name="averylonglinuxname").image_version.image.name == UBUNTU

    def test_an_affinity_group_location_places_the_cloud_service_in_it(self, signed_in, subscription):
        group = factories.AffinityGroupFactory(subscription=subscription)
        signed_in.post(reverse("vms:quick-create"), quick_create_data(location=f"affinity-group-{group.pk}"))
        service = CloudService.objects.get(name="quickweb")
        assert service.affinity_group == group and service.region == group.region


class TestNewCloudService:
    def test_opens_as_a_dialog(self, signed_in):
        html = signed_in.get(reverse("vms:cloud-service-create"), **HTMX).content.decode()
        assert html.strip().startswith('<dialog class="portal-modal"') and ">New cloud service</h2>" in html

    def test_creates_an_empty_cloud_service_and_goes_to_the_list(self, signed_in, subscription):
        response = signed_in.post(
            reverse("vms:cloud-service-create"),
            {"name": "emptysvc", "region": factories.region().pk} | FORM_PART,
            **HTMX,
        )
        assert response["HX-Redirect"] == reverse("vms:cloud-services")
        service = CloudService.objects.get(name="emptysvc")
        assert service.subscription == subscription and not service.virtual_machines.exists()
        assert "Cloud service emptysvc was created." in signed_in.get(reverse("vms:cloud-services")).content.decode()

    def test_a_taken_name_is_shown_beside_the_url_field(self, signed_in):
        factories.CloudServiceFactory(name="takensvc")
        html = signed_in.post(
            reverse("vms:cloud-service-create"),
            {"name": "takensvc", "region": factories.region().pk} | FORM_PART,
            **HTMX,
        ).content.decode()
        assert 'id="id_name_error">takensvc.cloudapp.net is already taken.' in html
        assert CloudService.objects.filter(name="takensvc").count() == 1

    def test_the_cloud_service_quota_is_enforced_beside_the_field(self, signed_in, subscription):
        subscription.cloud_service_quota = 0
        subscription.save()
        html = signed_in.post(
            reverse("vms:cloud-service-create"),
            {"name": "onemore", "region": factories.region().pk} | FORM_PART,
            **HTMX,
        ).content.decode()
        assert 'id="id_name_error">This subscription already has its 0 cloud services.' in html
        assert not CloudService.objects.exists()


class TestFormPart:
    """The form alone comes back when it names its part; the target it is swapped into does not matter."""

    @pytest.mark.parametrize("target", [None, "create-form", "dialog-root", "renamed-form"])
    def test_a_refused_form_names_its_part_and_comes_back_alone(self, signed_in, target):
        headers = {"HTTP_HX_TARGET": target} if target else {}
        data = {"name": "", "region": ""} | FORM_PART
        response = signed_in.post(reverse("vms:cloud-service-create"), data, **HTMX, **headers)
        assert response.content.decode().strip().startswith('<form id="create-form"')
        assert "HX-Target" not in response["Vary"]

    @pytest.mark.parametrize("target", [None, "create-form", "dialog-root"])
    def test_without_the_part_htmx_gets_the_dialog(self, signed_in, target):
        headers = {"HTTP_HX_TARGET": target} if target else {}
        html = signed_in.get(reverse("vms:cloud-service-create"), **HTMX, **headers).content.decode()
        assert html.strip().startswith('<dialog class="portal-modal"')

    def test_the_form_names_its_part(self, signed_in):
        html = signed_in.get(reverse("vms:cloud-service-create"), **HTMX).content.decode()
        action = reverse("vms:cloud-service-create")
        assert f'hx-post="{action}" hx-vals=\'{{"part": "form"}}\' hx-target="this"' in html


class TestNewDrawer:
    def test_the_drawer_offers_each_new_thing_in_its_column(self, signed_in):
        html = signed_in.get(reverse("vms:list")).content.decode()
        drawer = html[html.index('<section id="new-drawer"') :]
        drawer = drawer[: drawer.index("</section>\n  </div>\n</section>")]
        assert '<button type="button" id="new-button"' in html and 'aria-controls="new-drawer"' in html
        assert 'role="menu"' not in html and "<summary" not in html.split("<main")[0]
        compute, networking, storage = (
            drawer.index(">Compute</h2>"),
            drawer.index(">Networking</h2>"),
            drawer.index(">Storage</h2>"),
        )
        assert compute < drawer.index("Quick Create") < drawer.index("From Gallery") < networking
        assert compute < drawer.index("Cloud Service</a>") < networking
        assert networking < drawer.index("Affinity Group</a>") < drawer.index("Virtual Network</a>") < storage
        assert storage < drawer.index("Storage Account</a>")
        assert (
            'aria-controls="new-vm-choices"' in drawer
            and '<ul id="new-vm-choices" class="portal-new-choices" hidden>' in drawer
        )
