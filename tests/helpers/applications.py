"""The seed's example application, built for the tests that need one."""

from __future__ import annotations

from applications.services import application_create, dependency_add, role_add
from tests import factories


def web_shop(subscription, *, sql_in_set: bool = False):
    """The seed's example: IIS1 and IIS2 in WebSet, SQL1 alone (or with SQL2 in SQLSet); Web depends on Data."""
    web_set = factories.AvailabilitySetFactory(name="WebSet", cloud_service__subscription=subscription)
    factories.MembershipFactory(availability_set=web_set, virtual_machine__name="IIS1", fault_domain=0, update_domain=0)
    factories.MembershipFactory(availability_set=web_set, virtual_machine__name="IIS2", fault_domain=1, update_domain=1)
    application = application_create(subscription=subscription, name="Web shop")
    web = role_add(application=application, name="Web", availability_set=web_set)
    if sql_in_set:
        sql_set = factories.AvailabilitySetFactory(name="SQLSet", cloud_service=web_set.cloud_service)
        factories.MembershipFactory(
            availability_set=sql_set, virtual_machine__name="SQL1", fault_domain=0, update_domain=0
        )
        factories.MembershipFactory(
            availability_set=sql_set, virtual_machine__name="SQL2", fault_domain=1, update_domain=1
        )
        data = role_add(application=application, name="Data", availability_set=sql_set)
    else:
        sql1 = factories.VirtualMachineFactory(name="SQL1", cloud_service=web_set.cloud_service)
        data = role_add(application=application, name="Data", virtual_machine=sql1)
    dependency_add(role=web, depends_on=data)
    return application
