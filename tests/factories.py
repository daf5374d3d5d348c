"""Factories for the portal's models; catalog rows come from the data migration."""

from __future__ import annotations

import datetime

import factory
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from applications.models import Application, Role
from availability.models import AvailabilitySet, Membership
from console.services import virtual_machine_deploy
from endpoints.models import Endpoint, LoadBalancedSet
from portal.models import Subscription
from portal.services import subscription_usage_add
from vms.models import (
    AffinityGroup,
    CloudService,
    ImageVersion,
    Operation,
    Region,
    RoleSize,
    StorageAccount,
    Subnet,
    VirtualMachine,
    VirtualNetwork,
)

STRONG_PASSWORD = "Portal!2013x"


def region(name: str = "West US") -> Region:
    return Region.objects.get(name=name)


def size(name: str = "Small") -> RoleSize:
    return RoleSize.objects.get(name=name)


def image_version(image_name: str = "Windows Server 2012 Datacenter") -> ImageVersion:
    return ImageVersion.objects.filter(image__name=image_name).order_by("-release_date").first()


def certificate_pem(key_type: str = "rsa") -> bytes:
    """Make a self-signed X.509 certificate in PEM, wrapping an RSA (or, to be refused, an EC) key."""
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if key_type == "rsa"
        else (ec.generate_private_key(ec.SECP256R1()))
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portal test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    password = factory.LazyFunction(lambda: make_password(STRONG_PASSWORD))


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Subscription {n}")

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.add(*extracted)


class AffinityGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AffinityGroup

    subscription = factory.SubFactory(SubscriptionFactory)
    name = factory.Sequence(lambda n: f"group{n}")
    region = factory.LazyFunction(region)


class VirtualNetworkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VirtualNetwork

    subscription = factory.SubFactory(SubscriptionFactory)
    name = factory.Sequence(lambda n: f"vnet{n}")
    affinity_group = factory.SubFactory(AffinityGroupFactory, subscription=factory.SelfAttribute("..subscription"))


class SubnetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subnet

    virtual_network = factory.SubFactory(VirtualNetworkFactory)
    name = factory.Sequence(lambda n: f"Subnet-{n}")
    address_prefix = "10.0.0.0/24"


class UsageCountingFactory(factory.django.DjangoModelFactory):
    """Count what a factory makes in its subscription's usage, as the services do."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        subscription_usage_add(subscription=kwargs["subscription"], **cls.usage(obj))
        return obj

    @classmethod
    def usage(cls, obj) -> dict[str, int]:
        raise NotImplementedError


class StorageAccountFactory(UsageCountingFactory):
    class Meta:
        model = StorageAccount

    @classmethod
    def usage(cls, obj) -> dict[str, int]:
        return {"storage_accounts": 1}

    subscription = factory.SubFactory(SubscriptionFactory)
    name = factory.Sequence(lambda n: f"storage{n:04d}")
    region = factory.LazyFunction(region)


class CloudServiceFactory(UsageCountingFactory):
    class Meta:
        model = CloudService

    @classmethod
    def usage(cls, obj) -> dict[str, int]:
        return {"cloud_services": 1}

    subscription = factory.SubFactory(SubscriptionFactory)
    name = factory.Sequence(lambda n: f"service{n:04d}")
    region = factory.LazyFunction(region)


class VirtualMachineFactory(UsageCountingFactory):
    class Meta:
        model = VirtualMachine

    cloud_service = factory.SubFactory(CloudServiceFactory)
    subscription = factory.SelfAttribute("cloud_service.subscription")
    name = factory.Sequence(lambda n: f"vm{n}")
    image_version = factory.LazyFunction(image_version)
    size = factory.LazyFunction(size)
    storage_account = factory.SubFactory(
        StorageAccountFactory,
        subscription=factory.SelfAttribute("..cloud_service.subscription"),
        region=factory.SelfAttribute("..cloud_service.region"),
    )
    admin_username = "portaladmin"
    password_hash = factory.LazyFunction(lambda: make_password(STRONG_PASSWORD))
    status = VirtualMachine.Status.RUNNING

    @classmethod
    def usage(cls, obj) -> dict[str, int]:
        return {"cores": obj.size.cores, "virtual_machines": 1}


class AvailabilitySetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilitySet

    cloud_service = factory.SubFactory(CloudServiceFactory)
    name = factory.Sequence(lambda n: f"set{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    availability_set = factory.SubFactory(AvailabilitySetFactory)
    virtual_machine = factory.SubFactory(
        VirtualMachineFactory, cloud_service=factory.SelfAttribute("..availability_set.cloud_service")
    )
    fault_domain = 0
    update_domain = 0


class OperationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operation

    virtual_machine = factory.SubFactory(VirtualMachineFactory)
    subscription = factory.SelfAttribute("virtual_machine.cloud_service.subscription")
    kind = Operation.Kind.RESTART
    target_name = factory.SelfAttribute("virtual_machine.name")
    title = factory.LazyAttribute(lambda o: f"Restarting virtual machine {o.virtual_machine.name}")


def deploy(user, subscription, **overrides):
    """Deploy a stand-alone Windows VM through the service, as the wizard does; overrides change any argument."""
    arguments = {
        "user": user,
        "subscription": subscription,
        "image_version": image_version(),
        "name": "web1",
        "admin_username": "portaladmin",
        "admin_password": STRONG_PASSWORD,
        "size": size("Small"),
        "dns_name": "contosoweb",
        "region": region(),
    }
    return virtual_machine_deploy(**(arguments | overrides))


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Application

    subscription = factory.SubFactory(SubscriptionFactory)
    name = factory.Sequence(lambda n: f"Application {n}")


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    application = factory.SubFactory(ApplicationFactory)
    name = factory.Sequence(lambda n: f"Role {n}")


class LoadBalancedSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LoadBalancedSet

    cloud_service = factory.SubFactory(CloudServiceFactory)
    name = factory.Sequence(lambda n: f"lbset{n}")
    protocol = "tcp"
    public_port = factory.Sequence(lambda n: 8000 + n)
    private_port = 80
    probe_protocol = "tcp"
    probe_port = 80
    probe_interval = 15
    probe_count = 2


class EndpointFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Endpoint

    virtual_machine = factory.SubFactory(VirtualMachineFactory)
    cloud_service = factory.SelfAttribute("virtual_machine.cloud_service")
    name = factory.Sequence(lambda n: f"ep{n}")
    protocol = "tcp"
    public_port = factory.Sequence(lambda n: 10000 + n)
    private_port = factory.Sequence(lambda n: 20000 + n)
