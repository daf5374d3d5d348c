"""New -> Virtual Machine -> From Gallery: the four pages, their rules, and what a run leaves behind."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from availability.models import AvailabilitySet, Membership
from console.forms.wizard import MAX_CERTIFICATE_BYTES, ModeForm, OptionsForm
from portal.models import WizardDraft
from portal.wizard_storage import DRAFT_MAX_AGE_SECONDS, DRAFT_PRUNE_SECONDS, draft_cipher
from tests import factories
from tests.factories import certificate_pem
from tests.helpers.wizard import (
    CENTOS,
    CURRENT_STEP,
    IN_DIALOG,
    UBUNTU,
    WINDOWS,
    WIZARD,
    checked_image,
    configuration,
    configuration_form,
    create_set,
    image,
    latest_draft,
    mode_form,
    page_of,
    run,
    standalone,
    submit,
    url,
)
from vms.models import CloudService, Image, StorageAccount, VirtualMachine

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def upload_root(settings, tmp_path):
    settings.WIZARD_UPLOAD_ROOT = tmp_path / "wizard-uploads"
    return settings.WIZARD_UPLOAD_ROOT


class TestOpening:
    def test_new_from_gallery_opens_a_dialog_fragment_on_step_one(self, signed_in):
        response = signed_in.get(url(), {"part": "dialog"}, HTTP_HX_REQUEST="true")
        html = page_of(response)
        assert response.status_code == 200
        assert "<html" not in html
        assert '<dialog id="wizard-dialog"' in html
        assert "Select the virtual machine operating system" in html
        assert re.search(
            r'<li aria-current="step">\s*<span[^>]*title="Select the virtual machine operating system"', html
        )
        assert "HX-Push-Url" not in response.headers

    def test_wizard_url_loaded_directly_is_a_full_page_on_step_one(self, signed_in):
        response = signed_in.get(url(), follow=True)
        html = page_of(response)
        assert response.redirect_chain == [(url("image"), 302)]
        assert "<html" in html
        assert "<dialog" not in html
        assert "<title>Select the virtual machine operating system - Management Portal</title>" in html

    def test_starting_again_discards_the_previous_draft(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        signed_in.get(url())
        response = signed_in.get(url("configuration"))
        assert response.url == url("image")

    def test_closing_the_dialog_discards_the_draft(self, signed_in):
        signed_in.get(url())
        page = submit(signed_in, "image", {"image": image().pk})
        draft = latest_draft()
        assert f'<form id="wizard-discard" method="post" action="{url(draft=draft)}"' in page_of(page)
        response = signed_in.post(url(draft=draft), HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert response.content == b""
        assert not WizardDraft.objects.filter(pk=draft.pk).exists()

    def test_closing_the_full_page_discards_the_draft_and_returns_to_the_list(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        draft = latest_draft()
        response = signed_in.post(url(draft=draft))
        assert response.url == reverse("vms:list")
        assert not WizardDraft.objects.filter(pk=draft.pk).exists()

    def test_steps_in_the_dialog_keep_the_page_url_and_full_page_steps_push_theirs(self, signed_in):
        signed_in.get(url())
        in_dialog = submit(signed_in, "image", {"image": image().pk}, headers=IN_DIALOG)
        assert "HX-Push-Url" not in in_dialog.headers
        assert "<html" not in page_of(in_dialog)
        assert "Virtual machine configuration" in page_of(in_dialog)

        full_page = IN_DIALOG | {"HTTP_HX_CURRENT_URL": "http://testserver" + url("image")}
        back = submit(signed_in, "configuration", {}, headers=full_page, goto="image")
        assert back.headers["HX-Push-Url"] == url("image")

    def test_wizard_needs_a_subscription(self, client, user):
        client.force_login(user)
        assert client.get(url()).status_code == 404


class TestParts:
    """Each request names the part it is for; the id of the element it is swapped into changes nothing."""

    TARGETS = [None, "wizard-page", "wizard-images", "dialog-root", "renamed"]

    @staticmethod
    def aimed_at(target: str | None) -> dict:
        return IN_DIALOG | ({"HTTP_HX_TARGET": target} if target else {})

    @pytest.mark.parametrize("target", TARGETS)
    def test_the_page_part_is_the_page_alone_whatever_the_target(self, signed_in, target):
        signed_in.get(url())
        response = submit(signed_in, "image", {"image": image().pk}, headers=self.aimed_at(target))
        assert page_of(response).strip().startswith('<section id="wizard-page"')
        assert "Virtual machine configuration" in page_of(response)

    @pytest.mark.parametrize("target", TARGETS)
    def test_the_images_part_is_the_list_alone_whatever_the_target(self, signed_in, target):
        signed_in.get(url())
        query = {"draft": latest_draft().pk, "q": "ubuntu", "part": "images"}
        html = page_of(signed_in.get(url("image"), query, **self.aimed_at(target)))
        assert html.strip().startswith('<fieldset id="wizard-images"')

    @pytest.mark.parametrize("target", TARGETS)
    def test_without_a_part_htmx_gets_the_dialog_whatever_the_target(self, signed_in, target):
        signed_in.get(url())
        html = page_of(signed_in.get(url("image"), **self.aimed_at(target)))
        assert html.strip().startswith('<dialog id="wizard-dialog"')

    @pytest.mark.parametrize("target", TARGETS)
    def test_the_page_part_on_the_wizards_own_page_pushes_its_url_whatever_the_target(self, signed_in, target):
        signed_in.get(url())
        own_page = self.aimed_at(target) | {"HTTP_HX_CURRENT_URL": "http://testserver" + url("image")}
        response = submit(signed_in, "image", {"image": image().pk}, headers=own_page)
        assert response.headers["HX-Push-Url"] == url("configuration")

    @pytest.mark.parametrize("target", TARGETS)
    def test_the_dialog_part_opens_a_dialog_even_over_the_wizards_own_page(self, signed_in, target):
        own_page = self.aimed_at(target) | {"HTTP_HX_CURRENT_URL": "http://testserver" + url("image")}
        html = page_of(signed_in.get(url(), {"part": "dialog"}, **own_page))
        assert html.strip().startswith('<dialog id="wizard-dialog"')
        assert 'hx-target="#dialog-root"' in html  # Close discards the draft and empties the dialog

    @pytest.mark.parametrize("target", TARGETS)
    def test_an_expired_page_part_is_the_page_alone_whatever_the_target(self, signed_in, target):
        data = {CURRENT_STEP: "image", "part": "page"}
        html = page_of(signed_in.post(url("image", draft="unknown"), data, **self.aimed_at(target)))
        assert html.strip().startswith('<section id="wizard-page"') and "This wizard has expired" in html

    def test_start_again_in_a_dialog_names_the_dialog(self, signed_in):
        data = {CURRENT_STEP: "image", "part": "page"}
        html = page_of(signed_in.post(url("image", draft="unknown"), data, **IN_DIALOG))
        assert f'hx-get="{url()}" hx-vals=\'{{"part": "dialog"}}\' hx-target="#dialog-root"' in html

    def test_the_wizards_requests_name_their_parts(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        html = page_of(signed_in.get(url("configuration")))
        assert 'hx-vals=\'{"part": "page"}\' hx-target="#wizard-page"' in html
        assert '"wizard_goto_step": "image", "part": "page"}\' hx-target="#wizard-page"' in html
        gallery = page_of(signed_in.get(url("image")))
        assert 'hx-vals=\'{"part": "images"}\' hx-target="#wizard-images"' in gallery

    def test_the_links_that_open_the_wizard_name_the_dialog(self, signed_in):
        html = page_of(signed_in.get(reverse("vms:list")))
        opener = f'hx-get="{url()}" hx-vals=\'{{"part": "dialog"}}\' hx-target="#dialog-root"'
        assert html.count(opener) == 2  # the New drawer's From Gallery, and the empty list's New


class TestGallery:
    def test_page_lists_platform_images_with_publisher_os_family_and_description(self, signed_in):
        html = page_of(signed_in.get(url(), follow=True))
        ubuntu = image(UBUNTU)
        assert f'<label class="form-check-label fw-semibold" for="image-{ubuntu.pk}">{UBUNTU}</label>' in html
        assert "Canonical" in html
        assert ubuntu.description in html
        assert html.count('type="radio" name="image-image"') == Image.objects.filter(is_active=True).count()

    def test_inactive_images_are_not_offered(self, signed_in):
        Image.objects.filter(name=CENTOS).update(is_active=False)
        html = page_of(signed_in.get(url(), follow=True))
        assert CENTOS not in html
        signed_in.get(url())
        response = submit(signed_in, "image", {"image": image(CENTOS).pk})
        assert "Select one of the gallery&#x27;s images." in page_of(response)

    def test_category_and_text_filter_the_list(self, signed_in):
        signed_in.get(url())
        html = page_of(signed_in.get(url("image"), {"draft": latest_draft().pk, "category": "os:linux"}))
        assert UBUNTU in html
        assert WINDOWS not in html
        html = page_of(signed_in.get(url("image"), {"draft": latest_draft().pk, "q": "centos"}))
        assert CENTOS in html
        assert UBUNTU not in html
        html = page_of(
            signed_in.get(url("image"), {"draft": latest_draft().pk, "category": "publisher:Canonical", "q": "13.04"})
        )
        assert "Ubuntu Server 13.04" in html
        assert "Ubuntu Server 12.10" not in html

    def test_filtering_with_htmx_returns_only_the_list_and_keeps_the_choice(self, signed_in):
        signed_in.get(url())
        chosen = image(UBUNTU)
        response = signed_in.get(
            url("image"),
            {"draft": latest_draft().pk, "category": "os:linux", "image-image": chosen.pk, "part": "images"},
            HTTP_HX_REQUEST="true",
        )
        html = page_of(response)
        assert html.strip().startswith('<fieldset id="wizard-images"')
        assert "<html" not in html
        assert checked_image(html) == str(chosen.pk)

        hidden_choice = page_of(
            signed_in.get(
                url("image"),
                {"draft": latest_draft().pk, "q": "centos", "image-image": chosen.pk, "part": "images"},
                HTTP_HX_REQUEST="true",
            )
        )
        assert f'<input type="hidden" name="image-image" value="{chosen.pk}">' in hidden_choice

    def test_no_image_no_next_page(self, signed_in):
        signed_in.get(url())
        response = submit(signed_in, "image", {})
        html = page_of(response)
        assert "Select an image to continue." in html
        assert "<title>Select the virtual machine operating system" in html
        assert signed_in.get(url("configuration")).url == url("image")

    @pytest.mark.parametrize("rows", [0, 30])
    def test_gallery_runs_a_fixed_number_of_queries(self, signed_in, django_assert_max_num_queries, rows):
        for number in range(rows):
            Image.objects.create(name=f"Image {number}", publisher=f"Publisher {number}", os_family="linux")
        signed_in.get(url())
        with django_assert_max_num_queries(8):
            signed_in.get(url("image"))


class TestConfigurationPage:
    def go_to_configuration(self, client, image_name=WINDOWS):
        client.get(url())
        return submit(client, "image", {"image": image(image_name).pk})

    def test_labels_of_the_reference(self, signed_in):
        html = page_of(self.go_to_configuration(signed_in))
        for label in (
            "Version Release Date",
            "Virtual Machine Name",
            "New User Name",
            "New Password",
            "Confirm Password",
            "Size",
        ):
            assert f">{label}</label>" in html
        assert "Upload compatible SSH key for authentication" not in html

    def test_version_release_date_only_for_images_with_several_versions(self, signed_in):
        assert "Version Release Date" not in page_of(self.go_to_configuration(signed_in, CENTOS))
        html = page_of(self.go_to_configuration(signed_in, UBUNTU))
        assert "Version Release Date" in html
        assert ">05/24/2013</option>" in html

    def test_linux_images_offer_ssh_key_and_password(self, signed_in):
        html = page_of(self.go_to_configuration(signed_in, UBUNTU))
        assert ">Upload compatible SSH key for authentication</label>" in html
        assert ">Provide a Password</label>" in html

    def test_size_options_show_cores_and_memory_and_the_free_cores(self, signed_in, subscription):
        factories.VirtualMachineFactory(
            cloud_service__subscription=subscription, size=factories.size("Large"), password_hash="x"
        )
        html = page_of(self.go_to_configuration(signed_in))
        assert "Small (A1) (1 core, 1.75 GB)" in html
        assert "ExtraSmall (A0) (1 core, shared, 768 MB)" in html
        assert "16 of this subscription&#x27;s 20 cores are available." in html


class TestConfigurationRules:
    @pytest.mark.parametrize(
        ("img_name", "name", "code"),
        [
            (WINDOWS, "web-server-number-1", "vm_name_windows"),
            (WINDOWS, "2013", "vm_name_windows"),
            (UBUNTU, "web_1", "vm_name_linux"),
        ],
    )
    def test_vm_name_follows_the_rule_of_its_os(self, subscription, img_name, name, code):
        form = configuration_form(img_name, subscription, {"name": name, "use_password": "on"})
        assert not form.is_valid()
        assert form.has_error("name", code)

    def test_linux_takes_a_longer_name_than_windows(self, subscription):
        assert configuration_form(
            UBUNTU, subscription, {"name": "web.contoso.internal", "use_password": "on"}
        ).is_valid()

    @pytest.mark.parametrize(
        ("img_name", "username"), [(WINDOWS, "administrator"), (UBUNTU, "root"), (WINDOWS, "a" * 21)]
    )
    def test_user_name_rules(self, subscription, img_name, username):
        form = configuration_form(img_name, subscription, {"admin_username": username, "use_password": "on"})
        assert not form.is_valid()
        assert "admin_username" in form.errors

    def test_weak_password_is_refused(self, subscription):
        form = configuration_form(
            WINDOWS, subscription, {"admin_password": "Password1", "confirm_password": "Password1"}
        )
        assert form.has_error("admin_password", "password_common")

    def test_confirm_password_must_match(self, subscription):
        form = configuration_form(WINDOWS, subscription, {"confirm_password": "Other!2013x"})
        assert form.has_error("confirm_password", "password_mismatch")

    def test_windows_requires_a_password(self, subscription):
        form = configuration_form(WINDOWS, subscription, {"admin_password": "", "confirm_password": ""})
        assert form.has_error("admin_password", "required")

    def test_linux_needs_a_key_or_a_password(self, subscription):
        form = configuration_form(UBUNTU, subscription, {"admin_password": "", "confirm_password": ""})
        assert form.has_error("use_password", "no_credentials")

    def test_linux_with_only_an_rsa_certificate_keeps_its_thumbprint(self, subscription):
        pem = certificate_pem()
        files = {"ssh_certificate": SimpleUploadedFile("key.pem", pem)}
        form = configuration_form(
            UBUNTU, subscription, {"use_ssh_key": "on", "admin_password": "", "confirm_password": ""}, files
        )
        assert form.is_valid(), form.errors
        assert len(form.ssh_thumbprint) == 40
        arguments = form.deploy_arguments()
        assert arguments["ssh_certificate"] == pem
        assert arguments["admin_password"] == ""

    @pytest.mark.parametrize(
        ("content", "code"),
        [(b"ssh-rsa AAAAB3Nza portal@host", "ssh_certificate_invalid"), ("ec", "ssh_certificate_not_rsa")],
    )
    def test_certificate_that_is_not_a_pem_x509_with_an_rsa_key_is_refused(self, subscription, content, code):
        pem = certificate_pem("ec") if content == "ec" else content
        files = {"ssh_certificate": SimpleUploadedFile("key.pem", pem)}
        form = configuration_form(UBUNTU, subscription, {"use_ssh_key": "on", "use_password": "on"}, files)
        assert form.has_error("ssh_certificate", code)

    def test_ssh_key_chosen_without_a_file_is_refused(self, subscription):
        form = configuration_form(UBUNTU, subscription, {"use_ssh_key": "on", "use_password": "on"})
        assert form.has_error("ssh_certificate", "certificate_required")

    def test_size_beyond_the_free_cores_is_refused(self, subscription):
        subscription.core_quota = 4
        subscription.save()
        factories.VirtualMachineFactory(
            cloud_service__subscription=subscription, size=factories.size("Medium"), password_hash="x"
        )
        form = configuration_form(WINDOWS, subscription, {"size": factories.size("Large").pk})
        assert form.has_error("size", "core_quota")
        assert configuration_form(WINDOWS, subscription, {"size": factories.size("Medium").pk}).is_valid()


class TestModeRules:
    def test_dns_name_of_3_to_24_lowercase_letters_and_numbers(self, subscription):
        assert mode_form(subscription).is_valid()
        form = mode_form(subscription, dns_name="Contoso-Web")
        assert "The name can contain from 3 through 24 lowercase letters and numbers." in form.errors["dns_name"]

    def test_dns_name_is_unique_across_all_subscriptions(self, subscription):
        factories.CloudServiceFactory(name="contosoweb")
        form = mode_form(subscription)
        assert form.errors["dns_name"] == ["contosoweb.cloudapp.net is already taken. Choose another DNS name."]

    def test_cloud_service_quota(self, subscription):
        subscription.cloud_service_quota = 1
        subscription.save()
        factories.CloudServiceFactory(subscription=subscription)
        assert mode_form(subscription).has_error("dns_name", "cloud_service_quota")

    def test_region_is_required_for_a_stand_alone_vm(self, subscription):
        assert mode_form(subscription, location="").has_error("location", "required")

    def test_connecting_offers_only_this_subscriptions_cloud_services_that_have_vms(self, subscription):
        with_vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription, password_hash="x")
        empty = factories.CloudServiceFactory(subscription=subscription)
        foreign = factories.VirtualMachineFactory(password_hash="x")
        offered = set(ModeForm(subscription=subscription).fields["cloud_service"].queryset)
        assert offered == {with_vm.cloud_service}
        for service in (empty, foreign.cloud_service):
            form = mode_form(subscription, mode="connect", cloud_service=service.name)
            assert form.has_error("cloud_service", "invalid_choice")

    def test_a_cloud_service_holds_at_most_50_vms(self, subscription):
        service = factories.CloudServiceFactory(subscription=subscription)
        account = factories.StorageAccountFactory(subscription=subscription)
        factories.VirtualMachineFactory.create_batch(
            50, cloud_service=service, storage_account=account, password_hash="x"
        )
        form = mode_form(subscription, mode="connect", cloud_service=service.name)
        assert form.has_error("cloud_service", "cloud_service_full")

    def test_storage_account_in_another_region_is_refused(self, subscription):
        east = factories.StorageAccountFactory(subscription=subscription, region=factories.region("East US"))
        form = mode_form(subscription, storage_account=east.pk)
        assert form.has_error("storage_account", "storage_account_region")

    def test_generated_storage_account_beyond_20_accounts_is_refused(self, subscription):
        factories.StorageAccountFactory.create_batch(20, subscription=subscription, region=factories.region("East US"))
        assert mode_form(subscription).has_error("storage_account", "storage_account_quota")

    def test_existing_generated_account_in_the_region_needs_no_new_one(self, subscription):
        factories.StorageAccountFactory.create_batch(19, subscription=subscription, region=factories.region("East US"))
        factories.StorageAccountFactory(subscription=subscription, automatically_generated=True)
        assert mode_form(subscription).is_valid()

    def test_location_groups_regions_affinity_groups_and_virtual_networks(self, subscription):
        network = factories.VirtualNetworkFactory(subscription=subscription)
        foreign_network = factories.VirtualNetworkFactory()
        choices = dict(ModeForm(subscription=subscription).fields["location"].choices)
        assert (f"region-{factories.region().pk}", "West US") in choices["Regions"]
        assert (f"affinity-group-{network.affinity_group.pk}", f"{network.affinity_group.name} (West US)") in choices[
            "Affinity Groups"
        ]
        assert choices["Virtual Networks"] == [(f"virtual-network-{network.pk}", f"{network.name} (West US)")]
        form = mode_form(subscription, location=f"virtual-network-{foreign_network.pk}")
        assert form.has_error("location", "invalid_choice")


class TestOptionsRules:
    def test_set_name_taken_in_that_cloud_service_is_refused(self, subscription):
        existing = factories.AvailabilitySetFactory(cloud_service__subscription=subscription, name="webset")
        form = OptionsForm(data=create_set("WebSet"), cloud_service=existing.cloud_service, virtual_network=None)
        assert form.has_error("availability_set_name", "set_name_taken")

    def test_create_availability_set_needs_a_name(self):
        form = OptionsForm(data=create_set(""), cloud_service=None, virtual_network=None)
        assert form.has_error("availability_set_name", "required")

    def test_only_sets_of_the_chosen_cloud_service_are_offered(self, subscription):
        own = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
        other = factories.AvailabilitySetFactory(cloud_service__subscription=subscription)
        form = OptionsForm(
            data={"availability_set": str(other.pk)}, cloud_service=own.cloud_service, virtual_network=None
        )
        assert form.has_error("availability_set", "invalid_choice")
        form = OptionsForm(
            data={"availability_set": str(own.pk)}, cloud_service=own.cloud_service, virtual_network=None
        )
        assert form.is_valid()
        assert form.cleaned_data["availability_set"] == own

    def test_subnet_is_asked_only_with_a_virtual_network(self, subscription):
        subnet = factories.SubnetFactory(virtual_network__subscription=subscription)
        assert "subnet" not in OptionsForm(cloud_service=None, virtual_network=None).fields
        form = OptionsForm(data={"availability_set": ""}, cloud_service=None, virtual_network=subnet.virtual_network)
        assert form.has_error("subnet", "required")


class TestEndToEnd:
    @pytest.mark.parametrize("headers", [None, IN_DIALOG], ids=["without-htmx", "with-htmx"])
    def test_step_1_creates_the_vm_its_cloud_service_and_a_new_set(
        self, signed_in, subscription, django_capture_on_commit_callbacks, headers
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = run(signed_in, headers=headers)
        vm = VirtualMachine.objects.get()
        dashboard = reverse("vms:dashboard", args=[vm.pk])
        if headers:
            assert response.headers["HX-Redirect"] == dashboard
        else:
            assert response.redirect_chain[-1][0] == dashboard
        assert vm.name == "web1"
        assert vm.cloud_service.name == "contosoweb"
        assert vm.cloud_service.subscription == subscription
        assert vm.storage_account.automatically_generated
        assert vm.image_version == factories.image_version(WINDOWS)
        assert vm.status == VirtualMachine.Status.RUNNING
        assert (vm.membership.availability_set.name, vm.membership.fault_domain, vm.membership.update_domain) == (
            "webset",
            0,
            0,
        )
        assert not WizardDraft.objects.exists()

    def test_every_page_with_htmx_is_a_fragment(self, signed_in):
        signed_in.get(url())
        for step, fields in (
            ("image", {"image": image().pk}),
            ("configuration", configuration()),
            ("mode", standalone()),
        ):
            html = page_of(submit(signed_in, step, fields, headers=IN_DIALOG))
            assert "<html" not in html
            assert html.strip().startswith('<section id="wizard-page"')

    def test_step_2_connects_to_the_first_vms_cloud_service_and_joins_its_set(self, signed_in):
        run(signed_in)
        first = VirtualMachine.objects.get()
        web_set = AvailabilitySet.objects.get()
        response = run(
            signed_in,
            image_name=UBUNTU,
            config=configuration(UBUNTU, name="web2", use_password=True),
            mode={"mode": "connect", "cloud_service": first.cloud_service.name},
            options={"availability_set": web_set.pk},
        )
        second = VirtualMachine.objects.get(name="web2")
        assert response.redirect_chain[-1][0] == reverse("vms:dashboard", args=[second.pk])
        assert second.cloud_service == first.cloud_service
        assert second.storage_account == first.storage_account
        assert (
            second.membership.availability_set,
            second.membership.fault_domain,
            second.membership.update_domain,
        ) == (
            web_set,
            1,
            1,
        )

    def test_options_page_offers_the_connected_cloud_services_sets(self, signed_in):
        run(signed_in)
        first = VirtualMachine.objects.get()
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        submit(signed_in, "configuration", configuration(name="web2"))
        html = page_of(submit(signed_in, "mode", {"mode": "connect", "cloud_service": first.cloud_service.name}))
        assert "Virtual machine options" in html
        assert ">webset</option>" in html
        assert ">Create availability set</option>" in html

    def test_linux_vm_with_an_uploaded_certificate(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image(UBUNTU).pk})
        certificate = SimpleUploadedFile("key.pem", certificate_pem(), content_type="application/x-pem-file")
        fields = configuration(
            UBUNTU, admin_password="", confirm_password="", use_ssh_key=True, ssh_certificate=certificate
        )
        submit(signed_in, "configuration", fields)
        submit(signed_in, "mode", standalone())
        submit(signed_in, "options", {"availability_set": ""})
        vm = VirtualMachine.objects.get()
        assert len(vm.ssh_certificate_thumbprint) == 40
        assert vm.ssh_public_key.startswith("ssh-rsa ")
        assert vm.password_hash == ""
        assert not Membership.objects.exists()

    def test_a_vm_in_a_virtual_network_gets_the_chosen_subnet(self, signed_in, subscription):
        subnet = factories.SubnetFactory(virtual_network__subscription=subscription)
        network = subnet.virtual_network
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        submit(signed_in, "configuration", configuration())
        html = page_of(submit(signed_in, "mode", standalone(location=f"virtual-network-{network.pk}")))
        assert ">Subnet</label>" in html
        submit(signed_in, "options", {"availability_set": "", "subnet": subnet.pk})
        vm = VirtualMachine.objects.get()
        assert vm.subnet == subnet
        assert vm.cloud_service.virtual_network == network

    @pytest.mark.parametrize("headers", [None, IN_DIALOG], ids=["without-htmx", "with-htmx"])
    def test_service_refusal_lands_beside_the_field_on_its_page_and_nothing_is_created(self, signed_in, headers):
        run(signed_in)
        first = VirtualMachine.objects.get()
        response = run(
            signed_in,
            config=configuration(name="WEB1"),
            mode={"mode": "connect", "cloud_service": first.cloud_service.name},
            options={"availability_set": ""},
            headers=headers,
        )
        html = page_of(response)
        assert "Virtual machine configuration" in html
        assert 'id="id_configuration-name_error"' in html
        assert "already has a virtual machine named WEB1" in html
        assert VirtualMachine.objects.count() == 1
        fixed = submit(signed_in, "configuration", configuration(name="web2"), headers=headers)
        assert "Virtual machine mode" in page_of(fixed)


class TestBack:
    def test_back_returns_with_everything_entered(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        submit(signed_in, "configuration", configuration(name="web7", admin_username="contosoadmin"))
        back = page_of(submit(signed_in, "mode", {"mode": "standalone", "dns_name": "contoso7"}, goto="configuration"))
        assert "<title>Virtual machine configuration" in back
        assert 'value="web7"' in back
        assert 'value="contosoadmin"' in back
        assert factories.STRONG_PASSWORD not in back
        assert "Leave New Password and Confirm Password empty to keep the password you entered." in back

        kept = configuration(name="web7", admin_username="contosoadmin", admin_password="", confirm_password="")
        forward = page_of(submit(signed_in, "configuration", kept))
        assert "<title>Virtual machine mode" in forward
        assert 'value="contoso7"' in forward

        again = page_of(submit(signed_in, "mode", standalone(), goto="configuration"))
        assert 'value="web7"' in again
        first = page_of(submit(signed_in, "configuration", kept, goto="image"))
        assert checked_image(first) == str(image().pk)

    def test_back_with_htmx_is_a_fragment(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        response = submit(signed_in, "configuration", {}, headers=IN_DIALOG, goto="image")
        assert "<html" not in page_of(response)
        assert "Select the virtual machine operating system" in page_of(response)


class TestTampering:
    def reach_mode(self, client):
        client.get(url())
        submit(client, "image", {"image": image().pk})
        submit(client, "configuration", configuration())

    def assert_nothing_written(self, services_before=0, accounts_before=0):
        assert VirtualMachine.objects.count() == 0
        assert CloudService.objects.count() == services_before
        assert StorageAccount.objects.count() == accounts_before
        assert AvailabilitySet.objects.count() == 0

    def test_another_subscriptions_cloud_service_is_refused(self, signed_in):
        foreign = factories.VirtualMachineFactory(password_hash="x").cloud_service
        self.reach_mode(signed_in)
        html = page_of(submit(signed_in, "mode", {"mode": "connect", "cloud_service": foreign.name}))
        assert (
            f"None of this subscription&#x27;s cloud services with a virtual machine is named {foreign.name}." in html
        )
        assert VirtualMachine.objects.count() == 1

    def test_another_subscriptions_storage_account_is_refused(self, signed_in):
        foreign = factories.StorageAccountFactory()
        self.reach_mode(signed_in)
        html = page_of(submit(signed_in, "mode", standalone(storage_account=foreign.pk)))
        assert "Select a valid choice" in html
        self.assert_nothing_written(accounts_before=1)

    def test_another_subscriptions_virtual_network_is_refused(self, signed_in):
        foreign = factories.VirtualNetworkFactory()
        self.reach_mode(signed_in)
        html = page_of(submit(signed_in, "mode", standalone(location=f"virtual-network-{foreign.pk}")))
        assert "Select a valid choice" in html
        self.assert_nothing_written()

    def test_another_subscriptions_availability_set_is_refused(self, signed_in, subscription):
        own = factories.VirtualMachineFactory(cloud_service__subscription=subscription, password_hash="x")
        foreign = factories.AvailabilitySetFactory()
        self.reach_mode(signed_in)
        submit(signed_in, "mode", {"mode": "connect", "cloud_service": own.cloud_service.name})
        html = page_of(submit(signed_in, "options", {"availability_set": foreign.pk}))
        assert "Select a valid choice" in html
        assert VirtualMachine.objects.count() == 1
        assert AvailabilitySet.objects.count() == 1

    def test_skipping_a_page_is_refused(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        response = signed_in.post(
            url("mode"), {CURRENT_STEP: "mode", "mode-mode": "standalone", "mode-dns_name": "skipper"}
        )
        assert response.status_code == 400
        assert "This wizard has expired" in page_of(response)
        assert signed_in.get(url("options")).url == url("configuration")
        assert signed_in.get(url("finished")).url == url("configuration")
        response = signed_in.post(url("configuration"), {CURRENT_STEP: "configuration", "wizard_goto_step": "options"})
        assert response.status_code == 400
        self.assert_nothing_written()

    @pytest.mark.parametrize("current_step", [None, "", "bogus", "finished"])
    def test_edited_management_form_is_refused(self, signed_in, current_step):
        signed_in.get(url())
        data = {"image-image": image().pk}
        if current_step is not None:
            data[CURRENT_STEP] = current_step
        response = signed_in.post(url("image"), data)
        assert response.status_code == 400
        assert "This wizard has expired" in page_of(response)
        fragment = signed_in.post(url("image"), data | {"part": "page"}, **IN_DIALOG)
        assert fragment.status_code == 200
        assert page_of(fragment).strip().startswith('<section id="wizard-page"') and "<html" not in page_of(fragment)
        assert "Start again" in page_of(fragment)

    def test_finishing_by_get_creates_nothing(self, signed_in):
        self.reach_mode(signed_in)
        submit(signed_in, "mode", standalone())
        response = signed_in.get(url("finished"))
        assert response.url == url("options")
        self.assert_nothing_written()


class TestSecrets:
    def test_the_draft_holds_no_plain_text_password_and_the_session_no_draft(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image(UBUNTU).pk})
        submit(signed_in, "configuration", configuration(UBUNTU, use_password=True))
        stored = WizardDraft.objects.get()
        assert factories.STRONG_PASSWORD not in stored.payload
        draft = json.loads(draft_cipher().decrypt(stored.payload.encode()))
        assert draft["step_data"]["configuration"]["configuration-admin_password"] == [factories.STRONG_PASSWORD]
        assert WIZARD not in SessionStore(signed_in.session.session_key).load()

    def test_a_draft_expires_a_day_after_its_last_change_at_most_and_closing_deletes_it(self, signed_in):
        """The hourly clean-up of expired drafts then removes an abandoned draft's encrypted password in a day."""
        signed_in.get(url())
        submit(signed_in, "image", {"image": image(UBUNTU).pk})
        submit(signed_in, "configuration", configuration(UBUNTU, use_password=True))
        draft = WizardDraft.objects.get()
        assert DRAFT_MAX_AGE_SECONDS + DRAFT_PRUNE_SECONDS <= 24 * 60 * 60
        assert draft.expires_at <= timezone.now() + timedelta(seconds=DRAFT_MAX_AGE_SECONDS)

        signed_in.post(url(draft=draft))  # closing the dialog discards the draft
        assert not WizardDraft.objects.exists()

    def test_no_table_holds_the_password_after_a_run(self, signed_in, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            run(signed_in)
        assert VirtualMachine.objects.get().password_hash
        found = []
        with connection.cursor() as cursor:
            for table in connection.introspection.table_names():
                cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
                for row in cursor.fetchall():
                    found += [table for value in row if factories.STRONG_PASSWORD in str(value)]
        assert found == []
        assert not WizardDraft.objects.exists()
        assert WIZARD not in SessionStore(signed_in.session.session_key).load()

    def test_password_fields_are_hidden_from_error_reports(self, signed_in):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image().pk})
        posted = signed_in.post(url("configuration"), {CURRENT_STEP: "configuration"})
        assert set(posted.wsgi_request.sensitive_post_parameters) == {
            "configuration-admin_password",
            "configuration-confirm_password",
        }

    def test_a_certificate_posted_without_the_ssh_key_option_is_not_kept(self, signed_in, upload_root):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image(UBUNTU).pk})
        certificate = SimpleUploadedFile("key.pem", certificate_pem())
        response = submit(
            signed_in, "configuration", configuration(UBUNTU, use_password=True, ssh_certificate=certificate)
        )
        assert "Virtual machine mode" in page_of(response)
        assert not upload_root.exists() or list(upload_root.iterdir()) == []

    def test_only_the_certificate_field_is_stored_and_other_posted_files_are_dropped(self, signed_in, upload_root):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image(UBUNTU).pk})
        pem = certificate_pem()
        extras = {f"configuration-{index}": SimpleUploadedFile(f"extra{index}.bin", b"x" * 1000) for index in range(5)}
        fields = configuration(
            UBUNTU,
            use_ssh_key=True,
            use_password=True,
            ssh_certificate=SimpleUploadedFile("key.pem", pem),
        )
        data = {CURRENT_STEP: "configuration", **{f"configuration-{k}": v for k, v in fields.items() if v is not True}}
        data |= {"configuration-use_ssh_key": "on", "configuration-use_password": "on", **extras}
        response = signed_in.post(url("configuration"), data, follow=True)
        assert "Virtual machine mode" in page_of(response)
        stored = [path for path in upload_root.rglob("*") if path.is_file()]
        assert len(stored) == 1
        assert stored[0].parent.name == str(latest_draft().pk)  # the run's own folder
        assert stored[0].read_bytes() == pem

    @pytest.mark.parametrize("use_ssh_key", [True, False])
    def test_a_certificate_too_large_is_refused_beside_its_field_whatever_else_is_posted(
        self, signed_in, upload_root, use_ssh_key
    ):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image(UBUNTU).pk})
        too_large = SimpleUploadedFile("key.pem", b"x" * (MAX_CERTIFICATE_BYTES + 1))
        fields = configuration(UBUNTU, use_ssh_key=use_ssh_key, use_password=True, ssh_certificate=too_large)
        html = page_of(submit(signed_in, "configuration", fields))
        assert "Virtual machine configuration" in html
        assert "The certificate file is too large for a .pem certificate." in html
        assert not upload_root.exists() or list(upload_root.iterdir()) == []

    def test_uploaded_certificate_is_removed_when_the_wizard_ends(self, signed_in, upload_root):
        signed_in.get(url())
        submit(signed_in, "image", {"image": image(UBUNTU).pk})
        certificate = SimpleUploadedFile("key.pem", certificate_pem())
        fields = configuration(UBUNTU, use_ssh_key=True, use_password=True, ssh_certificate=certificate)
        submit(signed_in, "configuration", fields)
        assert len(list(upload_root.iterdir())) == 1
        submit(signed_in, "mode", standalone())
        submit(signed_in, "options", {"availability_set": ""})
        assert VirtualMachine.objects.get().ssh_certificate_thumbprint
        assert list(upload_root.iterdir()) == []


