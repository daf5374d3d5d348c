"""The Endpoints tab, its Add wizard, Edit and Delete, and the cloud service page: each with and without htmx."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from balancer import haproxy
from balancer.models import LoadBalancer
from balancer.services import load_balancer_apply
from endpoints.models import Endpoint, LoadBalancedSet
from endpoints.probes import load_balanced_sets_probe
from endpoints.services import endpoint_create
from portal.models import WizardDraft
from tests import factories
from vms.models import Operation, VirtualMachine

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
DIALOG = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}
IN_DIALOG = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/"}


@pytest.fixture
def cloud_service(subscription):
    return factories.CloudServiceFactory(subscription=subscription, name="contosoweb")


@pytest.fixture
def web1(cloud_service):
    return factories.VirtualMachineFactory(cloud_service=cloud_service, name="web1")


@pytest.fixture
def web2(cloud_service):
    return factories.VirtualMachineFactory(cloud_service=cloud_service, name="web2")


@pytest.fixture
def stranger():
    """A VM, with a load-balanced set, of a subscription the signed-in person does not belong to."""
    vm = factories.VirtualMachineFactory(name="theirs")
    endpoint_create(
        vm=vm,
        name="HTTP",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set_name="theirset",
        probe_port=80,
    )
    return vm


def http_set(vm, name="web"):
    return endpoint_create(
        vm=vm,
        name="HTTP",
        protocol="tcp",
        public_port=80,
        private_port=80,
        load_balanced_set_name=name,
        probe_protocol="http",
        probe_port=80,
        probe_path="/",
    )


def tab_url(vm):
    return reverse("endpoints:machine", args=[vm.pk])


def latest_draft(vm) -> WizardDraft | None:
    """The draft of the run of the VM's Add endpoint wizard started last."""
    return WizardDraft.objects.filter(wizard=f"wizard_add_endpoint_{vm.pk}").order_by("-created_at").first()


def add_url(vm, step=None, draft=None):
    """A step's address in a run (by default the run started last); without a step, the wizard's own address."""
    path = reverse("endpoints:add-step", args=[vm.pk, step]) if step else reverse("endpoints:add", args=[vm.pk])
    if draft is None and step:
        draft = latest_draft(vm)
    draft_id = draft.pk if isinstance(draft, WizardDraft) else draft
    return f"{path}?draft={draft_id}" if draft_id else path


def post_step(client, vm, step, data, **headers):
    payload = {f"add_endpoint_{vm.pk}-current_step": step, "part": "page"}
    payload.update({f"{step}-{key}": value for key, value in data.items()})
    return client.post(add_url(vm, step), payload, **headers)


class TestEndpointsTab:
    def test_full_page_lists_name_protocol_ports_and_set(self, signed_in, web1):
        http_set(web1)
        endpoint_create(vm=web1, name="SSH", protocol="tcp", public_port=22, private_port=22)
        html = signed_in.get(tab_url(web1)).content.decode()
        assert "<html" in html
        for text in ("Endpoints", "HTTP", "SSH", "Public Port", "Private Port", "Load-Balanced Set", ">web<"):
            assert text in html
        assert 'aria-current="page"' in html and ">Add</a>" in html

    def test_add_opens_the_wizard_naming_the_dialog(self, signed_in, web1):
        html = signed_in.get(tab_url(web1)).content.decode()
        opener = f'hx-get="{add_url(web1)}" hx-vals=\'{{"part": "dialog"}}\' hx-target="#dialog-root"'
        assert html.count(opener) == 2  # the command bar's Add, and the empty tab's

    def test_fragment_without_the_layout(self, signed_in, web1):
        endpoint_create(vm=web1, name="SSH", protocol="tcp", public_port=22, private_port=22)
        html = signed_in.get(tab_url(web1), **HTMX).content.decode()
        assert "<html" not in html
        assert "SSH" in html and 'hx-swap-oob="innerHTML:.portal-page-commands"' in html

    def test_another_subscriptions_vm_is_not_found(self, signed_in, stranger):
        assert signed_in.get(tab_url(stranger)).status_code == 404

    def test_the_dashboard_links_the_tab_and_the_cloud_service_page(self, signed_in, web1):
        html = signed_in.get(reverse("vms:dashboard", args=[web1.pk])).content.decode()
        assert tab_url(web1) in html
        assert reverse("endpoints:cloud-service", args=[web1.cloud_service_id]) in html

    @pytest.mark.parametrize("count", [3, 150])
    def test_query_count_does_not_grow_with_endpoints(self, signed_in, web1, count, django_assert_max_num_queries):
        Endpoint.objects.bulk_create(
            Endpoint(
                virtual_machine=web1,
                cloud_service=web1.cloud_service,
                name=f"e{i}",
                protocol="tcp",
                public_port=1000 + i,
                private_port=1000 + i,
            )
            for i in range(count)
        )
        with django_assert_max_num_queries(8):
            response = signed_in.get(tab_url(web1))
        assert response.content.decode().count('name="endpoint"') == count


