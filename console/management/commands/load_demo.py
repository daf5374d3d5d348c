"""Create (or refresh) a demo person with a subscription, an affinity group and a virtual network, and give every
region simulated racks and hosts to place virtual machines on."""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from fabric.services import topology_simulated_create_everywhere
from portal.models import Subscription
from vms.models import AffinityGroup, Region, VirtualNetwork
from vms.services.networks import affinity_group_create, virtual_network_create


class Command(BaseCommand):
    help = (
        "Create the demo user, subscription, affinity group and virtual network, and 2 racks of 2 simulated hosts "
        "in every region; safe to run again."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default=os.environ.get("PORTAL_DEMO_USERNAME", "demo"))
        parser.add_argument("--password", default=os.environ.get("PORTAL_DEMO_PASSWORD", "demo-portal-2013"))
        parser.add_argument("--staff", action="store_true", help="Also let the demo user into /admin/.")

    @transaction.atomic
    def handle(self, *args, username: str, password: str, staff: bool, **options) -> None:
        user, _ = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        user.is_staff = user.is_superuser = staff or user.is_staff
        user.save()
        subscription, _ = Subscription.objects.get_or_create(name="Pay-As-You-Go (demo)")
        subscription.members.add(user)
        region = Region.objects.get(name="West US")
        group = AffinityGroup.objects.filter(subscription=subscription, name="demo-west").first()
        group = group or affinity_group_create(
            subscription=subscription, name="demo-west", region=region, label="Demo affinity group"
        )
        if not VirtualNetwork.objects.filter(subscription=subscription, name="demo-vnet").exists():
            virtual_network_create(
                subscription=subscription,
                name="demo-vnet",
                affinity_group=group,
                address_space="10.1.0.0/16",
                subnets=[("Subnet-1", "10.1.0.0/24"), ("Subnet-2", "10.1.1.0/24")],
            )
        topology_simulated_create_everywhere()
        self.stdout.write(f"Sign in as {username} with password {password}")