class TestDnsNameCheck:
    def test_available_name_with_htmx_is_a_small_fragment(self, signed_in):
        response = signed_in.get(reverse("vms:dns-name-check"), {"mode-dns_name": "contosoweb"}, HTTP_HX_REQUEST="true")
        html = page_of(response)
        assert "<html" not in html
        assert "contosoweb.cloudapp.net is available." in html

    def test_taken_and_malformed_names_say_why(self, signed_in):
        factories.CloudServiceFactory(name="contosoweb")
        taken = page_of(
            signed_in.get(reverse("vms:dns-name-check"), {"dns_name": "contosoweb"}, HTTP_HX_REQUEST="true")
        )
        assert "contosoweb.cloudapp.net is already taken." in taken
        bad = page_of(signed_in.get(reverse("vms:dns-name-check"), {"dns_name": "Contoso"}, HTTP_HX_REQUEST="true"))
        assert "3 through 24 lowercase letters and numbers" in bad

    def test_without_htmx_it_is_a_full_page(self, signed_in):
        html = page_of(signed_in.get(reverse("vms:dns-name-check"), {"dns_name": "contosoweb"}))
        assert "<html" in html
        assert ">DNS Name</label>" in html
        assert "contosoweb.cloudapp.net is available." in html

    def test_mode_page_checks_the_dns_name_as_it_is_typed(self, signed_in):
        TestTampering().reach_mode(signed_in)
        html = page_of(signed_in.get(url("mode")))
        assert f'hx-get="{reverse("vms:dns-name-check")}" hx-trigger="load, input changed delay:500ms"' in html
        assert ">DNS Name</label>" in html
        assert '<span class="input-group-text">.cloudapp.net</span>' in html
        for label in ("Stand-alone virtual machine", "Connect to existing Virtual Machine", "Storage Account"):
            assert label in html
        assert ">Use an automatically generated storage account</option>" in html
        assert '<optgroup label="Regions">' in html


