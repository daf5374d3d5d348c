"""The application pages: each view with and without htmx, the forms' messages, drills, and query budgets."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.drills import drill_event, drill_last_event
from applications.models import Application, Dependency, Drill, Role
from tests import factories
from tests.helpers.applications import web_shop
from tests.helpers.fabric import place_in_rack
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# What the live part sends when it polls (hx-vals in application_detail.html).
LIVE_POLL = {"part": "live"}


@pytest.fixture
def shop(subscription):
    return web_shop(subscription)


def detail_url(application):
    return reverse("applications:detail", args=[application.pk])


class TestList:
    def test_lists_each_application_with_its_single_points_of_failure(self, signed_in, shop):
        response = signed_in.get(reverse("applications:list"))
        assert response.status_code == 200
        body = response.content.decode()
        assert "<html" in body
        assert "Web shop" in body
        assert "<td>Data</td>" in body

    def test_htmx_gets_the_fragment(self, signed_in, shop):
        response = signed_in.get(reverse("applications:list"), **HTMX)
        body = response.content.decode()
        assert "<html" not in body
        assert "Web shop" in body

    def test_the_new_menu_offers_application(self, signed_in):
        body = signed_in.get(reverse("vms:list")).content.decode()
        drawer = body[body.index('id="new-drawer"') :]
        assert f'href="{reverse("applications:new")}"' in drawer
        assert "</i> Application</a>" in drawer


class TestNew:
    def test_creates_and_goes_to_the_page(self, signed_in, subscription):
        page = signed_in.get(reverse("applications:new"))
        assert "<html" in page.content.decode()
        assert "<html" not in signed_in.get(reverse("applications:new"), **HTMX).content.decode()
        response = signed_in.post(reverse("applications:new"), {"name": "Web shop"})
        application = Application.objects.get(subscription=subscription)
        assert response.status_code == 302
        assert response.url == detail_url(application)

    def test_a_taken_name_is_refused_beside_the_field(self, signed_in, shop):
        response = signed_in.post(reverse("applications:new"), {"name": "web SHOP"})
        assert "This subscription already has an application named web SHOP." in response.content.decode()
        assert Application.objects.count() == 1


class TestDetail:
    def test_shows_grids_arrows_assessment_and_findings(self, signed_in, shop):
        response = signed_in.get(detail_url(shop))
        body = response.content.decode()
        assert "<html" in body
        assert "Single point of failure: Data." in body
        assert "<title>Web depends on Data</title>" in body
        assert "can take down SQL1, the only member of the Data role; Web depends on Data." in body
        sql1 = VirtualMachine.objects.get(name="SQL1")
        assert f'href="{reverse("vms:configure", args=[sql1.pk])}">Create an availability set for it' in body
        assert "IIS1</a>" in body and "IIS2</a>" in body
        assert " style=" not in body.split("<main", 1)[1]
        assert "<script>" not in body

    def test_htmx_gets_the_page_part_and_the_poll_gets_the_live_part(self, signed_in, shop):
        main = signed_in.get(detail_url(shop), **HTMX).content.decode()
        assert "<html" not in main and "Add a role" in main
        live = signed_in.get(detail_url(shop), LIVE_POLL, **HTMX).content.decode()
        assert "<html" not in live and "Add a role" not in live
        assert live.startswith('\n  <div id="application-live"') or 'id="application-live"' in live[:80]

    @pytest.mark.parametrize("target", [None, "application-live", "main", "renamed-live"])
    def test_the_live_part_answers_whatever_the_target(self, signed_in, shop, target):
        headers = {"HTTP_HX_TARGET": target} if target else {}
        response = signed_in.get(detail_url(shop), LIVE_POLL, **HTMX, **headers)
        html = response.content.decode()
        assert 'id="application-live"' in html[:80] and "Add a role" not in html
        assert "HX-Target" not in response["Vary"]

    def test_without_the_part_the_live_target_gets_the_page_part(self, signed_in, shop):
        html = signed_in.get(detail_url(shop), HTTP_HX_TARGET="application-live", **HTMX).content.decode()
        assert "<html" not in html and "Add a role" in html

    def test_the_live_poll_names_its_part(self, signed_in, shop):
        signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "walk"})  # no worker here
        html = signed_in.get(detail_url(shop)).content.decode()
        assert f'hx-get="{detail_url(shop)}" hx-vals=\'{{"part": "live"}}\' hx-trigger="every 2s"' in html

    def test_another_subscriptions_application_is_not_found(self, signed_in):
        other = factories.ApplicationFactory()
        assert signed_in.get(detail_url(other)).status_code == 404

    @pytest.mark.parametrize("vm_count", [2, 200])
    def test_queries_do_not_grow_with_vms(self, signed_in, subscription, vm_count, django_assert_num_queries):
        service = factories.CloudServiceFactory(subscription=subscription)
        application = Application.objects.create(subscription=subscription, name="big")
        sets = [factories.AvailabilitySetFactory(cloud_service=service, update_domain_count=20) for _ in range(2)]
        balancers = [factories.LoadBalancedSetFactory(cloud_service=service, public_port=80 + i) for i in range(2)]
        for index in range(vm_count):
            membership = factories.MembershipFactory(
                availability_set=sets[index % 2],
                virtual_machine__cloud_service=service,
                fault_domain=index % 2,
                update_domain=index % 20,
            )
            place_in_rack(membership.virtual_machine, f"r{index % 3}")
            factories.EndpointFactory(
                virtual_machine=membership.virtual_machine,
                load_balanced_set=balancers[index % 2],
                public_port=balancers[index % 2].public_port,
                private_port=80,
                in_rotation=index != 0,
            )
        web = Role.objects.create(application=application, name="Web", availability_set=sets[0])
        data = Role.objects.create(application=application, name="Data", availability_set=sets[1])
        Dependency.objects.create(role=web, depends_on=data)
        lone = factories.VirtualMachineFactory(cloud_service=service, name="lone")
        place_in_rack(lone, "r0")
        Role.objects.create(application=application, name="Cache", virtual_machine=lone)
        # Session, user, the person's subscriptions, the application, then the view's reads: roles with their
        # targets, set members, VMs in no set, dependencies, load-balanced endpoints, and the drills. The role forms
        # read nothing: their targets are typed, with suggestions fetched as they are.
        with django_assert_num_queries(10):
            response = signed_in.get(detail_url(application))
        assert response.status_code == 200
        assert "Load-balanced set" in response.content.decode()
        assert "Rack r0 of West US holds lone" in response.content.decode()
        with django_assert_num_queries(10):
            signed_in.get(detail_url(application), LIVE_POLL, **HTMX)
        with django_assert_num_queries(9):
            signed_in.get(reverse("applications:list"))


class TestRolesAndDependencies:
    def test_add_a_role_of_a_set(self, signed_in, shop):
        sql_set = factories.AvailabilitySetFactory(name="SQLSet", cloud_service__subscription=shop.subscription)
        response = signed_in.post(
            reverse("applications:role-add", args=[shop.pk]),
            {"name": "Cache", "target": f"SQLSet ({sql_set.cloud_service.name})"},
        )
        assert response.status_code == 302
        assert shop.roles.get(name="Cache").availability_set == sql_set

    def test_a_set_already_in_a_role_is_refused_beside_the_field(self, signed_in, shop):
        web_set = shop.roles.get(name="Web").availability_set
        response = signed_in.post(
            reverse("applications:role-add", args=[shop.pk]),
            {"name": "Other", "target": f"{web_set.name} ({web_set.cloud_service.name})"},
        )
        assert response.status_code == 422
        assert "WebSet is already the Web role of this application." in response.content.decode()

    def test_make_data_another_set(self, signed_in, shop):
        sql_set = factories.AvailabilitySetFactory(name="SQLSet", cloud_service__subscription=shop.subscription)
        data = shop.roles.get(name="Data")
        response = signed_in.post(
            reverse("applications:role-change", args=[shop.pk, data.pk]),
            {f"role-{data.pk}-name": "Data", f"role-{data.pk}-target": "SQLSet"},
        )
        assert response.status_code == 302
        data.refresh_from_db()
        assert data.availability_set == sql_set and data.virtual_machine is None

    def test_a_cycle_is_refused_with_the_cycle_named(self, signed_in, shop):
        web, data = shop.roles.get(name="Web"), shop.roles.get(name="Data")
        response = signed_in.post(
            reverse("applications:dependency-add", args=[shop.pk]), {"role": data.pk, "depends_on": web.pk}
        )
        assert response.status_code == 422
        assert "Dependencies may not form a cycle: Data -&gt; Web -&gt; Data." in response.content.decode()
        assert Dependency.objects.count() == 1

    def test_remove_a_role_and_a_dependency(self, signed_in, shop):
        dependency = Dependency.objects.get()
        signed_in.post(reverse("applications:dependency-remove", args=[shop.pk, dependency.pk]))
        assert not Dependency.objects.exists()
        data = shop.roles.get(name="Data")
        signed_in.post(reverse("applications:role-remove", args=[shop.pk, data.pk]))
        assert list(shop.roles.values_list("name", flat=True)) == ["Web"]


class TestDrillPages:
    def test_a_walk_from_the_page_runs_and_its_report_is_listed(
        self, signed_in, shop, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "walk"})
        assert response.status_code == 302
        drill = Drill.objects.get()
        assert drill.status == Drill.Status.COMPLETED
        body = signed_in.get(detail_url(shop)).content.decode()
        assert reverse("applications:drill", args=[shop.pk, drill.pk]) in body
        report = signed_in.get(reverse("applications:drill", args=[shop.pk, drill.pk])).content.decode()
        assert "<html" in report
        assert "The application was down for" in report
        assert "Data had no member up" in report
        assert "The drill matched the prediction." in report
        fragment = signed_in.get(reverse("applications:drill", args=[shop.pk, drill.pk]), **HTMX).content.decode()
        assert "<html" not in fragment and "Timeline" in fragment

    def test_a_running_drill_is_shown_polling_with_a_stop_button(self, signed_in, shop):
        signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "walk"})  # no worker here
        drill = Drill.objects.get()
        body = signed_in.get(detail_url(shop)).content.decode()
        assert 'hx-trigger="every 2s"' in body
        assert "Drill under way: Planned maintenance walk" in body
        assert "Stop drill" in body
        response = signed_in.post(reverse("applications:drill-stop", args=[shop.pk, drill.pk]))
        assert response.status_code == 302
        drill.refresh_from_db()
        assert drill.stop_requested

    def test_a_rack_failure_longer_than_allowed_is_refused_beside_the_field(self, signed_in, shop):
        response = signed_in.post(
            reverse("applications:drill-start", args=[shop.pk]),
            {"kind": "rack_failure", "fault_domain": "0", "failure_seconds": "600"},
        )
        assert response.status_code == 422
        assert "A rack failure lasts from 0 to 60 seconds." in response.content.decode()
        assert not Drill.objects.exists()


def test_a_held_vms_dashboard_says_what_holds_it_and_its_commands_are_refused(signed_in, shop):
    signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "walk"})  # no worker here
    iis1 = VirtualMachine.objects.get(name="IIS1")
    body = signed_in.get(reverse("vms:dashboard", args=[iis1.pk])).content.decode()
    assert "Held by a drill of Web shop (planned maintenance walk)" in body
    response = signed_in.post(reverse("vms:command", args=[iis1.pk, "restart"]), follow=True)
    assert "restart is possible once it ends or is stopped." in response.content.decode()
    iis1.refresh_from_db()
    assert iis1.status == VirtualMachine.Status.RUNNING


def test_a_role_whose_vm_was_deleted_says_so(signed_in, shop):
    VirtualMachine.objects.filter(name="SQL1").delete()
    body = signed_in.get(detail_url(shop)).content.decode()
    assert "Its availability set or virtual machine was deleted: choose another below." in body
    assert "The application is down: Data has no member up." in body


class TestRoleTargets:
    """A role's target is typed, with suggestions: the page lists no subscription's worth of sets and VMs."""

    @staticmethod
    def suggestions(client, application, typed: str, field: str = "target") -> str:
        url = reverse("applications:role-targets", args=[application.pk])
        response = client.get(url, {field: typed}, **HTMX)
        assert response.status_code == 200
        return response.content.decode()

    def test_suggests_sets_and_vms_in_no_set_that_start_with_what_is_typed(self, signed_in, shop):
        service = factories.CloudServiceFactory(subscription=shop.subscription, name="contososql")
        factories.AvailabilitySetFactory(cloud_service=service, name="SQLSet")
        factories.VirtualMachineFactory(cloud_service=service, name="SQLalone")
        factories.MembershipFactory(virtual_machine__cloud_service=service, virtual_machine__name="SQLinset")
        factories.AvailabilitySetFactory(name="SQLOther")  # another subscription's
        html = self.suggestions(signed_in, shop, "SQL", field=f"role-{shop.roles.first().pk}-target")
        assert '<option value="SQLSet (contososql)">' in html
        assert '<option value="SQLalone (contososql)">' in html
        assert "SQLinset" not in html and "SQLOther" not in html
        assert "<html" not in html

    def test_suggests_at_most_twenty(self, signed_in, shop):
        service = factories.CloudServiceFactory(subscription=shop.subscription)
        factories.AvailabilitySetFactory.create_batch(25, cloud_service=service)
        assert self.suggestions(signed_in, shop, "").count("<option") == 20

    def test_another_subscriptions_application_gets_no_suggestions(self, signed_in):
        other = factories.ApplicationFactory()
        url = reverse("applications:role-targets", args=[other.pk])
        assert signed_in.get(url, {"target": ""}, **HTMX).status_code == 404

    def add(self, client, application, target: str):
        return client.post(reverse("applications:role-add", args=[application.pk]), {"name": "Cache", "target": target})

    def test_a_name_that_is_nothing_is_refused_beside_the_field(self, signed_in, shop):
        response = self.add(signed_in, shop, "nothere")
        assert response.status_code == 422
        html = response.content.decode()
        assert "Choose an availability set or a virtual machine of this subscription: none is called nothere." in html
        assert not shop.roles.filter(name="Cache").exists()

    def test_a_name_two_sets_share_needs_its_cloud_service(self, signed_in, shop):
        first = factories.AvailabilitySetFactory(cloud_service__subscription=shop.subscription, name="twin")
        factories.AvailabilitySetFactory(cloud_service__subscription=shop.subscription, name="twin")
        response = self.add(signed_in, shop, "twin")
        assert response.status_code == 422
        assert "More than one availability set or virtual machine is called twin" in response.content.decode()
        assert self.add(signed_in, shop, f"twin ({first.cloud_service.name})").status_code == 302
        assert shop.roles.get(name="Cache").availability_set == first

    def test_a_vm_in_a_set_is_not_a_target_but_its_set_is(self, signed_in, shop):
        vm = factories.VirtualMachineFactory(cloud_service__subscription=shop.subscription)
        membership = factories.MembershipFactory(virtual_machine=vm, availability_set__cloud_service=vm.cloud_service)
        assert self.add(signed_in, shop, membership.virtual_machine.name).status_code == 422
        assert self.add(signed_in, shop, membership.availability_set.name).status_code == 302

    def test_an_unchanged_vm_that_has_joined_a_set_is_refused_with_the_services_words(self, signed_in, shop):
        data = shop.roles.get(name="Data")
        vm = data.virtual_machine
        membership = factories.MembershipFactory(virtual_machine=vm, availability_set__cloud_service=vm.cloud_service)
        response = signed_in.post(
            reverse("applications:role-change", args=[shop.pk, data.pk]),
            {f"role-{data.pk}-name": "Data", f"role-{data.pk}-target": f"{vm.name} ({vm.cloud_service.name})"},
        )
        assert response.status_code == 422
        set_name = membership.availability_set.name
        assert (
            f"{vm.name} is in the availability set {set_name}: choose the set as the role." in response.content.decode()
        )

    def test_each_role_form_offers_its_own_suggestions_list(self, signed_in, shop):
        html = signed_in.get(detail_url(shop)).content.decode()
        for role in shop.roles.all():
            assert f'list="role-{role.pk}-target-options"' in html
            assert f'<datalist id="role-{role.pk}-target-options">' in html
        assert 'list="role-target-options"' in html and '<datalist id="role-target-options">' in html


class PageMarkup(HTMLParser):
    """Collect what a person's assistive technology reads from a page: ids, labels, form controls, table headers."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict] = []  # each: its attributes and whether a <label> wraps it
        self.headers: list[str] = []
        self._labels = 0
        self._header: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "label":
            self._labels += 1
            if attributes.get("for"):
                self.label_for.add(attributes["for"])
        elif tag in {"input", "select", "textarea"} and attributes.get("type") not in {"hidden", "submit"}:
            self.controls.append({**attributes, "tag": tag, "wrapped": self._labels > 0})
        elif tag == "th":
            self._header = []

    def handle_endtag(self, tag):
        if tag == "label":
            self._labels -= 1
        elif tag == "th" and self._header is not None:
            self.headers.append("".join(self._header).strip())
            self._header = None

    def handle_data(self, data):
        if self._header is not None:
            self._header.append(data)

    def unnamed_controls(self) -> list[str]:
        """Name the controls that have no accessible name: no wrapping label, no label for their (unique) id."""
        unique = {key for key in self.ids if self.ids.count(key) == 1}
        return [
            control.get("id") or control.get("name", control["tag"])
            for control in self.controls
            if not (
                control["wrapped"]
                or control.get("aria-label")
                or control.get("aria-labelledby")
                or (control.get("id") in unique and control["id"] in self.label_for)
            )
        ]


