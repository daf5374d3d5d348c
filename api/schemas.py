"""What the API reads and writes, as pydantic schemas: the OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

MAX_ID = 2**63 - 1
NO_NUL = r"^[^\x00]*$"


def _encodable(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError("Use text without unpaired surrogate characters.") from error
    return value


def text(max_length: int, *, min_length: int = 0) -> object:
    """A string field as the database can store it: bounded, with no NUL character, valid Unicode."""
    return Annotated[
        str,
        StringConstraints(min_length=min_length, max_length=max_length, pattern=NO_NUL),
        AfterValidator(_encodable),
    ]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class Input(BaseModel):
    """A request body: a JSON object with only the fields the operation knows, so a misspelt one is refused."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, data: object) -> object:
        if not isinstance(data, dict):
            raise ValueError("Send a JSON object.")
        return data


Name63 = text(63, min_length=1)
Name64 = text(64, min_length=1)


class Error(Schema):
    code: str = Field(description="What went wrong, for programs: invalid, not_found, busy, vm_name_taken, ...")
    message: str = Field(description="What went wrong, for people, in the portal's words.")
    fields: dict[str, list[str]] = Field(description="Per request field, the portal's message beside that field.")


# The catalog


class Region(Schema):
    id: int
    name: str


class Size(Schema):
    id: int
    name: str
    label: str
    cores: int
    shared_core: bool
    memory_mb: int
    max_data_disks: int


class ImageVersion(Schema):
    id: int
    release_date: date
    label: str


class Image(Schema):
    id: int
    name: str
    publisher: str
    os_family: Literal["windows", "linux"]
    description: str
    versions: list[ImageVersion] = Field(description="Newest first; a VM is made from one of these.")


# Networks, storage and cloud services


class AffinityGroup(Schema):
    id: int
    name: str
    label: str
    region: str
    created_at: datetime


class AffinityGroupCreate(Input):
    name: Name63
    region: text(50, min_length=1) = Field(description="A region's name, as GET /regions lists them.")


class Subnet(Schema):
    id: int
    name: str
    address_prefix: str


class VirtualNetwork(Schema):
    id: int
    name: str
    affinity_group: int
    region: str
    address_space: str
    subnets: list[Subnet]
    created_at: datetime


class VirtualNetworkCreate(Input):
    name: Name63
    affinity_group: Id
    address_space: text(18, min_length=1) = "10.0.0.0/16"
    subnet_name: text(63, min_length=1) = "Subnet-1"
    subnet_address_prefix: text(18, min_length=1) = "10.0.0.0/24"


class StorageAccount(Schema):
    id: int
    name: str
    region: str
    automatically_generated: bool
    created_at: datetime


class StorageAccountCreate(Input):
    name: text(24, min_length=1) = Field(description="3 to 24 lowercase letters and numbers.")
    region: text(50, min_length=1)


class CloudService(Schema):
    id: int
    name: str
    dns_name: str
    region: str
    affinity_group: int | None
    virtual_network: int | None
    created_at: datetime


class CloudServiceCreate(Input):
    dns_name: text(24, min_length=1) = Field(description="NAME of NAME.cloudapp.net, free across the platform.")
    region: text(50, min_length=1) | None = None
    affinity_group: Id | None = None
    virtual_network: Id | None = None


# Virtual machines and operations


class Reference(Schema):
    id: int
    name: str


class SetPlacement(Schema):
    id: int
    name: str
    fault_domain: int
    update_domain: int


class VirtualMachine(Schema):
    id: int
    name: str
    status: Literal[
        "provisioning",
        "running",
        "stopping",
        "stopped",
        "starting",
        "restarting",
        "deleting",
        "updating",
        "fabric_failure",
    ]
    status_display: str = Field(description="The status in the portal's words, such as Starting (Provisioning).")
    cloud_service: Reference
    dns_name: str
    region: str
    size: str
    image: Reference
    image_version: int
    os_family: Literal["windows", "linux"]
    storage_account: Reference
    subnet: Reference | None
    availability_set: SetPlacement | None
    admin_username: str
    created_at: datetime


class VirtualMachineCreate(Input):
    """The From Gallery wizard's fields. Give dns_name for a stand-alone VM in a new cloud service (with a region,
    affinity_group or virtual_network), or cloud_service to connect to an existing one."""

    image: Id = Field(description="A gallery image, as GET /images lists them.")
    image_version: Id | None = Field(None, description="One of the image's versions; the newest when left out.")
    name: Name64
    admin_username: text(64, min_length=1)
    admin_password: text(123) = Field("", description="Needed unless a Linux image gets an ssh_certificate.")
    ssh_certificate: text(65536) = Field("", description="Linux only: a PEM X.509 certificate wrapping an RSA key.")
    size: text(30, min_length=1) = Field(description="A size's name, as GET /sizes lists them, such as Small.")
    dns_name: text(24) = ""
    region: text(50) | None = None
    affinity_group: Id | None = None
    virtual_network: Id | None = None
    cloud_service: Id | None = None
    storage_account: Id | None = Field(None, description="Left out: the region's automatically generated one.")
    subnet: Id | None = Field(None, description="Required in a virtual network.")
    availability_set: Id | None = Field(None, description="A set of the cloud service the VM connects to.")
    availability_set_name: text(64) = Field("", description="Create a set of this name with the VM.")