class TestQueryBudget:
    """Each page's queries are pinned, and the same with one row of everything as with many."""

    # Page by page: session, user, the person's subscriptions (the shell lists them; the current one is among
    # them), the run's draft, then the page's own reads (the options page reads the sets of the cloud service
    # connected to; a stand-alone VM has none yet).
    GETS = {"image": 5, "configuration": 10, "mode": 9, "options": 8}
    # The last page's POST reads the run's draft, validates each page once (the deploy applies their service rules),
    # deploys and deletes the draft; vm_create locks the subscription's row itself, whoever calls it, so under the
    # deploy that lock is taken twice. Placing the VM adds the region's lock, its racks, its hosts with their use (one
    # aggregate), the MAC and address checks and the placement's row (and, in a set, its bindings, its members per
    # host and a new binding).
    FINISH = {"new set": 32, "existing set": 38, "stand-alone": 31}

    def build(self, subscription, rows: int):
        subscription.core_quota = subscription.cloud_service_quota = subscription.storage_account_quota = 100
        subscription.save()
        for _ in range(rows):
            factories.VirtualNetworkFactory(subscription=subscription)
            factories.AffinityGroupFactory(subscription=subscription)
            factories.VirtualMachineFactory(cloud_service__subscription=subscription, password_hash="x")
        service = factories.VirtualMachineFactory(
            cloud_service__subscription=subscription, password_hash="x"
        ).cloud_service
        sets = factories.AvailabilitySetFactory.create_batch(rows, cloud_service=service)
        return service, sets[0]

    def count(self, request) -> int:
        """Count the statements that read or write: BEGIN, COMMIT and savepoints are transaction control."""
        with CaptureQueriesContext(connection) as queries:
            response = request()
        assert response.status_code in {200, 302}, response.status_code
        control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
        return sum(1 for query in queries.captured_queries if not query["sql"].upper().startswith(control))

    # In real transactions, as a server runs it: a test's own transaction would add a savepoint pair around every
    # atomic block that is outermost in production (the deploy's, the session's), statements no server sends.
    @pytest.mark.django_db(transaction=True)
    @pytest.mark.parametrize("rows", [1, 30])
    @pytest.mark.parametrize("finish", ["new set", "existing set", "stand-alone"])
    def test_every_page_and_the_finish_run_a_pinned_number_of_queries(
        self, signed_in, subscription, rows, finish, settings
    ):
        # The worker's queue, as in production: the finish hands the new VM to it with one insert.
        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        service, existing_set = self.build(subscription, rows)
        counts = {}
        signed_in.get(url())
        address = url("image")
        counts["image"] = self.count(lambda: signed_in.get(address))
        submit(signed_in, "image", {"image": image().pk})
        address = url("configuration")
        counts["configuration"] = self.count(lambda: signed_in.get(address))
        submit(signed_in, "configuration", configuration())
        address = url("mode")
        counts["mode"] = self.count(lambda: signed_in.get(address))
        submit(
            signed_in,
            "mode",
            standalone() if finish == "stand-alone" else {"mode": "connect", "cloud_service": service.name},
        )
        address = url("options")
        counts["options"] = self.count(lambda: signed_in.get(address))
        options = {"availability_set": existing_set.pk} if finish == "existing set" else create_set()
        data = {CURRENT_STEP: "options", **{f"options-{name}": value for name, value in options.items()}}
        address = url("options")
        counts["finish"] = self.count(lambda: signed_in.post(address, data))

        assert VirtualMachine.objects.filter(name="web1").exists()
        expected = {**self.GETS, "finish": self.FINISH[finish]}
        if finish == "stand-alone":
            expected["options"] -= 1
        assert counts == expected


