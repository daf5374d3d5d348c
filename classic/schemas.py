"""What each request body of the Service Management API may hold, as the classic SDK writes it."""

from __future__ import annotations

from classic.xmldoc import Leaf, Node

NAME = Leaf(max_length=64)
VALUE = Leaf()
LABEL = Leaf(max_length=400)  # base64 of a 100-character label, with room for multi-byte characters

CREATE_HOSTED_SERVICE = Node(
    {
        "ServiceName": NAME,
        "Label": LABEL,
        "Description": Leaf(max_length=1024),
        "Location": NAME,
        "AffinityGroup": NAME,
        "ExtendedProperties": Node({}),
    },
    unsupported=frozenset({"ExtendedProperties"}),
)

_EMPTY_GROUP = Node({})  # a group the portal does not carry out; accepted only when empty

_INPUT_ENDPOINT = Node(
    {
        "LoadBalancedEndpointSetName": NAME,
        "LocalPort": VALUE,
        "Name": NAME,
        "Port": VALUE,
        "LoadBalancerProbe": Node({"Path": VALUE, "Port": VALUE, "Protocol": VALUE}),
        "Protocol": VALUE,
        "EnableDirectServerReturn": VALUE,
        "IdleTimeoutInMinutes": VALUE,
    }
)

_CONFIGURATION_SET = Node(
    {
        "ConfigurationSetType": NAME,
        # Windows provisioning
        "ComputerName": NAME,
        "AdminPassword": Leaf(max_length=123),
        "ResetPasswordOnFirstLogon": VALUE,
        "EnableAutomaticUpdates": VALUE,
        "TimeZone": VALUE,
        "DomainJoin": Node(
            {
                "Credentials": Node({"Domain": VALUE, "Username": VALUE, "Password": VALUE}),
                "JoinDomain": VALUE,
                "MachineObjectOU": VALUE,
            }
        ),
        "StoredCertificateSettings": _EMPTY_GROUP,
        "WinRM": _EMPTY_GROUP,
        "AdminUsername": NAME,
        "CustomData": _EMPTY_GROUP,
        "AdditionalUnattendContent": _EMPTY_GROUP,
        # Linux provisioning
        "HostName": NAME,
        "UserName": NAME,
        "UserPassword": Leaf(max_length=123),
        "DisableSshPasswordAuthentication": VALUE,
        "SSH": _EMPTY_GROUP,
        # Network
        "InputEndpoints": Node({"InputEndpoint": _INPUT_ENDPOINT}, repeated=frozenset({"InputEndpoint"})),
        "SubnetNames": Node({"SubnetName": NAME}, repeated=frozenset({"SubnetName"})),
        "StaticVirtualNetworkIPAddress": _EMPTY_GROUP,
        "PublicIPs": _EMPTY_GROUP,
    },
    unsupported=frozenset(
        {
            "DomainJoin",
            "StoredCertificateSettings",
            "WinRM",
            "CustomData",
            "AdditionalUnattendContent",
            "SSH",
            "StaticVirtualNetworkIPAddress",
            "PublicIPs",
        }
    ),
)

_ROLE_CHILDREN: dict[str, Leaf | Node] = {
    "RoleName": NAME,
    "RoleType": NAME,
    "ConfigurationSets": Node({"ConfigurationSet": _CONFIGURATION_SET}, repeated=frozenset({"ConfigurationSet"})),
    "ResourceExtensionReferences": _EMPTY_GROUP,
    "VMImageName": _EMPTY_GROUP,
    "MediaLocation": _EMPTY_GROUP,
    "AvailabilitySetName": NAME,
    "DataVirtualHardDisks": _EMPTY_GROUP,
    "OSVirtualHardDisk": Node(
        {
            "HostCaching": NAME,
            "DiskLabel": NAME,
            "DiskName": NAME,
            "MediaLink": Leaf(max_length=400),
            "SourceImageName": Leaf(max_length=200),
            "OS": NAME,
            "RemoteSourceImageLink": _EMPTY_GROUP,
        },
        unsupported=frozenset({"RemoteSourceImageLink"}),
    ),
    "RoleSize": NAME,
    "ProvisionGuestAgent": VALUE,
}
_ROLE_UNSUPPORTED = frozenset({"ResourceExtensionReferences", "VMImageName", "MediaLocation", "DataVirtualHardDisks"})

ROLE = Node(_ROLE_CHILDREN, unsupported=_ROLE_UNSUPPORTED)

CREATE_VIRTUAL_MACHINE_DEPLOYMENT = Node(
    {
        "Name": NAME,
        "DeploymentSlot": NAME,
        "Label": LABEL,
        "RoleList": Node({"Role": ROLE}),
        "VirtualNetworkName": NAME,
        "Dns": _EMPTY_GROUP,
        "ReservedIPName": _EMPTY_GROUP,
    },
    unsupported=frozenset({"Dns", "ReservedIPName"}),
)

ROLE_OPERATIONS = {
    "StartRoleOperation": Node({"OperationType": NAME}),
    "RestartRoleOperation": Node({"OperationType": NAME}),
    "ShutdownRoleOperation": Node({"OperationType": NAME, "PostShutdownAction": NAME}),
}
