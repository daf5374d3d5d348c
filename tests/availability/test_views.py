"""The availability-set pages: a cloud service's sets, a set's domain grid and service level, and deleting a set."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from availability.models import AvailabilitySet, Membership
from tests import factories
from vms.models import Operation

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def cloud_service(subscription):
    return factories.CloudServiceFactory(subscription=subscription, name="contosoweb")


@pytest.fixture
def web_set(cloud_service):
    return factories.AvailabilitySetFactory(cloud_service=cloud_service, name="webset")


def add_members(availability_set, count, start=0):
    """Add members in the order placement would: FD alternating, UD round-robin."""
    return [
        factories.MembershipFactory(
            availability_set=availability_set,
            virtual_machine__name=f"web{i + 1}",
            virtual_machine__password_hash="!",
            fault_domain=i % availability_set.fault_domain_count,
            update_domain=i % availability_set.update_domain_count,
        )
        for i in range(start, start + count)
    ]


def list_url(cloud_service):
    return reverse("availability:list", args=[cloud_service.pk])


def detail_url(availability_set):
    return reverse("availability:detail", args=[availability_set.pk])


def delete_url(availability_set):
    return reverse("availability:delete", args=[availability_set.pk])


class TestSetList:
    def test_full_page_lists_the_sets_with_service_level_and_spread(self, signed_in, cloud_service, web_set):
        add_members(web_set, 2)
        factories.AvailabilitySetFactory(cloud_service=cloud_service, name="sqlset")
        response = signed_in.get(list_url(cloud_service))
        html = response.content.decode()
        assert "<html" in html
        assert f'href="{detail_url(web_set)}"' in html
        assert "Eligible for the 99.95% SLA" in html
        assert "Not eligible: fewer than two virtual machines" in html
        assert "In compliance" in html
        assert response.context["nav_section"] == "cloud-services"

    def test_htmx_gets_the_list_and_clears_the_command_bar(self, signed_in, cloud_service, web_set):
        html = signed_in.get(list_url(cloud_service), **HTMX).content.decode()
        assert "<html" not in html
        assert "webset" in html
        assert '<div hx-swap-oob="innerHTML:.portal-page-commands"></div>' in html

    def test_only_this_cloud_services_sets_are_listed(self, signed_in, cloud_service, subscription):
        factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="elsewhere")
        html = signed_in.get(list_url(cloud_service)).content.decode()
        assert "elsewhere" not in html
        assert "has no availability sets" in html

    def test_another_subscriptions_cloud_service_is_not_found(self, signed_in):
        theirs = factories.CloudServiceFactory()
        assert signed_in.get(list_url(theirs)).status_code == 404
        assert signed_in.get(list_url(theirs), **HTMX).status_code == 404

    @pytest.mark.parametrize("sets", [2, 20])
    def test_runs_its_pinned_queries(self, signed_in, cloud_service, sets, django_assert_num_queries):
        for index in range(sets):
            add_members(factories.AvailabilitySetFactory(cloud_service=cloud_service), 2, start=index * 2)
        with django_assert_num_queries(6):
            assert signed_in.get(list_url(cloud_service)).status_code == 200


class TestSetDetail:
    def test_full_page_draws_fault_domains_by_update_domains(self, signed_in, web_set):
        first, second = add_members(web_set, 2)
        response = signed_in.get(detail_url(web_set))
        html = response.content.decode()
        assert "<html" in html
        assert "<table" in html
        for header in ('<th scope="row">Fault domain 0</th>', '<th scope="row">Fault domain 1</th>'):
            assert header in html
        for update_domain in range(5):
            assert f'<th scope="col">Update domain {update_domain}</th>' in html
        assert "Fault domain 2" not in html
        grid = response.context["grid"]
        assert [row.pk for row in grid[0].cells[0]] == [first.virtual_machine_id]
        assert [row.pk for row in grid[1].cells[1]] == [second.virtual_machine_id]
        assert f'href="{reverse("vms:dashboard", args=[first.virtual_machine_id])}"' in html

    def test_htmx_gets_the_set_with_its_delete_command_out_of_band(self, signed_in, web_set):
        html = signed_in.get(detail_url(web_set), **HTMX).content.decode()
        assert "<html" not in html
        assert "Fault domain 0" in html
        assert 'hx-swap-oob="innerHTML:.portal-page-commands"' in html
        assert "</i> Delete</button>" in html

    def test_two_members_are_eligible_for_the_sla(self, signed_in, web_set):
        add_members(web_set, 2)
        html = signed_in.get(detail_url(web_set)).content.decode()
        assert "eligible for the 99.95% SLA" in html
        assert "Not eligible" not in html

    @pytest.mark.parametrize(("members", "reason"), [(1, "only one virtual machine"), (0, "no virtual machines")])
    def test_one_or_no_member_is_warned_why(self, signed_in, web_set, members, reason):
        add_members(web_set, members)
        html = signed_in.get(detail_url(web_set)).content.decode()
        assert "Not eligible for the 99.95% SLA" in html
        assert reason in html
        assert "can and will be rebooted" in html
        assert "Redundancy is per role" in html

    def test_shows_what_keeps_running_through_each_outage(self, signed_in, web_set):
        first, second = add_members(web_set, 2)
        html = signed_in.get(detail_url(web_set)).content.decode()
        assert "What keeps running" in html
        assert (
            '<th scope="row">A rack failure in fault domain 0</th>'
            f"<td>{first.virtual_machine.name}</td><td>{second.virtual_machine.name}</td>"
        ) in re.sub(r">\s+<", "><", html)
        assert "the whole role is down" not in html

    def test_a_lone_member_is_shown_taking_the_whole_role_down(self, signed_in, web_set):
        add_members(web_set, 1)
        assert "Nothing: the whole role is down" in signed_in.get(detail_url(web_set)).content.decode()

    def test_says_whether_the_spread_is_in_compliance(self, signed_in, web_set):
        add_members(web_set, 3)
        assert "Spread: in compliance." in signed_in.get(detail_url(web_set)).content.decode()
        factories.MembershipFactory(availability_set=web_set, fault_domain=0, update_domain=0)
        factories.MembershipFactory(availability_set=web_set, fault_domain=0, update_domain=0)
        assert "Spread: not in compliance." in signed_in.get(detail_url(web_set)).content.decode()

    def test_another_subscriptions_set_is_not_found(self, signed_in):
        theirs = factories.AvailabilitySetFactory()
        assert signed_in.get(detail_url(theirs)).status_code == 404
        assert signed_in.get(detail_url(theirs), **HTMX).status_code == 404

    @pytest.mark.parametrize("members", [2, 40])
    def test_runs_its_pinned_queries(self, signed_in, web_set, members, django_assert_num_queries):
        add_members(web_set, members)
        # One of them reads the racks the set's fault domains are bound to (for the shared-rack warning).
        with django_assert_num_queries(6):
            assert signed_in.get(detail_url(web_set)).status_code == 200

    def test_runs_the_same_queries_with_2_and_40_members(self, signed_in, cloud_service):
        counts = []
        for members in (2, 40):
            availability_set = factories.AvailabilitySetFactory(cloud_service=cloud_service)
            add_members(availability_set, members, start=len(counts) * 100)
            with CaptureQueriesContext(connection) as queries:
                signed_in.get(detail_url(availability_set))
            counts.append(len(queries))
        assert counts[0] == counts[1]


class TestSetDelete:
    def test_first_asks_for_confirmation(self, signed_in, web_set):
        response = signed_in.post(delete_url(web_set))
        html = response.content.decode()
        assert "<html" in html
        assert '<dialog class="portal-modal"' in html
        assert "Delete availability set webset?" in html
        assert AvailabilitySet.objects.filter(pk=web_set.pk).exists()

    def test_htmx_confirmation_is_the_dialog_alone(self, signed_in, web_set):
        html = signed_in.post(delete_url(web_set), **HTMX).content.decode()
        assert "<html" not in html
        assert html.lstrip().startswith('<dialog class="portal-modal"')
        assert 'name="confirmed"' in html

    def test_a_confirmed_empty_set_is_deleted(self, signed_in, web_set, cloud_service):
        response = signed_in.post(delete_url(web_set), {"confirmed": "True"}, follow=True)
        assert response.redirect_chain == [(list_url(cloud_service), 302)]
        assert not AvailabilitySet.objects.filter(pk=web_set.pk).exists()
        assert "The availability set webset was deleted." in response.content.decode()

    def test_htmx_delete_redirects_the_browser_to_the_list(self, signed_in, web_set, cloud_service):
        response = signed_in.post(delete_url(web_set), {"confirmed": "True"}, **HTMX)
        assert response["HX-Redirect"] == list_url(cloud_service)
        assert not AvailabilitySet.objects.exists()

    def test_a_set_with_members_is_refused_with_a_message(self, signed_in, web_set):
        add_members(web_set, 1)
        for extra in ({}, HTMX):
            html = signed_in.post(delete_url(web_set), {"confirmed": "True"}, **extra).content.decode()
            assert "webset still has virtual machines; move them out before deleting it." in html
        assert AvailabilitySet.objects.filter(pk=web_set.pk).exists()

    def test_a_set_with_members_offers_delete_disabled_with_the_reason(self, signed_in, web_set):
        add_members(web_set, 1)
        commands_url = reverse("availability:commands", args=[web_set.pk])
        for html in (
            signed_in.get(detail_url(web_set)).content.decode(),
            signed_in.get(detail_url(web_set), **HTMX).content.decode(),
            signed_in.get(commands_url, **HTMX).content.decode(),
        ):
            button = re.search(r"<button[^>]*>[^<]*<i class=\"bi bi-trash\"[^>]*></i> Delete</button>", html)
            assert button is not None
            assert " disabled" in button.group()
            reason_id = re.search(r'aria-describedby="([^"]+)"', button.group()).group(1)
            assert re.search(
                rf'id="{reason_id}"[^>]*>Only an availability set with no virtual machines can be deleted.<', html
            )

    def test_an_empty_set_offers_delete_enabled(self, signed_in, web_set):
        commands_url = reverse("availability:commands", args=[web_set.pk])
        for html in (
            signed_in.get(detail_url(web_set)).content.decode(),
            signed_in.get(commands_url, **HTMX).content.decode(),
        ):
            button = re.search(r"<button[^>]*>[^<]*<i class=\"bi bi-trash\"[^>]*></i> Delete</button>", html)
            assert " disabled" not in button.group()
            assert "aria-describedby" not in button.group()

    def test_the_dialog_of_a_set_with_members_offers_no_yes(self, signed_in, web_set):
        add_members(web_set, 1)
        for data in ({}, {"confirmed": "True"}):
            html = signed_in.post(delete_url(web_set), data, **HTMX).content.decode()
            assert "Only an availability set with no virtual machines can be deleted." in html
            assert ">Yes</button>" not in html
            assert ">Close</a>" in html
        assert AvailabilitySet.objects.filter(pk=web_set.pk).exists()

    def test_the_dialog_of_an_empty_set_asks_yes_or_no(self, signed_in, web_set):
        html = signed_in.post(delete_url(web_set), **HTMX).content.decode()
        assert ">Yes</button>" in html
        assert ">No</a>" in html

    def test_takes_post_only(self, signed_in, web_set):
        assert signed_in.get(delete_url(web_set)).status_code == 405
        assert AvailabilitySet.objects.filter(pk=web_set.pk).exists()

    def test_another_subscriptions_set_is_not_found_and_kept(self, signed_in):
        theirs = factories.AvailabilitySetFactory()
        assert signed_in.post(delete_url(theirs), {"confirmed": "True"}).status_code == 404
        assert signed_in.post(delete_url(theirs), {"confirmed": "True"}, **HTMX).status_code == 404
        assert AvailabilitySet.objects.filter(pk=theirs.pk).exists()


def rebalance_url(availability_set):
    return reverse("availability:rebalance", args=[availability_set.pk])


def unbalanced_members(availability_set):
    """Two members left in fault domain 1 after the two in fault domain 0 left: one move brings the set back."""
    return [
        factories.MembershipFactory(
            availability_set=availability_set,
            virtual_machine__name=name,
            virtual_machine__password_hash="!",
            fault_domain=1,
            update_domain=update_domain,
        )
        for name, update_domain in (("web2", 1), ("web4", 3))
    ]


class TestSetRebalance:
    def test_an_unbalanced_set_says_so_and_offers_rebalance(self, signed_in, web_set):
        unbalanced_members(web_set)
        for extra in ({}, HTMX):
            html = signed_in.get(detail_url(web_set), **extra).content.decode()
            assert "Spread: not in compliance." in html
            assert "<strong>Rebalance</strong> moves 1 virtual machine to new slots" in html
            assert f'hx-post="{rebalance_url(web_set)}"' in html
            assert ">Rebalance</button>" in html

    def test_a_balanced_set_offers_no_rebalance(self, signed_in, web_set):
        add_members(web_set, 3)
        html = signed_in.get(detail_url(web_set)).content.decode()
        assert "Spread: in compliance." in html
        assert ">Rebalance</button>" not in html

    def test_first_shows_the_plan_on_a_full_page(self, signed_in, web_set):
        unbalanced_members(web_set)
        response = signed_in.post(rebalance_url(web_set))
        html = response.content.decode()
        assert "<html" in html
        assert '<dialog class="portal-modal' in html
        assert "Rebalance availability set webset?" in html
        assert (
            '<th scope="row">web4</th>\n'
            "                    <td>Fault domain 1, update domain 3</td>\n"
            "                    <td>Fault domain 0, update domain 0</td>"
        ) in html
        assert "Fault domain 1, update domain 1</td>\n                    <td>" not in html  # web2 stays
        assert Membership.objects.get(virtual_machine__name="web4").fault_domain == 1
        assert not Operation.objects.exists()

    def test_htmx_plan_is_the_dialog_alone(self, signed_in, web_set):
        web4 = unbalanced_members(web_set)[1].virtual_machine
        html = signed_in.post(rebalance_url(web_set), **HTMX).content.decode()
        assert "<html" not in html
        # The native dialog and nothing around it: no page before it, nothing after its closing tag.
        assert html.strip().startswith('<dialog class="portal-modal portal-modal-lg"')
        assert html.strip().endswith("</dialog>") and html.count("<dialog") == 1
        assert 'name="confirmed" value="True"' in html
        assert f'name="plan" value="{web4.pk}:1/3&gt;0/0"' in html
        assert "hx-on" not in html
        assert "data-dialog-close" in html

    def test_confirming_runs_the_moves_through_the_worker(self, signed_in, web_set, django_capture_on_commit_callbacks):
        web4 = unbalanced_members(web_set)[1].virtual_machine
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_in.post(
                rebalance_url(web_set), {"confirmed": "True", "plan": f"{web4.pk}:1/3>0/0"}, follow=True
            )
        assert response.redirect_chain == [(detail_url(web_set), 302)]
        html = response.content.decode()
        assert "Rebalancing webset: Moving virtual machine web4 to fault domain 0, update domain 0" in html
        assert "Spread: in compliance." in html
        operation = Operation.objects.get()
        assert operation.status == Operation.Status.SUCCEEDED
        assert operation.message == "web4 is Running. Rebalancing webset is complete."
        membership = Membership.objects.get(virtual_machine=web4)
        assert (membership.fault_domain, membership.update_domain) == (0, 0)
        activity = signed_in.get(reverse("vms:activity")).content.decode()
        assert "Moving virtual machine web4 to fault domain 0, update domain 0" in activity

    def test_htmx_confirmation_redirects_the_browser_to_the_set(
        self, signed_in, web_set, django_capture_on_commit_callbacks
    ):
        web4 = unbalanced_members(web_set)[1].virtual_machine
        with django_capture_on_commit_callbacks(execute=True):
            response = signed_in.post(
                rebalance_url(web_set), {"confirmed": "True", "plan": f"{web4.pk}:1/3>0/0"}, **HTMX
            )
        assert response["HX-Redirect"] == detail_url(web_set)
        assert Operation.objects.get().status == Operation.Status.SUCCEEDED

    def test_a_busy_member_is_refused_with_a_message_both_ways(self, signed_in, web_set):
        web2, web4 = (m.virtual_machine for m in unbalanced_members(web_set))
        factories.OperationFactory(virtual_machine=web2)
        for extra in ({}, HTMX):
            html = signed_in.post(
                rebalance_url(web_set), {"confirmed": "True", "plan": f"{web4.pk}:1/3>0/0"}, **extra
            ).content.decode()
            assert ("<html" in html) == (not extra)
            assert (
                "Restarting virtual machine web2 is still in progress. Wait for it to finish, then rebalance webset."
                in html
            )
        assert Membership.objects.get(virtual_machine=web4).fault_domain == 1
        assert Operation.objects.count() == 1

    def test_the_plan_says_at_once_when_a_member_is_busy_and_offers_no_yes(self, signed_in, web_set):
        web2 = unbalanced_members(web_set)[0].virtual_machine
        factories.OperationFactory(virtual_machine=web2)
        for extra in ({}, HTMX):
            html = signed_in.post(rebalance_url(web_set), **extra).content.decode()
            assert ("<html" in html) == (not extra)
            assert "Restarting virtual machine web2 is still in progress." in html
            assert '<th scope="row">web4</th>' in html
            assert ">Yes</button>" not in html
            assert ">Close</a>" in html

    def test_a_changed_plan_is_refused_and_the_new_plan_shown(self, signed_in, web_set):
        web4 = unbalanced_members(web_set)[1].virtual_machine
        html = signed_in.post(rebalance_url(web_set), {"confirmed": "True", "plan": "stale"}, **HTMX).content.decode()
        assert "The members of webset changed since this plan was made." in html
        assert f'name="plan" value="{web4.pk}:1/3&gt;0/0"' in html
        assert not Operation.objects.exists()

    def test_a_balanced_set_has_nothing_to_confirm(self, signed_in, web_set):
        add_members(web_set, 2)
        html = signed_in.post(rebalance_url(web_set), **HTMX).content.decode()
        assert "webset is in balance; there is nothing to move." in html
        assert ">Yes</button>" not in html

    def test_takes_post_only(self, signed_in, web_set):
        assert signed_in.get(rebalance_url(web_set)).status_code == 405

    def test_another_subscriptions_set_is_not_found(self, signed_in):
        theirs = factories.AvailabilitySetFactory()
        unbalanced_members(theirs)
        assert signed_in.post(rebalance_url(theirs), {"confirmed": "True", "plan": "x"}).status_code == 404
        assert signed_in.post(rebalance_url(theirs), **HTMX).status_code == 404
        assert not Operation.objects.exists()
