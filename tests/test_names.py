"""Names a person types refuse invisible control and format characters (Unicode Cc and Cf), wherever they are typed:
the wizard, Configure, the New drawer's dialogs, the services and the admin."""

from __future__ import annotations

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from availability.forms import NEW_SET
from availability.models import AvailabilitySet
from availability.services import availability_set_create
from console.forms.wizard import OptionsForm
from portal.models import Subscription
from portal.validators import validate_visible_name
from tests import factories
from tests.helpers.admin import admin_url, form_data
from tests.helpers.quick_create import quick_create_data
from tests.helpers.wizard import configuration_form, create_set, mode_form
from vms.models import AffinityGroup, CloudService, StorageAccount, Subnet, VirtualMachine, VirtualNetwork
from vms.services.networks import affinity_group_create, virtual_network_create
from vms.services.storage import storage_account_create

pytestmark = pytest.mark.django_db

CODE = "name_control_character"
# A right-to-left override, a zero-width space, a left-to-right mark at the end, a bell and an escape.
DECEIVING = ["web\u202eset", "web\u200bset", "webset\u200e", "web\x07set", "web\x1bset"]
deceiving = pytest.mark.parametrize("name", DECEIVING, ids=["U+202E", "U+200B", "U+200E", "U+0007", "U+001B"])


def has_code(error: ValidationError, field: str) -> bool:
    return any(item.code == CODE for item in error.error_dict.get(field, []))


class TestTheRule:
    @given(
        before=st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs"]), max_size=10),
        hidden=st.characters(categories=["Cc", "Cf"]),
        after=st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs"]), max_size=10),
    )
    def test_one_control_or_format_character_anywhere_is_refused(self, before, hidden, after):
        with pytest.raises(ValidationError) as refused:
            validate_visible_name(before + hidden + after)
        assert refused.value.code == CODE
        assert f"U+{ord(hidden):04X}" in refused.value.messages[0]

    @given(st.text(st.characters(exclude_categories=["Cc", "Cf", "Cs"])))
    def test_every_other_character_is_accepted(self, name):
        validate_visible_name(name)

    def test_the_categories_are_unicodes(self):
        """Checked against the Unicode database character by character over the Basic Multilingual Plane."""
        for code_point in range(0x10000):
            character = chr(code_point)
            refused = unicodedata.category(character) in {"Cc", "Cf"}
            try:
                validate_visible_name(character)
            except ValidationError:
                assert refused, f"U+{code_point:04X} refused"
            else:
                assert not refused, f"U+{code_point:04X} accepted"

    def test_the_message_names_the_character(self):
        with pytest.raises(ValidationError) as refused:
            validate_visible_name("fzset2\u202eأبجد")
        assert refused.value.messages == [
            "A name cannot contain invisible control or formatting characters (this one has U+202E)."
        ]


def instances(subscription: Subscription) -> dict:
    membership = factories.MembershipFactory(availability_set__cloud_service__subscription=subscription)
    subnet = factories.SubnetFactory(virtual_network__subscription=subscription)
    return {
        Subscription: subscription,
        AffinityGroup: subnet.virtual_network.affinity_group,
        VirtualNetwork: subnet.virtual_network,
        Subnet: subnet,
        StorageAccount: membership.virtual_machine.storage_account,
        CloudService: membership.availability_set.cloud_service,
        VirtualMachine: membership.virtual_machine,
        AvailabilitySet: membership.availability_set,
    }


MODEL_FIELDS = [
    (Subscription, "name"),
    (AffinityGroup, "name"),
    (AffinityGroup, "label"),
    (VirtualNetwork, "name"),
    (Subnet, "name"),
    (StorageAccount, "name"),
    (CloudService, "name"),
    (VirtualMachine, "name"),
    (VirtualMachine, "admin_username"),
    (AvailabilitySet, "name"),
]


class TestModels:
    """full_clean, which every service and the admin run, refuses them in every name field."""

    @pytest.mark.parametrize(("model", "field"), MODEL_FIELDS, ids=lambda value: getattr(value, "__name__", value))
    @deceiving
    def test_full_clean_refuses(self, subscription, model, field, name):
        instance = instances(subscription)[model]
        setattr(instance, field, name)
        with pytest.raises(ValidationError) as refused:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        assert has_code(refused.value, field)


class TestServices:
    @deceiving
    def test_affinity_group(self, subscription, name):
        with pytest.raises(ValidationError) as refused:
            affinity_group_create(subscription=subscription, name=name, region=factories.region())
        assert has_code(refused.value, "name")

    @deceiving
    def test_virtual_network_and_its_subnet(self, subscription, name):
        group = factories.AffinityGroupFactory(subscription=subscription)
        with pytest.raises(ValidationError) as refused:
            virtual_network_create(subscription=subscription, name=name, affinity_group=group)
        assert has_code(refused.value, "name")
        with pytest.raises(ValidationError) as refused:
            virtual_network_create(
                subscription=subscription, name="vnet1", affinity_group=group, subnets=[(name, "10.0.0.0/24")]
            )
        assert has_code(refused.value, "subnet_name")
        assert not VirtualNetwork.objects.filter(name="vnet1").exists()

    @deceiving
    def test_storage_account(self, subscription, name):
        with pytest.raises(ValidationError) as refused:
            storage_account_create(subscription=subscription, name=name.lower(), region=factories.region())
        assert has_code(refused.value, "name")

    @deceiving
    def test_availability_set(self, subscription, name):
        cloud_service = factories.CloudServiceFactory(subscription=subscription)
        with pytest.raises(ValidationError) as refused:
            availability_set_create(cloud_service=cloud_service, name=name)
        assert has_code(refused.value, "availability_set_name")

    @pytest.mark.parametrize("field", ["name", "admin_username", "dns_name", "availability_set_name"])
    def test_the_deploy_refuses_each_name_and_leaves_nothing(self, user, subscription, field):
        with pytest.raises(ValidationError) as refused:
            factories.deploy(user, subscription, **{field: "web\u202eset"})
        assert has_code(refused.value, field)
        assert not CloudService.objects.exists() and not VirtualMachine.objects.exists()