class VirtualMachineConfigure(Input):
    """The Configure tab: a field left out keeps its value. availability_set null takes the VM out of its set."""

    size: text(30, min_length=1) | None = None
    availability_set: Id | None = None
    availability_set_name: text(64) = Field("", description="Create a set of this name and move the VM into it.")


class Operation(Schema):
    id: int
    kind: Literal[
        "create", "start", "shutdown", "restart", "configure", "delete", "update", "fabric_failure", "endpoints"
    ]
    status: Literal["InProgress", "Succeeded", "Failed"]
    title: str
    message: str
    error: str | None = Field(description="Why it failed, when it did.")
    target_name: str
    virtual_machine: int | None
    started_at: datetime
    ended_at: datetime | None


class Accepted(Schema):
    """An asynchronous operation was accepted: poll its Location, GET /operations/{id}, until it ends."""

    operation: Operation
    virtual_machine: int | None = Field(description="The VM the operation works on (gone once a delete succeeds).")


# Availability sets


class Member(Schema):
    virtual_machine: Reference
    status: str
    fault_domain: int
    update_domain: int


class AvailabilitySet(Schema):
    id: int
    name: str
    cloud_service: Reference
    fault_domain_count: int
    update_domain_count: int
    member_count: int
    eligible_for_sla: bool = Field(description="Two or more members earn the 99.95% service level.")
    in_compliance: bool = Field(description="No fault or update domain holds two more members than another.")
    members: list[Member]
    created_at: datetime


class AvailabilitySetCreate(Input):
    cloud_service: Id
    name: Name64


# Pages


class Page(Schema):
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """Make the schema of a page of items."""
    return type(name, (Page,), {"__annotations__": {"items": list[item]}})


RegionPage = page_of(Region, "RegionPage")
SizePage = page_of(Size, "SizePage")
ImagePage = page_of(Image, "ImagePage")
AffinityGroupPage = page_of(AffinityGroup, "AffinityGroupPage")
VirtualNetworkPage = page_of(VirtualNetwork, "VirtualNetworkPage")
StorageAccountPage = page_of(StorageAccount, "StorageAccountPage")
CloudServicePage = page_of(CloudService, "CloudServicePage")
VirtualMachinePage = page_of(VirtualMachine, "VirtualMachinePage")
AvailabilitySetPage = page_of(AvailabilitySet, "AvailabilitySetPage")
OperationPage = page_of(Operation, "OperationPage")


# Endpoints and load-balanced sets

Port = Annotated[int, Field(ge=-(2**31), le=2**31 - 1, description="1 to 65535.")]


class Endpoint(Schema):
    id: int
    name: str
    virtual_machine: Reference
    cloud_service: int
    protocol: str = Field(description="tcp or udp.")
    public_port: int
    private_port: int
    load_balanced_set: Reference | None = Field(description="The set it is a member of; null when stand-alone.")
    in_rotation: bool = Field(description="A member the load balancer sends traffic to; false when stand-alone.")
    probe_failures: int = Field(description="A member's probe failures in a row.")
    created_at: datetime


class EndpointCreate(Input):
    name: text(15, min_length=1) = Field(description="Unique among the VM's endpoints, such as HTTP.")
    protocol: text(3) | None = Field(None, description="tcp or udp; left out: tcp, or a set's own when joining one.")
    public_port: Port | None = Field(None, description="Left out when joining a set: the set's.")
    private_port: Port | None = Field(None, description="Left out when joining a set: the set's.")
    load_balanced_set: Id | None = Field(None, description="Join this load-balanced set of the VM's cloud service.")
    load_balanced_set_name: text(64) = Field("", description="Create a load-balanced set of this name with its probe.")
    probe_protocol: text(4) = Field("tcp", description="With a new set: tcp or http.")
    probe_port: Port | None = Field(None, description="With a new set; left out: the private port.")
    probe_path: text(255) = Field("", description="With a new set and an http probe: a path starting with /.")
    probe_interval: Port = Field(15, description="With a new set: seconds between probes.")
    probe_count: Port = Field(2, description="With a new set: failures in a row that take a member out of rotation.")


class EndpointUpdate(Input):
    name: text(15, min_length=1) | None = None
    protocol: text(3) | None = None
    public_port: Port | None = None
    private_port: Port | None = None


class RotationMember(Schema):
    endpoint: Reference
    virtual_machine: Reference
    virtual_machine_status: str
    in_rotation: bool = Field(description="Its probe answers: the load balancer sends it traffic.")
    probe_failures: int


class Probe(Schema):
    protocol: str = Field(description="tcp or http.")
    port: int
    path: str
    interval: int = Field(description="Seconds between probes.")
    count: int = Field(description="Failures in a row that take a member out of rotation.")