def page_markup(html: str) -> PageMarkup:
    parser = PageMarkup()
    parser.feed(html)
    return parser


class TestPageMarkup:
    """Every form of the page has ids of its own, so every label names its own control."""

    def test_no_id_repeats_and_every_control_and_header_has_a_name(self, signed_in, shop):
        markup = page_markup(signed_in.get(detail_url(shop)).content.decode())
        assert markup.controls, "the page has its forms"
        assert sorted({key for key in markup.ids if markup.ids.count(key) > 1}) == []
        assert markup.unnamed_controls() == []
        assert "" not in markup.headers

    def test_with_errors_on_every_form_no_id_repeats(self, signed_in, shop):
        response = signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "rack_failure"})
        assert response.status_code == 422
        markup = page_markup(response.content.decode())
        assert sorted({key for key in markup.ids if markup.ids.count(key) > 1}) == []
        assert markup.unnamed_controls() == []


class TestAddDependency:
    def test_the_form_offers_no_dependency_until_both_roles_are_chosen(self, signed_in, shop):
        html = signed_in.get(detail_url(shop)).content.decode()
        form = html[html.index('aria-label="Add a dependency"') :]
        form = form[: form.index("</form>")]
        for name in ("role", "depends_on"):
            select = form[form.index(f'name="{name}"') :]
            select = select[: select.index("</select>")]
            first = select[select.index("<option") :]
            assert first.startswith('<option value="" selected>'), f"{name}: {first[:80]}"

    def test_a_dependency_with_a_role_left_unchosen_is_refused_beside_the_field(self, signed_in, shop):
        web = shop.roles.get(name="Web")
        response = signed_in.post(
            reverse("applications:dependency-add", args=[shop.pk]), {"role": web.pk, "depends_on": ""}
        )
        assert response.status_code == 422
        assert "Choose the role that Web depends on." in response.content.decode()
        assert Dependency.objects.count() == 1