class TestAddWizard:
    def test_opens_in_a_dialog_with_htmx(self, signed_in, web1):
        response = signed_in.get(add_url(web1), **DIALOG)
        html = response.content.decode()
        assert "<html" not in html and "<dialog" in html and "portal-modal" in html
        assert "Add an endpoint to a virtual machine" in html
        assert "Add a stand-alone endpoint" in html and "Add an endpoint to an existing load-balanced set" in html

    def test_without_htmx_it_is_a_page_of_its_own(self, signed_in, web1):
        response = signed_in.get(add_url(web1))
        assert response.status_code == 302 and response["Location"] == add_url(web1, "kind")
        html = signed_in.get(add_url(web1, "kind")).content.decode()
        assert "<html" in html and "<dialog" not in html

    def test_a_stand_alone_endpoint_from_a_well_known_name(self, signed_in, web1):
        signed_in.get(add_url(web1), **DIALOG)
        response = post_step(signed_in, web1, "kind", {"kind": "standalone"}, **IN_DIALOG)
        html = response.content.decode()
        assert "Specify the details of the endpoint" in html and "<html" not in html
        response = post_step(
            signed_in, web1, "details", {"name": "https", "public_port": "", "private_port": ""}, **IN_DIALOG
        )
        assert response.status_code == 200 and response["HX-Redirect"] == tab_url(web1)
        endpoint = web1.endpoints.get()
        assert (endpoint.name, endpoint.protocol, endpoint.public_port, endpoint.private_port) == (
            "https",
            "tcp",
            443,
            443,
        )

    def test_the_same_without_htmx(self, signed_in, web1):
        signed_in.get(add_url(web1))
        response = post_step(signed_in, web1, "kind", {"kind": "standalone"})
        assert response["Location"] == add_url(web1, "details")
        response = post_step(
            signed_in, web1, "details", {"name": "Web", "protocol": "tcp", "public_port": "8080", "private_port": "80"}
        )
        assert response.status_code == 302 and response["Location"] == tab_url(web1)
        assert web1.endpoints.get().public_port == 8080

    def test_creating_a_load_balanced_set_on_the_third_page(self, signed_in, web1):
        signed_in.get(add_url(web1), **DIALOG)
        post_step(signed_in, web1, "kind", {"kind": "standalone"}, **IN_DIALOG)
        response = post_step(signed_in, web1, "details", {"name": "HTTP", "create_set": "on"}, **IN_DIALOG)
        html = response.content.decode()
        assert "Configure the load-balanced set" in html and "Number Of Probes" in html
        response = post_step(
            signed_in,
            web1,
            "set",
            {
                "load_balanced_set_name": "web",
                "probe_protocol": "http",
                "probe_port": "80",
                "probe_path": "/health",
                "probe_interval": "15",
                "probe_count": "2",
            },
            **IN_DIALOG,
        )
        assert response["HX-Redirect"] == tab_url(web1)
        lb_set = LoadBalancedSet.objects.get()
        assert (lb_set.name, lb_set.public_port, lb_set.probe_path) == ("web", 80, "/health")

    def test_probe_rules_show_beside_their_fields(self, signed_in, web1):
        signed_in.get(add_url(web1), **DIALOG)
        post_step(signed_in, web1, "kind", {"kind": "standalone"}, **IN_DIALOG)
        post_step(signed_in, web1, "details", {"name": "HTTP", "create_set": "on"}, **IN_DIALOG)
        response = post_step(
            signed_in,
            web1,
            "set",
            {
                "load_balanced_set_name": "web",
                "probe_protocol": "tcp",
                "probe_port": "80",
                "probe_interval": "4",
                "probe_count": "1",
            },
            **IN_DIALOG,
        )
        html = response.content.decode()
        assert 'id="id_set-probe_interval_error"' in html and "A probe interval is 5 to 3600 seconds." in html
        assert 'id="id_set-probe_count_error"' in html and "The number of probes is 2 to 100." in html
        assert not LoadBalancedSet.objects.exists()

    def test_joining_an_existing_set_takes_its_ports(self, signed_in, web1, web2):
        lb_set = http_set(web1).load_balanced_set
        signed_in.get(add_url(web2), **DIALOG)
        post_step(signed_in, web2, "kind", {"kind": "existing", "load_balanced_set": lb_set.pk}, **IN_DIALOG)
        response = post_step(signed_in, web2, "details", {"name": "HTTP", "public_port": "9999"}, **IN_DIALOG)
        assert response["HX-Redirect"] == tab_url(web2)
        member = web2.endpoints.get()
        assert (member.load_balanced_set, member.public_port, member.private_port) == (lb_set, 80, 80)

    def test_a_taken_public_port_is_refused_beside_the_field(self, signed_in, web1, web2):
        endpoint_create(vm=web1, name="Web", protocol="tcp", public_port=8080, private_port=80)
        signed_in.get(add_url(web2), **DIALOG)
        post_step(signed_in, web2, "kind", {"kind": "standalone"}, **IN_DIALOG)
        response = post_step(
            signed_in,
            web2,
            "details",
            {"name": "Web", "protocol": "tcp", "public_port": "8080", "private_port": "80"},
            **IN_DIALOG,
        )
        html = response.content.decode()
        assert 'id="id_details-public_port_error"' in html
        assert "already uses public port 8080 (TCP) for web1&#x27;s Web" in html
        assert not web2.endpoints.exists()

    def test_another_subscriptions_set_is_refused_beside_the_field(self, signed_in, web1, stranger):
        foreign_set = stranger.endpoints.get().load_balanced_set
        signed_in.get(add_url(web1), **DIALOG)
        response = post_step(
            signed_in, web1, "kind", {"kind": "existing", "load_balanced_set": foreign_set.pk}, **IN_DIALOG
        )
        html = response.content.decode()
        assert 'id="id_kind-load_balanced_set_error"' in html
        assert "Choose a load-balanced set of this cloud service." in html

    def test_another_subscriptions_vm_is_not_found(self, signed_in, stranger):
        assert signed_in.get(add_url(stranger), **DIALOG).status_code == 404
        assert post_step(signed_in, stranger, "kind", {"kind": "standalone"}).status_code == 404

    def test_closing_the_dialog_discards_the_draft(self, signed_in, web1):
        signed_in.get(add_url(web1), **DIALOG)
        post_step(signed_in, web1, "kind", {"kind": "standalone"}, **IN_DIALOG)
        draft = latest_draft(web1)
        response = signed_in.post(add_url(web1, draft=draft), **DIALOG)
        assert response.content == b""
        assert not WizardDraft.objects.filter(pk=draft.pk).exists()
        expired = signed_in.get(add_url(web1, "details", draft=draft))
        assert expired.status_code == 400
        assert "This wizard has expired" in expired.content.decode()


