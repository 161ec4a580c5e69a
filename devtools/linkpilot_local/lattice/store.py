"""The VPC Lattice emulation's state: resource gateways and configurations, their lifecycle status."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..util import short_hash

if TYPE_CHECKING:
    from ..store_context import LatticeHost, Settling


GATEWAY_NAME = re.compile(r"^(?!rgw-)(?!-)(?!.*-$)(?!.*--)[a-z0-9-]{3,40}$")
CONFIG_NAME = re.compile(r"^(?!rcfg-)(?!-)(?!.*-$)(?!.*--)[a-z0-9-]{3,40}$")
GATEWAY_ID = re.compile(
    r"^(?:(rgw-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:([a-zA-Z0-9-]+):(\d{12}):resourcegateway/(rgw-[0-9a-z]{17}))$"
)
CONFIG_ID = re.compile(
    r"^(?:(rcfg-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:([a-zA-Z0-9-]+):(\d{12}):resourceconfiguration/(rcfg-[0-9a-z]{17}))$"
)
DOMAIN = re.compile(r"^(?=.{3,255}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z0-9-]{1,63}\.?$")
CONFIG_TYPES = {"GROUP", "CHILD", "SINGLE", "ARN", "CIDR"}
RESOURCE_TYPE = "vpc-lattice:ResourceConfiguration"


@dataclass
class ResourceGateway:
    id: str
    arn: str
    name: str
    account: str
    region: str
    vpc_id: str
    subnet_ids: list[str]
    security_group_ids: list[str]
    ip_address_type: str
    ipv4_addresses_per_eni: int | None
    dns_resolution: str | None
    created_at: datetime
    updated_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    deleted_at: datetime | None = None


@dataclass
class ResourceConfiguration:
    id: str
    arn: str
    name: str
    account: str
    region: str
    type: str
    port_ranges: list[str]
    protocol: str
    gateway_id: str | None
    group_id: str | None
    definition: dict[str, Any] | None
    allow_association: bool
    custom_domain: str | None
    created_at: datetime
    updated_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    deleted_at: datetime | None = None
    # the domain verification named at creation (its status: lattice/domain_verifications.py)
    domain_verification_id: str | None = None

    def ports(self) -> list[tuple[int, int]]:
        out = []
        for item in self.port_ranges:
            low, _, high = item.partition("-")
            out.append((int(low), int(high or low)))
        return out

    def target_host(self) -> str | None:
        """Domain name or IP address the configuration points at (None for ARN/GROUP types)."""
        definition = self.definition or {}
        if "dnsResource" in definition:
            return str(definition["dnsResource"]["domainName"])
        if "ipResource" in definition:
            return str(definition["ipResource"]["ipAddress"])
        return None


@dataclass
class DomainVerification:
    id: str
    arn: str
    account: str
    region: str
    domain_name: str
    created_at: datetime
    updated_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    status: str = "PENDING"  # PENDING | VERIFIED (VERIFICATION_TIMED_OUT is not emulated)
    last_verified: datetime | None = None

    def txt_record(self) -> dict[str, str]:
        """The TXT record to publish (emulation's format: UNVERIFIED)."""
        return {
            "name": f"_vpc-lattice-verification.{self.domain_name}",
            "value": f"vpc-lattice-verification={short_hash(self.id, self.domain_name, length=32)}",
        }


@dataclass
class ServiceNetwork:
    id: str
    arn: str
    name: str
    account: str
    region: str
    auth_type: str
    sharing: bool
    created_at: datetime
    updated_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    deleted_at: datetime | None = None


@dataclass
class ResourceAssociation:
    """A resource configuration associated with a service network."""

    id: str
    arn: str
    network_id: str
    configuration_id: str
    created_by: str
    private_dns_enabled: bool
    dns_name: str
    created_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    deleted_at: datetime | None = None


@dataclass
class VpcAssociation:
    """A VPC associated with a service network (lattice/vpc_associations.py)."""

    id: str
    arn: str
    network_id: str
    vpc_id: str
    created_by: str
    security_group_ids: list[str]
    private_dns_enabled: bool
    created_at: datetime
    updated_at: datetime
    tags: dict[str, str] = field(default_factory=dict)
    deleted_at: datetime | None = None


class LatticeStore:
    def __init__(self) -> None:
        self.gateways: dict[str, ResourceGateway] = {}
        self.configurations: dict[str, ResourceConfiguration] = {}
        self.tokens: dict[tuple[str, str, str], tuple[str, str]] = {}
        # service networks and their resource configuration associations (lattice/service_networks.py)
        self.service_networks: dict[str, ServiceNetwork] = {}
        self.sn_associations: dict[str, ResourceAssociation] = {}
        # service-network VPC associations (lattice/vpc_associations.py)
        self.vpc_associations: dict[str, VpcAssociation] = {}
        # domain verifications of custom domain names (lattice/domain_verifications.py)
        self.domain_verifications: dict[str, DomainVerification] = {}


def lifecycle_status(
    emu: Settling, created: datetime, deleted: datetime | None, creating: timedelta | None = None
) -> str:
    """CREATE_IN_PROGRESS for ``creating`` (default: the emulation's settle), then ACTIVE; DELETE_IN_PROGRESS
    once deleted."""
    now = emu.clock.now()
    if deleted is not None:
        return "DELETE_IN_PROGRESS"
    if now < created + (creating if creating is not None else emu.settle):
        return "CREATE_IN_PROGRESS"
    return "ACTIVE"


def purge(emu: LatticeHost[LatticeStore]) -> None:
    """Forget gateways, configurations, service networks and their (resource and VPC) associations whose
    deletion finished."""
    now = emu.clock.now()
    store = emu.lattice
    for key, gw in list(store.gateways.items()):
        if gw.deleted_at is not None and now >= gw.deleted_at + emu.settle:
            del store.gateways[key]
    for key, cfg in list(store.configurations.items()):
        if cfg.deleted_at is not None and now >= cfg.deleted_at + emu.settle:
            del store.configurations[key]
    for key, assoc in list(store.sn_associations.items()):
        if assoc.deleted_at is not None and now >= assoc.deleted_at + emu.settle:
            del store.sn_associations[key]
    for key, vpc_assoc in list(store.vpc_associations.items()):
        if vpc_assoc.deleted_at is not None and now >= vpc_assoc.deleted_at + emu.settle:
            del store.vpc_associations[key]
    for key, sn in list(store.service_networks.items()):
        gone = sn.deleted_at is not None and now >= sn.deleted_at + emu.settle
        members = [a.network_id for a in store.sn_associations.values()]
        members += [a.network_id for a in store.vpc_associations.values()]
        if gone and key not in members:
            del store.service_networks[key]


def configuration_status(emu: Settling, cfg: ResourceConfiguration) -> str:
    return lifecycle_status(emu, cfg.created_at, cfg.deleted_at)


def find_configuration_by_arn(emu: LatticeHost[LatticeStore], arn: str) -> ResourceConfiguration | None:
    cfg = emu.lattice.configurations.get(arn.rsplit("/", 1)[-1])
    if cfg is None or cfg.arn != arn or cfg.deleted_at is not None:
        return None
    return cfg