def section(html: str, heading_id: str) -> str:
    """Return the part of the page from a section's heading to the end of that section."""
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


class TestDuringADrill:
    """A drill's own downtime is what the drill does, not a fault of the design."""

    def test_the_assessment_judges_the_members_as_they_were_before_the_drill(self, signed_in, subscription):
        shop = web_shop(subscription, sql_in_set=True)
        signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "walk"})  # no worker here
        drill = Drill.objects.get()
        # Update domain 0 of every set is shut down, as the drill's first step does.
        VirtualMachine.objects.filter(name__in=["IIS1", "SQL1"]).update(status=VirtualMachine.Status.STOPPED)
        drill_event(drill, "Update domain 0: IIS1, SQL1 shut down for their update.", drill_last_event(drill))
        html = signed_in.get(detail_url(shop)).content.decode()
        assert "Single point of failure" not in html.replace("No single point of failure", "")
        assert "No single point of failure" in html
        now = section(html, "now-heading")
        assert "Update domain 0: IIS1, SQL1 shut down for their update." in now
        assert "judged from the virtual machines as they were before the drill" in now

    def test_a_real_fault_still_shows_during_a_drill(self, signed_in, shop):
        signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "walk"})  # no worker here
        assert "Single point of failure: Data." in signed_in.get(detail_url(shop)).content.decode()

    def test_when_the_drill_ends_the_poll_brings_back_the_drill_form_and_the_report(self, signed_in, shop):
        signed_in.post(reverse("applications:drill-start", args=[shop.pk]), {"kind": "walk"})  # no worker here
        drill = Drill.objects.get()
        live = signed_in.get(detail_url(shop), LIVE_POLL, **HTMX).content.decode()
        assert "Stop drill" in live and 'aria-label="Start a drill"' not in live
        Drill.objects.filter(pk=drill.pk).update(status=Drill.Status.COMPLETED, ended_at=timezone.now())
        live = signed_in.get(detail_url(shop), LIVE_POLL, **HTMX).content.decode()
        assert "Stop drill" not in live
        assert 'aria-label="Start a drill"' in live
        assert reverse("applications:drill", args=[shop.pk, drill.pk]) in live