class TestEditAndDelete:
    def test_edit_dialog_and_save(self, signed_in, web1):
        endpoint = endpoint_create(vm=web1, name="Web", protocol="tcp", public_port=8080, private_port=80)
        url = reverse("endpoints:edit", args=[web1.pk])
        html = signed_in.get(url, {"endpoint": endpoint.pk}, **DIALOG).content.decode()
        assert "<html" not in html and "<dialog" in html and "Edit endpoint Web" in html
        response = signed_in.post(
            url,
            {"endpoint": endpoint.pk, "name": "Site", "protocol": "tcp", "public_port": "8081", "private_port": "80"},
            **DIALOG,
        )
        assert response["HX-Redirect"] == tab_url(web1)
        endpoint.refresh_from_db()
        assert (endpoint.name, endpoint.public_port) == ("Site", 8081)

    def test_edit_without_htmx_is_a_page_and_redirects(self, signed_in, web1):
        endpoint = endpoint_create(vm=web1, name="Web", protocol="tcp", public_port=8080, private_port=80)
        url = reverse("endpoints:edit", args=[web1.pk])
        assert "<html" in signed_in.get(url, {"endpoint": endpoint.pk}).content.decode()
        response = signed_in.post(
            url,
            {"endpoint": endpoint.pk, "name": "Web", "protocol": "udp", "public_port": "8080", "private_port": "80"},
        )
        assert response.status_code == 302 and response["Location"] == tab_url(web1)

    def test_edit_errors_show_beside_the_field(self, signed_in, web1):
        endpoint_create(vm=web1, name="SSH", protocol="tcp", public_port=22, private_port=22)
        endpoint = endpoint_create(vm=web1, name="Web", protocol="tcp", public_port=8080, private_port=80)
        url = reverse("endpoints:edit", args=[web1.pk])
        response = signed_in.post(
            url,
            {"endpoint": endpoint.pk, "name": "ssh", "protocol": "tcp", "public_port": "22", "private_port": "80"},
            **DIALOG,
        )
        html = response.content.decode()
        assert 'id="id_name_error"' in html and "already has an endpoint named ssh" in html
        assert 'id="id_public_port_error"' in html

    def test_a_members_ports_are_its_sets(self, signed_in, web1):
        member = http_set(web1)
        url = reverse("endpoints:edit", args=[web1.pk])
        html = signed_in.get(url, {"endpoint": member.pk}).content.decode()
        assert "Shared by the members of web." in html and "disabled" in html

    def test_delete_asks_then_deletes_and_removes_an_emptied_set(self, signed_in, web1):
        member = http_set(web1)
        url = reverse("endpoints:delete", args=[web1.pk])
        html = signed_in.get(url, {"endpoint": member.pk}, **DIALOG).content.decode()
        assert "Delete endpoint HTTP?" in html and "<html" not in html
        response = signed_in.post(url, {"endpoint": member.pk, "confirmed": "True"}, **DIALOG)
        assert response["HX-Redirect"] == tab_url(web1)
        assert not Endpoint.objects.exists() and not LoadBalancedSet.objects.exists()

    def test_delete_without_htmx(self, signed_in, web1):
        endpoint = endpoint_create(vm=web1, name="Web", protocol="tcp", public_port=8080, private_port=80)
        url = reverse("endpoints:delete", args=[web1.pk])
        assert "<html" in signed_in.get(url, {"endpoint": endpoint.pk}).content.decode()
        response = signed_in.post(url, {"endpoint": endpoint.pk, "confirmed": "True"})
        assert response.status_code == 302 and not Endpoint.objects.exists()

    def test_another_subscriptions_endpoint_is_not_found(self, signed_in, web1, stranger):
        theirs = stranger.endpoints.get()
        for name in ("endpoints:edit", "endpoints:delete"):
            url = reverse(name, args=[web1.pk])
            assert signed_in.get(url, {"endpoint": theirs.pk}).status_code == 404
            assert signed_in.post(url, {"endpoint": theirs.pk, "confirmed": "True"}).status_code == 404
        assert Endpoint.objects.filter(pk=theirs.pk).exists()

    def test_no_chosen_endpoint_is_not_found(self, signed_in, web1):
        assert signed_in.get(reverse("endpoints:edit", args=[web1.pk])).status_code == 404