class TestCloudServiceTypeahead:
    """Connecting to one of many cloud services: a DNS name typed, with matching ones suggested through htmx."""

    def many_services(self, subscription, count: int) -> None:
        region = factories.region()
        services = CloudService.objects.bulk_create(
            CloudService(subscription=subscription, name=f"svc{index:04d}", region=region) for index in range(count)
        )
        account = factories.StorageAccountFactory(subscription=subscription)
        VirtualMachine.objects.bulk_create(
            VirtualMachine(
                cloud_service=service,
                subscription=subscription,
                name="vm1",
                image_version=factories.image_version(),
                size=factories.size(),
                storage_account=account,
                admin_username="portaladmin",
                password_hash="x",
            )
            for service in services
        )

    def test_mode_page_with_a_thousand_services_suggests_twenty_in_the_same_queries_as_with_one(
        self, signed_in, subscription
    ):
        subscription.core_quota = subscription.storage_account_quota = 2000
        subscription.save()
        self.many_services(subscription, 1)
        TestTampering().reach_mode(signed_in)
        with CaptureQueriesContext(connection) as few:
            signed_in.get(url("mode"))
        CloudService.objects.all().delete()
        self.many_services(subscription, 1000)
        with CaptureQueriesContext(connection) as many:
            html = page_of(signed_in.get(url("mode")))
        assert len(many) == len(few)
        assert not any("COUNT(" in query["sql"].upper() for query in many.captured_queries)
        datalist = re.search(r'<datalist id="cloud-service-options">(.*?)</datalist>', html, re.S).group(1)
        assert datalist.count("<option") == 20
        assert '<option value="svc0000">svc0000 (West US)</option>' in datalist
        assert 'list="cloud-service-options"' in html
        assert f'hx-get="{reverse("vms:cloud-service-search")}"' in html
        assert '<label class="form-label" for="id_mode-cloud_service">Cloud Service</label>' in html

    def test_search_with_htmx_answers_the_matching_options_only(self, signed_in, subscription):
        self.many_services(subscription, 30)
        factories.CloudServiceFactory(subscription=subscription, name="svc0999")  # no VM: nothing to connect to
        response = signed_in.get(
            reverse("vms:cloud-service-search"), {"mode-cloud_service": "svc001"}, HTTP_HX_REQUEST="true"
        )
        html = page_of(response)
        assert "<html" not in html
        assert re.findall(r'<option value="([^"]+)"', html) == [f"svc{index:04d}" for index in range(10, 20)]
        assert "svc0999" not in page_of(
            signed_in.get(reverse("vms:cloud-service-search"), {"q": "svc09"}, HTTP_HX_REQUEST="true")
        )

    def test_search_without_htmx_is_a_page_with_a_search_form(self, signed_in, subscription):
        self.many_services(subscription, 3)
        html = page_of(signed_in.get(reverse("vms:cloud-service-search"), {"q": "svc0002"}))
        assert "<html" in html
        assert '<label for="cloud-service-search" class="form-label">DNS name starts with</label>' in html
        assert "<li>svc0002 (West US)</li>" in html and "svc0001" not in html

    def test_another_subscriptions_services_are_never_suggested(self, signed_in, subscription):
        foreign = factories.VirtualMachineFactory(password_hash="x", cloud_service__name="svcforeign").cloud_service
        html = page_of(signed_in.get(reverse("vms:cloud-service-search"), {"q": "svc"}, HTTP_HX_REQUEST="true"))
        assert foreign.name not in html

    def test_a_typed_name_connects_without_javascript(self, signed_in, subscription):
        self.many_services(subscription, 40)
        TestTampering().reach_mode(signed_in)
        submit(signed_in, "mode", {"mode": "connect", "cloud_service": "svc0033"})
        html = page_of(submit(signed_in, "options", {"availability_set": ""}))
        assert VirtualMachine.objects.filter(name="web1", cloud_service__name="svc0033").exists(), html[:500]