class TestRoleOfAVmThatJoinedASet:
    """The one-VM role's finding is fixed by a set; then the set becomes the role in one step."""

    @pytest.fixture
    def sql_set(self, shop):
        sql1 = VirtualMachine.objects.get(name="SQL1")
        membership = factories.MembershipFactory(
            virtual_machine=sql1, availability_set__name="SQLSet", availability_set__cloud_service=sql1.cloud_service
        )
        factories.MembershipFactory(
            availability_set=membership.availability_set, virtual_machine__name="SQL2", fault_domain=1, update_domain=1
        )
        return membership.availability_set

    def test_the_page_offers_to_make_the_set_the_role_and_the_finding_links_there(self, signed_in, shop, sql_set):
        data = shop.roles.get(name="Data")
        html = signed_in.get(detail_url(shop)).content.decode()
        url = reverse("applications:role-to-set", args=[shop.pk, data.pk])
        assert f'action="{url}"' in html
        assert "Make SQLSet the Data role</button>" in html
        assert f'href="#role-{data.pk}-set">Make SQLSet the Data role</a>' in html

    def test_the_button_makes_the_set_the_role(self, signed_in, shop, sql_set):
        data = shop.roles.get(name="Data")
        response = signed_in.post(reverse("applications:role-to-set", args=[shop.pk, data.pk]))
        assert response.status_code == 302
        data.refresh_from_db()
        assert data.availability_set == sql_set and data.virtual_machine is None
        html = signed_in.get(detail_url(shop)).content.decode()
        assert "No single point of failure" in html
        assert "Make SQLSet the Data role" not in html

    def test_a_role_whose_vm_is_in_no_set_is_not_offered_one(self, signed_in, shop):
        data = shop.roles.get(name="Data")
        assert "role-to-set" not in signed_in.get(detail_url(shop)).content.decode()
        response = signed_in.post(reverse("applications:role-to-set", args=[shop.pk, data.pk]))
        assert response.status_code == 422
        assert "SQL1 is in no availability set." in response.content.decode()
        data.refresh_from_db()
        assert data.virtual_machine.name == "SQL1"


def test_the_page_names_the_racks_in_the_grid_the_verdict_and_the_findings(signed_in, subscription):
    application = web_shop(subscription, sql_in_set=True)
    for name, rack in (("IIS1", "r1"), ("IIS2", "r2"), ("SQL1", "r2"), ("SQL2", "r2")):
        place_in_rack(VirtualMachine.objects.get(name=name), rack)
    html = signed_in.get(detail_url(application)).content.decode()
    assert "Rack r2 of West US holds SQL1 and SQL2, every member of the Data role that is up" in html
    assert "Fault domains 0 and 1 of SQLSet share rack r2 of West US" in html
    assert '<div class="small fw-normal">Rack r2</div>' in html