class TestCloudServicePage:
    def url(self, cloud_service):
        return reverse("endpoints:cloud-service", args=[cloud_service.pk])

    def test_lists_vms_endpoints_and_sets_with_rotation(self, signed_in, cloud_service, web1, web2):
        lb_set = http_set(web1).load_balanced_set
        endpoint_create(vm=web2, name="HTTP", protocol="tcp", public_port=80, private_port=80, load_balanced_set=lb_set)
        load_balanced_sets_probe(now=timezone.now())
        html = signed_in.get(self.url(cloud_service)).content.decode()
        assert "<html" in html and "contosoweb.cloudapp.net" in html
        assert "Load-balanced sets" in html and "2 of 2 members in rotation" in html
        assert "HTTP 80 /" in html and 'class="rotation-timeline"' in html and "rotation-in" in html

    def test_a_member_not_probed_yet_awaits_its_first_probe(self, signed_in, cloud_service, web1):
        http_set(web1)
        html = signed_in.get(self.url(cloud_service), **HTMX).content.decode()
        row = re.search(r"<tr>\s*<th scope=\"row\">web1</th>.*?</tr>", html, re.S).group()
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert cells[1:3] == ["Not yet: awaits its first probe", "None yet"]

    def test_a_member_shows_its_failures_once_probed(self, signed_in, cloud_service, web1):
        http_set(web1)
        VirtualMachine.objects.filter(pk=web1.pk).update(status=VirtualMachine.Status.STOPPED)
        load_balanced_sets_probe(now=timezone.now())
        html = signed_in.get(self.url(cloud_service), **HTMX).content.decode()
        row = re.search(r"<tr>\s*<th scope=\"row\">web1</th>.*?</tr>", html, re.S).group()
        cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert cells[1:3] == ["No", "1"]

    def test_a_set_with_none_in_rotation_is_down_in_red(self, signed_in, cloud_service, web1):
        http_set(web1)
        html = signed_in.get(self.url(cloud_service), **HTMX).content.decode()
        assert "<html" not in html
        assert '<strong class="text-danger">down: no member is in rotation</strong>' in html

    def test_the_sets_part_refreshes_alone(self, signed_in, cloud_service, web1):
        http_set(web1)
        html = signed_in.get(self.url(cloud_service), {"part": "sets"}, HTTP_HX_REQUEST="true").content.decode()
        assert html.lstrip().startswith('<section id="load-balanced-sets"')
        assert "Virtual machines" not in html

    @pytest.mark.parametrize("target", [None, "load-balanced-sets", "main", "renamed-sets"])
    def test_the_sets_part_answers_whatever_the_target(self, signed_in, cloud_service, web1, target):
        http_set(web1)
        headers = {"HTTP_HX_TARGET": target} if target else {}
        response = signed_in.get(self.url(cloud_service), {"part": "sets"}, HTTP_HX_REQUEST="true", **headers)
        assert response.content.decode().lstrip().startswith('<section id="load-balanced-sets"')
        assert "HX-Target" not in response["Vary"]

    def test_without_the_part_the_sets_target_gets_the_page_part(self, signed_in, cloud_service, web1):
        http_set(web1)
        html = signed_in.get(
            self.url(cloud_service), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="load-balanced-sets"
        ).content.decode()
        assert "Virtual machines" in html and "<html" not in html

    def test_the_sets_poll_names_its_part(self, signed_in, cloud_service, web1):
        http_set(web1)
        html = signed_in.get(self.url(cloud_service)).content.decode()
        assert f'hx-get="{self.url(cloud_service)}" hx-vals=\'{{"part": "sets"}}\' hx-trigger="every 2s"' in html

    def test_the_cloud_services_list_links_here(self, signed_in, cloud_service):
        assert self.url(cloud_service) in signed_in.get(reverse("vms:cloud-services")).content.decode()

    def test_another_subscriptions_cloud_service_is_not_found(self, signed_in, stranger):
        assert signed_in.get(self.url(stranger.cloud_service)).status_code == 404

    @pytest.mark.parametrize("count", [3, 150])
    def test_query_count_does_not_grow(self, signed_in, cloud_service, count, django_assert_max_num_queries):
        vms = [factories.VirtualMachineFactory(cloud_service=cloud_service, name=f"web{i}") for i in range(3)]
        lb_set = factories.LoadBalancedSetFactory(cloud_service=cloud_service, public_port=80)
        Endpoint.objects.bulk_create(
            Endpoint(
                virtual_machine=vms[i % 3],
                cloud_service=cloud_service,
                name=f"e{i}",
                protocol="tcp",
                public_port=80 if i < 3 else 1000 + i,
                private_port=1000 + i,
                load_balanced_set=lb_set if i < 3 else None,
            )
            for i in range(count)
        )
        load_balanced_sets_probe(now=timezone.now())
        with django_assert_max_num_queries(10):
            response = signed_in.get(self.url(cloud_service))
        assert response.content.decode().count("<tr>") >= count


