"""The application pages: each view with and without htmx, the forms' messages, drills, and query budgets."""

from __future__ import annotations

import pytest
from django.urls import reverse

from applications.models import Application, Dependency, Drill, Role
from tests import factories
from tests.applications.test_drills import web_shop
from vms.models import VirtualMachine

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


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
        live = signed_in.get(detail_url(shop), HTTP_HX_TARGET="application-live", **HTMX).content.decode()
        assert "<html" not in live and "Add a role" not in live
        assert live.startswith('\n  <div id="application-live"') or 'id="application-live"' in live[:80]

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
        # Session, user, the person's subscriptions, the application, then the view's reads: roles with their
        # targets, set members, VMs in no set, dependencies, load-balanced endpoints, and the drills. The role forms
        # read nothing: their targets are typed, with suggestions fetched as they are.
        with django_assert_num_queries(10):
            response = signed_in.get(detail_url(application))
        assert response.status_code == 200
        assert "Load-balanced set" in response.content.decode()
        with django_assert_num_queries(10):
            signed_in.get(detail_url(application), HTTP_HX_TARGET="application-live", **HTMX)
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