class TestWizardPages:
    @pytest.mark.parametrize("field", ["name", "admin_username"])
    @deceiving
    def test_configuration_page(self, subscription, field, name):
        form = configuration_form("Windows Server 2012 Datacenter", subscription, {field: name})
        assert form.has_error(field, CODE)

    @deceiving
    def test_mode_page_dns_name(self, subscription, name):
        assert mode_form(subscription, dns_name=name.lower()).has_error("dns_name", CODE)

    @deceiving
    def test_options_page_set_name(self, subscription, name):
        cloud_service = factories.CloudServiceFactory(subscription=subscription)
        form = OptionsForm(data=create_set(name), cloud_service=cloud_service, virtual_network=None)
        assert form.has_error("availability_set_name", CODE)

    def test_the_dns_name_check_says_so(self, signed_in):
        response = signed_in.get(reverse("vms:dns-name-check"), {"dns_name": "web\u202eset"})
        assert "invisible control or formatting characters" in response.content.decode()


class TestPortalForms:
    """The message appears beside the field on the page, and nothing is written."""

    @deceiving
    def test_configure_set_name(self, signed_in, subscription, name):
        vm = factories.VirtualMachineFactory(cloud_service__subscription=subscription)
        response = signed_in.post(
            reverse("vms:configure", args=[vm.pk]),
            {"size": vm.size_id, "availability_set": NEW_SET, "availability_set_name": name},
        )
        assert response.context["form"].has_error("availability_set_name", CODE)
        assert not AvailabilitySet.objects.exists()

    @deceiving
    def test_storage_account_name(self, signed_in, name):
        response = signed_in.post(
            reverse("vms:storage-create"), {"name": name.lower(), "region": factories.region().pk}
        )
        assert response.context["form"].has_error("name", CODE)
        assert not StorageAccount.objects.exists()

    @deceiving
    def test_affinity_group_name(self, signed_in, name):
        response = signed_in.post(
            reverse("vms:affinity-group-create"),
            {"affinity_group-name": name, "affinity_group-region": factories.region().pk},
        )
        assert response.context["form"].has_error("name", CODE)
        assert not AffinityGroup.objects.exists()
        assert "invisible control or formatting characters" in response.content.decode()

    @pytest.mark.parametrize("field", ["name", "subnet_name"])
    @deceiving
    def test_virtual_network_and_subnet_names(self, signed_in, subscription, field, name):
        group = factories.AffinityGroupFactory(subscription=subscription)
        data = {
            "name": "vnet1",
            "affinity_group": group.pk,
            "address_space": "10.0.0.0/16",
            "subnet_name": "Subnet-1",
            "subnet_address_prefix": "10.0.0.0/24",
        } | {field: name}
        response = signed_in.post(
            reverse("vms:virtual-network-create"), {f"virtual_network-{key}": value for key, value in data.items()}
        )
        assert response.context["form"].has_error(field, CODE)
        assert not VirtualNetwork.objects.exists()
        assert "invisible control or formatting characters" in response.content.decode()

    @deceiving
    def test_cloud_service_url(self, signed_in, name):
        response = signed_in.post(
            reverse("vms:cloud-service-create"), {"name": name.lower(), "region": factories.region().pk}
        )
        assert response.context["form"].has_error("name", CODE)
        assert not CloudService.objects.exists()
        assert "invisible control or formatting characters" in response.content.decode()

    @pytest.mark.parametrize("field", ["dns_name", "admin_username"])
    @deceiving
    def test_quick_create_names(self, signed_in, field, name):
        data = quick_create_data(**{field: name.lower() if field == "dns_name" else name})
        response = signed_in.post(reverse("vms:quick-create"), data)
        assert response.context["form"].has_error(field, CODE)
        assert not CloudService.objects.exists() and not VirtualMachine.objects.exists()
        assert "invisible control or formatting characters" in response.content.decode()


class TestAdmin:
    """Staff edits meet the same rule, shown beside the field of the change page."""

    @pytest.mark.parametrize(("model", "field"), MODEL_FIELDS, ids=lambda value: getattr(value, "__name__", value))
    def test_change_page_refuses(self, admin_client, subscription, model, field):
        instance = instances(subscription)[model]
        change_url = admin_url(model, "change", instance.pk)
        data = form_data(admin_client.get(change_url)) | {field: "web\u202eset"}
        response = admin_client.post(change_url, data)
        assert response.status_code == 200
        assert response.context["adminform"].form.has_error(field, CODE)
        instance.refresh_from_db()
        assert getattr(instance, field) != "web\u202eset"