class TestSetProbe:
    """Editing a set's probe from the cloud service page changes it for every member at once."""

    def url(self, lb_set):
        return reverse("endpoints:set-probe", args=[lb_set.cloud_service_id, lb_set.pk])

    def data(self, **overrides):
        return {
            "probe_protocol": "http",
            "probe_port": "8080",
            "probe_path": "/health",
            "probe_interval": "30",
            "probe_count": "4",
            **overrides,
        }

    def test_the_cloud_service_page_links_the_probe_dialog(self, signed_in, cloud_service, web1):
        lb_set = http_set(web1).load_balanced_set
        html = signed_in.get(reverse("endpoints:cloud-service", args=[cloud_service.pk])).content.decode()
        assert f'href="{self.url(lb_set)}"' in html and f'hx-get="{self.url(lb_set)}"' in html

    def test_without_htmx_the_dialog_is_a_page_with_the_current_probe(self, signed_in, web1):
        lb_set = http_set(web1).load_balanced_set
        html = signed_in.get(self.url(lb_set)).content.decode()
        assert "<html" in html and "Edit the probe of web" in html
        assert 'name="probe_path" value="/"' in html and 'name="probe_interval" value="15"' in html

    def test_the_path_shows_for_an_http_probe_only_as_on_the_wizards_set_page(self, signed_in, web1, web2):
        http = http_set(web1).load_balanced_set
        tcp = endpoint_create(
            vm=web2,
            name="TCP",
            protocol="tcp",
            public_port=81,
            private_port=81,
            load_balanced_set_name="plain",
            probe_port=81,
        ).load_balanced_set
        shown = signed_in.get(self.url(http)).content.decode()
        hidden = signed_in.get(self.url(tcp)).content.decode()
        assert '<div data-show-when="probe_protocol=http">' in shown
        assert '<div data-show-when="probe_protocol=http" hidden>' in hidden

    def test_with_htmx_the_dialog_is_a_fragment(self, signed_in, web1):
        lb_set = http_set(web1).load_balanced_set
        html = signed_in.get(self.url(lb_set), **DIALOG).content.decode()
        assert "<html" not in html and html.lstrip().startswith("<dialog")

    def test_saving_changes_every_member_and_returns_to_the_set(self, signed_in, web1, web2):
        lb_set = http_set(web1).load_balanced_set
        endpoint_create(vm=web2, name="HTTP", protocol="tcp", public_port=80, private_port=80, load_balanced_set=lb_set)
        response = signed_in.post(self.url(lb_set), self.data())
        assert response.status_code == 302 and response["Location"] == lb_set.get_absolute_url()
        lb_set.refresh_from_db()
        assert (lb_set.probe_protocol, lb_set.probe_port, lb_set.probe_path) == ("http", 8080, "/health")
        assert (lb_set.probe_interval, lb_set.probe_count) == (30, 4)
        assert lb_set.members.count() == 2

    def test_saving_with_htmx_redirects_the_page(self, signed_in, web1):
        lb_set = http_set(web1).load_balanced_set
        response = signed_in.post(self.url(lb_set), self.data(probe_protocol="tcp", probe_path="/ignored"), **DIALOG)
        assert response.status_code == 200 and response["HX-Redirect"] == lb_set.get_absolute_url()
        lb_set.refresh_from_db()
        assert (lb_set.probe_protocol, lb_set.probe_path) == ("tcp", "")

    @pytest.mark.parametrize("headers", [{}, DIALOG])
    def test_a_refused_probe_is_shown_and_nothing_changes(self, signed_in, web1, headers):
        lb_set = http_set(web1).load_balanced_set
        response = signed_in.post(self.url(lb_set), self.data(probe_path="health", probe_count="1"), **headers)
        html = response.content.decode()
        assert response.status_code == 200
        assert ("<html" in html) is not bool(headers)
        assert "An HTTP probe needs a path starting with /" in html and "The number of probes is 2 to 100." in html
        lb_set.refresh_from_db()
        assert (lb_set.probe_path, lb_set.probe_count) == ("/", 2)

    def test_another_subscriptions_set_is_not_found(self, signed_in, stranger, cloud_service):
        theirs = LoadBalancedSet.objects.get(cloud_service=stranger.cloud_service)
        assert signed_in.get(self.url(theirs)).status_code == 404
        wrong_service = reverse("endpoints:set-probe", args=[cloud_service.pk, theirs.pk])
        assert signed_in.post(wrong_service, self.data()).status_code == 404