class LoadBalancedSet(Schema):
    id: int
    name: str
    cloud_service: Reference
    protocol: str
    public_port: int
    private_port: int
    probe: Probe
    probe_display: str = Field(description="The probe in the portal's words.")
    is_up: bool = Field(description="At least one member is in rotation.")
    in_rotation_count: int
    members: list[RotationMember]
    created_at: datetime


EndpointPage = page_of(Endpoint, "EndpointPage")
LoadBalancedSetPage = page_of(LoadBalancedSet, "LoadBalancedSetPage")


# Applications, their assessment and drills


class RoleMember(Schema):
    virtual_machine: Reference
    fault_domain: int
    update_domain: int
    running: bool
    status_display: str


class ApplicationRole(Schema):
    id: int
    name: str
    availability_set: Reference | None = Field(description="The set that serves the role, when it is a set.")
    virtual_machine: Reference | None = Field(description="The lone VM that serves the role, when it is one.")
    members: list[RoleMember]


class ApplicationDependency(Schema):
    id: int
    role: Reference
    depends_on: Reference = Field(description="The role that `role` cannot serve without.")


class ApplicationSummary(Schema):
    id: int
    name: str
    role_count: int
    has_single_point_of_failure: bool = Field(description="A rack failure or an update round can stop it.")
    created_at: datetime


class Application(ApplicationSummary):
    roles: list[ApplicationRole]
    dependencies: list[ApplicationDependency]


class ApplicationCreate(Input):
    name: Name64


class RoleCreate(Input):
    name: text(64) = Field(description="Unique in the application, such as Web.")
    availability_set: Id | None = Field(None, description="The set that serves the role.")
    virtual_machine: Id | None = Field(None, description="Or: a VM in no set that serves the role alone.")


class DependencyCreate(Input):
    role: Id = Field(description="A role of the application.")
    depends_on: Id = Field(description="The role of the application it cannot serve without.")


class Verdict(Schema):
    scenario: str = Field(description="rack, update or rack_and_update.")
    label: str = Field(description="The scenario in the portal's words.")
    required: bool = Field(description="Whether surviving it is needed to have no single point of failure.")
    survives: bool
    down_roles: list[Reference]
    blamed: Reference | None = Field(description="The deepest role down: the one the application stops for.")
    reasons: list[str]


class Finding(Schema):
    kind: str = Field(
        description="one_vm, no_set, shared_domain, shared_rack, one_rack, one_lb_member or depends_on_weak."
    )
    role: Reference
    text: str


class MinimumMembers(Schema):
    role: Reference
    scenario: str
    label: str
    needed: int | None = Field(description="Members the role needs to survive the scenario; null: no number does.")
    has: int


class Assessment(Schema):
    application: Reference
    up: bool = Field(description="Whether the application serves now.")
    down_roles: list[Reference] = Field(description="Roles down now.")
    single_points_of_failure: list[Reference]
    verdicts: list[Verdict]
    findings: list[Finding]
    minimum_members: list[MinimumMembers]


class DrillEvent(Schema):
    at: datetime
    text: str
    application_up: bool
    down_roles: list[str]
    blamed: str


class Drill(Schema):
    id: int
    application: Reference
    kind: str = Field(description="walk or rack_failure.")
    title: str
    status: str = Field(description="running, completed, stopped or failed.")
    fault_domain: int | None
    role: str = Field(description="A rack failure of one role's set only: that role's name.")
    failure_seconds: int
    stop_requested: bool
    step: int
    steps: int
    predicted_survives: bool
    predicted_down: list[str]
    predicted_blame: str
    went_down: bool
    observed_down: list[str]
    observed_blame: str
    down_seconds: float
    matched_prediction: bool | None = Field(description="Once ended: whether the drill went as the assessment said.")
    outcome: str
    started_at: datetime
    ended_at: datetime | None


class DrillReport(Drill):
    events: list[DrillEvent]


class DrillStart(Input):
    kind: Literal["walk", "rack_failure"] = Field("walk", description="A planned maintenance walk or a rack failure.")
    fault_domain: int | None = Field(None, ge=-(2**15), le=2**15 - 1, description="A rack failure's fault domain.")
    role: Id | None = Field(None, description="A rack failure of this role's set only; left out: every set at once.")
    failure_seconds: int = Field(10, ge=-(2**15), le=2**15 - 1, description="Seconds until service healing, 0 to 60.")


ApplicationPage = page_of(ApplicationSummary, "ApplicationPage")
DrillPage = page_of(Drill, "DrillPage")


class MetricSeries(Schema):
    """A virtual machine's metrics over a span: one list of values per metric, aligned with `times`."""

    virtual_machine: int
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    interval: Literal["raw", "5m", "1h"]
    times: list[datetime]
    metrics: dict[str, list[float | None]] = Field(
        description="cpu_percent, disk_read_bps, disk_write_bps, net_in_bps, net_out_bps; null where no sample."
    )