class TestChangesALoadBalancerCarries:
    """In a region whose load balancer is enabled, a change is an operation until HAProxy takes it, in the
    notifications like any other, and a configuration HAProxy refuses fails it there with HAProxy's reason."""

    @pytest.fixture
    def carried(self, cloud_service, tmp_path):
        return LoadBalancer.objects.create(
            region=cloud_service.region,
            public_addresses="127.0.1.0/29",
            config_path=str(tmp_path / "haproxy.cfg"),
            runtime_socket=str(tmp_path / "runtime.sock"),
            master_socket=str(tmp_path / "master.sock"),
        )

    def notifications(self, client) -> str:
        return client.get(reverse("vms:notifications"), **HTMX).content.decode()

    def test_an_edit_waits_for_haproxy_and_then_says_it_is_served(self, signed_in, user, web1, carried):
        endpoint = endpoint_create(vm=web1, name="Web", protocol="tcp", public_port=8080, private_port=80)
        load_balancer_apply(load_balancer=carried, apply=lambda text, **_: None)
        response = signed_in.post(
            reverse("endpoints:edit", args=[web1.pk]),
            {"endpoint": endpoint.pk, "name": "Site", "protocol": "tcp", "public_port": "8081", "private_port": "80"},
            **DIALOG,
        )
        assert response["HX-Redirect"] == tab_url(web1)

        operation = Operation.objects.filter(kind=Operation.Kind.ENDPOINTS).latest("pk")
        assert (operation.title, operation.status, operation.requested_by) == (
            "Updating endpoint Site of web1",
            Operation.Status.IN_PROGRESS,
            user,
        )
        html = self.notifications(signed_in)
        assert "Updating endpoint Site of web1" in html and "waiting for the region&#x27;s load balancer" in html

        load_balancer_apply(load_balancer=carried, apply=lambda text, **_: None)
        operation.refresh_from_db()
        assert operation.status == Operation.Status.SUCCEEDED
        html = self.notifications(signed_in)
        assert html.count("HAProxy runs the configuration with this change.") == 2  # the add before, and the edit

    def test_a_refused_probe_change_fails_in_the_notifications_with_haproxys_reason(self, signed_in, web1, carried):
        lb_set = http_set(web1).load_balanced_set
        response = signed_in.post(
            reverse("endpoints:set-probe", args=[lb_set.cloud_service_id, lb_set.pk]),
            {"probe_protocol": "tcp", "probe_port": "80", "probe_interval": "15", "probe_count": "2"},
        )
        assert response.status_code == 302

        def refuse(text, **_):
            raise haproxy.ConfigurationRefused("[ALERT] parsing [the new configuration:12] : something HAProxy says")

        assert load_balancer_apply(load_balancer=carried, apply=refuse).outcome == "refused"
        html = self.notifications(signed_in)
        assert "Updating the probe of load-balanced set web: failed." in html
        assert "[the new configuration:12] : something HAProxy says" in html
        lb_set.refresh_from_db()
        assert lb_set.probe_protocol == "tcp"  # saved: the next configuration HAProxy takes carries it
