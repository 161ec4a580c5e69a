"""VPC Lattice resource gateways and resource configurations (moto has neither).

Operations: Create/Get/List/Update/Delete ResourceGateway, Create/Get/List/Update/Delete
ResourceConfiguration, ListResourceEndpointAssociations, and Tag/Untag/ListTagsForResource for
these ARNs (other ARNs fall through to moto's vpc-lattice backend).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .errors import AwsError, lattice_conflict, lattice_not_found, lattice_validation
from .util import arn_parts, fingerprint, hex_id, paginate

if TYPE_CHECKING:
    from .dispatch import Call
    from .emulation import Emulation

_GATEWAY_NAME = re.compile(r"^(?!rgw-)(?!-)(?!.*-$)(?!.*--)[a-z0-9-]{3,40}$")
_CONFIG_NAME = re.compile(r"^(?!rcfg-)(?!-)(?!.*-$)(?!.*--)[a-z0-9-]{3,40}$")
_GATEWAY_ID = re.compile(
    r"^(?:(rgw-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:([a-zA-Z0-9-]+):(\d{12}):resourcegateway/(rgw-[0-9a-z]{17}))$"
)
_CONFIG_ID = re.compile(
    r"^(?:(rcfg-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:([a-zA-Z0-9-]+):(\d{12}):resourceconfiguration/(rcfg-[0-9a-z]{17}))$"
)
_DOMAIN = re.compile(r"^(?=.{3,255}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z0-9-]{1,63}\.?$")
_TYPES = {"GROUP", "CHILD", "SINGLE", "ARN", "CIDR"}
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


class LatticeStore:
    def __init__(self) -> None:
        self.gateways: dict[str, ResourceGateway] = {}
        self.configurations: dict[str, ResourceConfiguration] = {}
        self.tokens: dict[tuple[str, str, str], tuple[str, str]] = {}


def _status(emu: Emulation, created: datetime, deleted: datetime | None) -> str:
    now = emu.clock.now()
    if deleted is not None:
        return "DELETE_IN_PROGRESS"
    if now < created + emu.settle:
        return "CREATE_IN_PROGRESS"
    return "ACTIVE"


def purge(emu: Emulation) -> None:
    """Forget gateways and configurations whose deletion has finished."""
    now = emu.clock.now()
    store = emu.lattice
    for key, gw in list(store.gateways.items()):
        if gw.deleted_at is not None and now >= gw.deleted_at + emu.settle:
            del store.gateways[key]
    for key, cfg in list(store.configurations.items()):
        if cfg.deleted_at is not None and now >= cfg.deleted_at + emu.settle:
            del store.configurations[key]


def configuration_status(emu: Emulation, cfg: ResourceConfiguration) -> str:
    return _status(emu, cfg.created_at, cfg.deleted_at)


def find_configuration_by_arn(emu: Emulation, arn: str) -> ResourceConfiguration | None:
    cfg = emu.lattice.configurations.get(arn.rsplit("/", 1)[-1])
    if cfg is None or cfg.arn != arn or cfg.deleted_at is not None:
        return None
    return cfg


# ---------------------------------------------------------------------------------------- helpers


def _ec2(emu: Emulation, account: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


def _resolve_gateway(emu: Emulation, call: Call, identifier: str) -> ResourceGateway:
    match = _GATEWAY_ID.match(identifier or "")
    if not match:
        raise lattice_validation(f"Invalid resource gateway identifier {identifier}", "fieldValidationFailed")
    gw_id = match.group(1) or match.group(4)
    if match.group(3) and (match.group(3) != call.account or match.group(2) != call.region):
        raise lattice_not_found(identifier, "RESOURCE_GATEWAY")
    gw = emu.lattice.gateways.get(gw_id)
    if gw is None or gw.account != call.account or gw.region != call.region or gw.deleted_at is not None:
        raise lattice_not_found(identifier, "RESOURCE_GATEWAY")
    return gw


def _resolve_configuration(
    emu: Emulation, call: Call, identifier: str, *, allow_shared: bool = False
) -> ResourceConfiguration:
    match = _CONFIG_ID.match(identifier or "")
    if not match:
        raise lattice_validation(
            f"Invalid resource configuration identifier {identifier}", "fieldValidationFailed"
        )
    cfg_id = match.group(1) or match.group(4)
    cfg = emu.lattice.configurations.get(cfg_id)
    if cfg is None or cfg.deleted_at is not None or cfg.region != call.region:
        raise lattice_not_found(identifier, "RESOURCE_CONFIGURATION")
    if match.group(3) and match.group(3) != cfg.account:
        raise lattice_not_found(identifier, "RESOURCE_CONFIGURATION")
    if cfg.account != call.account and not (allow_shared and emu.ram.has_access(call.account, cfg.arn)):
        raise lattice_not_found(identifier, "RESOURCE_CONFIGURATION")
    return cfg


def _check_name(pattern: re.Pattern[str], name: str, what: str) -> None:
    if not pattern.match(name or ""):
        raise lattice_validation(
            f"Invalid {what} name {name!r}: 3-40 characters, lowercase letters, digits and single hyphens, "
            "not starting or ending with a hyphen",
            "fieldValidationFailed",
        )


def _check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    if len(tags) > 50:
        raise lattice_validation("A resource can have at most 50 tags", "fieldValidationFailed")
    for key in tags:
        if key.lower().startswith("aws:"):
            raise lattice_validation(f"Tag keys can not start with 'aws:': {key}", "fieldValidationFailed")
    return tags


def _idempotent(emu: Emulation, call: Call, kind: str, find: Any) -> Any:
    token = call.params.get("clientToken")
    if not token:
        return None
    entry = emu.lattice.tokens.get((call.account, kind, token))
    if entry is None:
        return None
    digest, resource_id = entry
    if digest != fingerprint(call.params):
        raise lattice_conflict(
            "The client token was already used with different parameters", resource_id, kind.upper()
        )
    return find(resource_id)


def _remember(emu: Emulation, call: Call, kind: str, resource_id: str) -> None:
    token = call.params.get("clientToken")
    if token:
        emu.lattice.tokens[(call.account, kind, token)] = (fingerprint(call.params), resource_id)


def _page(call: Call, items: list[Any], scope: str) -> tuple[list[Any], str | None]:
    max_results = call.params.get("maxResults")
    if max_results is not None and not 1 <= max_results <= 100:
        raise lattice_validation("maxResults must be between 1 and 100", "fieldValidationFailed")
    return paginate(
        items,
        max_results=max_results,
        next_token=call.params.get("nextToken"),
        scope=f"{call.account}/{scope}",
        default_max=100,
        bad_token=lambda: lattice_validation("Invalid pagination token", "fieldValidationFailed"),
    )


# --------------------------------------------------------------------------------- resource gateways


def _gateway_view(emu: Emulation, gw: ResourceGateway, *, vpc_key: str) -> dict[str, Any]:
    return {
        "name": gw.name,
        "id": gw.id,
        "arn": gw.arn,
        "status": _status(emu, gw.created_at, gw.deleted_at),
        vpc_key: gw.vpc_id,
        "subnetIds": gw.subnet_ids,
        "securityGroupIds": gw.security_group_ids,
        "ipAddressType": gw.ip_address_type,
        "ipv4AddressesPerEni": gw.ipv4_addresses_per_eni,
        "resourceConfigDnsResolution": gw.dns_resolution,
        "createdAt": gw.created_at,
        "lastUpdatedAt": gw.updated_at,
    }


def create_resource_gateway(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    existing = _idempotent(emu, call, "resourcegateway", emu.lattice.gateways.get)
    if existing is not None:
        view = _gateway_view(emu, existing, vpc_key="vpcIdentifier")
        view.pop("createdAt")
        view.pop("lastUpdatedAt")
        return view
    name = p.get("name", "")
    _check_name(_GATEWAY_NAME, name, "resource gateway")
    if any(
        g.name == name and g.account == call.account and g.region == call.region and g.deleted_at is None
        for g in emu.lattice.gateways.values()
    ):
        raise lattice_conflict(f"A resource gateway named {name} already exists", name, "RESOURCE_GATEWAY")
    vpc_id = p.get("vpcIdentifier")
    subnet_ids = list(p.get("subnetIds") or [])
    if not vpc_id:
        raise lattice_validation("vpcIdentifier is required", "fieldValidationFailed")
    if not subnet_ids:
        raise lattice_validation("subnetIds is required", "fieldValidationFailed")
    ec2 = _ec2(emu, call.account, call.region)
    if vpc_id not in ec2.vpcs:
        raise lattice_not_found(vpc_id, "VPC")
    zones = set()
    for subnet_id in subnet_ids:
        try:
            subnet = ec2.get_subnet(subnet_id)
        except Exception:  # noqa: BLE001 - moto raises its own InvalidSubnetID.NotFound
            raise lattice_not_found(subnet_id, "SUBNET") from None
        if subnet.vpc_id != vpc_id:
            raise lattice_validation(
                f"Subnet {subnet_id} does not belong to VPC {vpc_id}", "fieldValidationFailed"
            )
        if subnet.availability_zone_id in zones:
            raise lattice_validation(
                "Only one subnet per Availability Zone is allowed", "fieldValidationFailed"
            )
        zones.add(subnet.availability_zone_id)
    sg_ids = list(p.get("securityGroupIds") or [])
    if len(sg_ids) > 5:
        raise lattice_validation("At most 5 security groups are allowed", "fieldValidationFailed")
    for sg_id in sg_ids:
        sg = ec2.get_security_group_from_id(sg_id)
        if sg is None:
            raise lattice_not_found(sg_id, "SECURITY_GROUP")
        if sg.vpc_id != vpc_id:
            raise lattice_validation(
                f"Security group {sg_id} does not belong to VPC {vpc_id}", "fieldValidationFailed"
            )
    if not sg_ids:
        default = ec2.get_default_security_group(vpc_id)
        sg_ids = [default.id] if default is not None else []
    ip_type = p.get("ipAddressType") or "IPV4"
    if ip_type not in {"IPV4", "IPV6", "DUALSTACK"}:
        raise lattice_validation(f"Invalid ipAddressType {ip_type}", "fieldValidationFailed")
    per_eni = p.get("ipv4AddressesPerEni")
    if per_eni is not None and not 1 <= per_eni <= 62:
        raise lattice_validation("ipv4AddressesPerEni must be between 1 and 62", "fieldValidationFailed")
    dns_resolution = p.get("resourceConfigDnsResolution")
    if dns_resolution is not None and dns_resolution not in {"IN_VPC", "PUBLIC"}:
        raise lattice_validation(
            f"Invalid resourceConfigDnsResolution {dns_resolution}", "fieldValidationFailed"
        )
    tags = _check_tags(p.get("tags"))
    now = emu.clock.now()
    gw_id = hex_id("rgw-")
    gw = ResourceGateway(
        id=gw_id,
        arn=f"arn:aws:vpc-lattice:{call.region}:{call.account}:resourcegateway/{gw_id}",
        name=name,
        account=call.account,
        region=call.region,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        security_group_ids=sg_ids,
        ip_address_type=ip_type,
        ipv4_addresses_per_eni=per_eni if per_eni is not None else (16 if ip_type != "IPV6" else None),
        dns_resolution=dns_resolution or "IN_VPC",
        created_at=now,
        updated_at=now,
        tags=tags,
    )
    emu.lattice.gateways[gw_id] = gw
    _remember(emu, call, "resourcegateway", gw_id)
    view = _gateway_view(emu, gw, vpc_key="vpcIdentifier")
    view.pop("createdAt")
    view.pop("lastUpdatedAt")
    return view


def get_resource_gateway(emu: Emulation, call: Call) -> dict[str, Any]:
    gw = _resolve_gateway(emu, call, call.params["resourceGatewayIdentifier"])
    return _gateway_view(emu, gw, vpc_key="vpcId")


def list_resource_gateways(emu: Emulation, call: Call) -> dict[str, Any]:
    gws = [g for g in emu.lattice.gateways.values() if g.account == call.account and g.region == call.region]
    page, token = _page(call, gws, "ListResourceGateways")
    return {"items": [_gateway_view(emu, g, vpc_key="vpcIdentifier") for g in page], "nextToken": token}


def update_resource_gateway(emu: Emulation, call: Call) -> dict[str, Any]:
    gw = _resolve_gateway(emu, call, call.params["resourceGatewayIdentifier"])
    sg_ids = call.params.get("securityGroupIds")
    if sg_ids is not None:
        ec2 = _ec2(emu, call.account, call.region)
        for sg_id in sg_ids:
            sg = ec2.get_security_group_from_id(sg_id)
            if sg is None or sg.vpc_id != gw.vpc_id:
                raise lattice_validation(f"Invalid security group {sg_id}", "fieldValidationFailed")
        gw.security_group_ids = list(sg_ids)
        gw.updated_at = emu.clock.now()
    view = _gateway_view(emu, gw, vpc_key="vpcId")
    for key in ("createdAt", "lastUpdatedAt", "resourceConfigDnsResolution"):
        view.pop(key)
    return view


def delete_resource_gateway(emu: Emulation, call: Call) -> dict[str, Any]:
    gw = _resolve_gateway(emu, call, call.params["resourceGatewayIdentifier"])
    if any(c.gateway_id == gw.id and c.deleted_at is None for c in emu.lattice.configurations.values()):
        raise lattice_conflict(
            f"Resource gateway {gw.id} still has resource configurations", gw.id, "RESOURCE_GATEWAY"
        )
    gw.deleted_at = emu.clock.now()
    return {"id": gw.id, "arn": gw.arn, "name": gw.name, "status": "DELETE_IN_PROGRESS"}


# --------------------------------------------------------------------------- resource configurations


def _validate_ports(port_ranges: list[str]) -> None:
    for item in port_ranges:
        match = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", item or "")
        if not match:
            raise lattice_validation(f"Invalid port range {item!r}", "fieldValidationFailed")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        if not (1 <= low <= 65535 and 1 <= high <= 65535 and low <= high):
            raise lattice_validation(f"Invalid port range {item!r}", "fieldValidationFailed")


def _validate_definition(cfg_type: str, definition: dict[str, Any] | None) -> dict[str, Any] | None:
    if cfg_type == "GROUP":
        if definition:
            raise lattice_validation(
                "A GROUP resource configuration takes no definition", "fieldValidationFailed"
            )
        return None
    if not definition:
        raise lattice_validation(
            f"resourceConfigurationDefinition is required for type {cfg_type}", "fieldValidationFailed"
        )
    kinds = [k for k in ("dnsResource", "ipResource", "arnResource", "cidrResource") if definition.get(k)]
    if len(kinds) != 1:
        raise lattice_validation("Exactly one resource definition must be given", "fieldValidationFailed")
    kind = kinds[0]
    allowed = {
        "SINGLE": {"dnsResource", "ipResource"},
        "CHILD": {"dnsResource", "ipResource"},
        "ARN": {"arnResource"},
        "CIDR": {"cidrResource"},
    }[cfg_type]
    if kind not in allowed:
        raise lattice_validation(f"{kind} is not valid for type {cfg_type}", "fieldValidationFailed")
    value = dict(definition[kind])
    if kind == "dnsResource":
        domain = value.get("domainName", "")
        if not _DOMAIN.match(domain):
            raise lattice_validation(f"Invalid domain name {domain!r}", "fieldValidationFailed")
        ip_type = value.setdefault("ipAddressType", "IPV4")
        if ip_type not in {"IPV4", "IPV6", "DUALSTACK"}:
            raise lattice_validation(f"Invalid ipAddressType {ip_type}", "fieldValidationFailed")
    elif kind == "ipResource":
        try:
            ipaddress.ip_address(value.get("ipAddress", ""))
        except ValueError:
            raise lattice_validation(
                f"Invalid IP address {value.get('ipAddress')!r}", "fieldValidationFailed"
            ) from None
    elif kind == "arnResource":
        if arn_parts(value.get("arn", "")) is None:
            raise lattice_validation(f"Invalid ARN {value.get('arn')!r}", "fieldValidationFailed")
    elif kind == "cidrResource":
        try:
            ipaddress.ip_network(value.get("ipv4Cidr") or value.get("cidr") or "", strict=True)
        except ValueError:
            raise lattice_validation("Invalid CIDR", "fieldValidationFailed") from None
    return {kind: value}


def _config_view(emu: Emulation, cfg: ResourceConfiguration) -> dict[str, Any]:
    return {
        "id": cfg.id,
        "name": cfg.name,
        "arn": cfg.arn,
        "resourceGatewayId": cfg.gateway_id,
        "resourceConfigurationGroupId": cfg.group_id,
        "type": cfg.type,
        "portRanges": cfg.port_ranges,
        "protocol": cfg.protocol,
        "status": configuration_status(emu, cfg),
        "resourceConfigurationDefinition": cfg.definition,
        "allowAssociationToShareableServiceNetwork": cfg.allow_association,
        "customDomainName": cfg.custom_domain,
        "createdAt": cfg.created_at,
        "lastUpdatedAt": cfg.updated_at,
        "amazonManaged": False,
    }


def create_resource_configuration(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    existing = _idempotent(emu, call, "resourceconfiguration", emu.lattice.configurations.get)
    if existing is not None:
        view = _config_view(emu, existing)
        view.pop("lastUpdatedAt")
        view.pop("amazonManaged")
        return view
    name = p.get("name", "")
    _check_name(_CONFIG_NAME, name, "resource configuration")
    cfg_type = p.get("type")
    if cfg_type not in _TYPES:
        raise lattice_validation(f"Invalid resource configuration type {cfg_type!r}", "fieldValidationFailed")
    if any(
        c.name == name and c.account == call.account and c.region == call.region and c.deleted_at is None
        for c in emu.lattice.configurations.values()
    ):
        raise lattice_conflict(
            f"A resource configuration named {name} already exists", name, "RESOURCE_CONFIGURATION"
        )
    gateway_ident = p.get("resourceGatewayIdentifier")
    group_ident = p.get("resourceConfigurationGroupIdentifier")
    gateway_id: str | None = None
    group_id: str | None = None
    if cfg_type == "CHILD":
        if not group_ident:
            raise lattice_validation(
                "resourceConfigurationGroupIdentifier is required for type CHILD", "fieldValidationFailed"
            )
        if gateway_ident:
            raise lattice_validation(
                "A CHILD configuration takes its group's gateway", "fieldValidationFailed"
            )
        group = _resolve_configuration(emu, call, group_ident)
        if group.type != "GROUP":
            raise lattice_validation(f"{group_ident} is not a GROUP configuration", "fieldValidationFailed")
        group_id, gateway_id = group.id, group.gateway_id
    else:
        if group_ident:
            raise lattice_validation(
                "resourceConfigurationGroupIdentifier is only valid for type CHILD", "fieldValidationFailed"
            )
        if not gateway_ident:
            raise lattice_validation(
                f"resourceGatewayIdentifier is required for type {cfg_type}", "fieldValidationFailed"
            )
        gateway_id = _resolve_gateway(emu, call, gateway_ident).id
    definition = _validate_definition(cfg_type, p.get("resourceConfigurationDefinition"))
    port_ranges = list(p.get("portRanges") or [])
    if cfg_type == "ARN":
        if port_ranges:
            raise lattice_validation("portRanges is not valid for type ARN", "fieldValidationFailed")
    elif cfg_type != "CHILD" and not port_ranges:
        raise lattice_validation(f"portRanges is required for type {cfg_type}", "fieldValidationFailed")
    if cfg_type == "CHILD" and not port_ranges and group_id:
        port_ranges = list(emu.lattice.configurations[group_id].port_ranges)
    _validate_ports(port_ranges)
    protocol = p.get("protocol") or ("TCP" if cfg_type != "ARN" else None)
    if protocol is not None and protocol not in {"TCP", "TCP_UDP"}:
        raise lattice_validation(f"Invalid protocol {protocol}", "fieldValidationFailed")
    tags = _check_tags(p.get("tags"))
    now = emu.clock.now()
    cfg_id = hex_id("rcfg-")
    cfg = ResourceConfiguration(
        id=cfg_id,
        arn=f"arn:aws:vpc-lattice:{call.region}:{call.account}:resourceconfiguration/{cfg_id}",
        name=name,
        account=call.account,
        region=call.region,
        type=cfg_type,
        port_ranges=port_ranges,
        protocol=protocol or "TCP",
        gateway_id=gateway_id,
        group_id=group_id,
        definition=definition,
        allow_association=bool(p.get("allowAssociationToShareableServiceNetwork", True)),
        custom_domain=p.get("customDomainName"),
        created_at=now,
        updated_at=now,
        tags=tags,
    )
    emu.lattice.configurations[cfg_id] = cfg
    _remember(emu, call, "resourceconfiguration", cfg_id)
    view = _config_view(emu, cfg)
    view.pop("lastUpdatedAt")
    view.pop("amazonManaged")
    return view


def get_resource_configuration(emu: Emulation, call: Call) -> dict[str, Any]:
    cfg = _resolve_configuration(emu, call, call.params["resourceConfigurationIdentifier"], allow_shared=True)
    return _config_view(emu, cfg)


def list_resource_configurations(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    gateway_id = group_id = None
    if p.get("resourceGatewayIdentifier"):
        gateway_id = _resolve_gateway(emu, call, p["resourceGatewayIdentifier"]).id
    if p.get("resourceConfigurationGroupIdentifier"):
        group_id = _resolve_configuration(emu, call, p["resourceConfigurationGroupIdentifier"]).id
    cfgs = [
        c
        for c in emu.lattice.configurations.values()
        if c.account == call.account
        and c.region == call.region
        and (gateway_id is None or c.gateway_id == gateway_id)
        and (group_id is None or c.group_id == group_id)
    ]
    page, token = _page(call, cfgs, f"ListResourceConfigurations/{gateway_id}/{group_id}")
    items = []
    for cfg in page:
        view = _config_view(emu, cfg)
        items.append(
            {
                k: view[k]
                for k in (
                    "id",
                    "name",
                    "arn",
                    "resourceGatewayId",
                    "resourceConfigurationGroupId",
                    "type",
                    "status",
                    "amazonManaged",
                    "createdAt",
                    "lastUpdatedAt",
                    "customDomainName",
                )
            }
        )
    return {"items": items, "nextToken": token}


def update_resource_configuration(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    cfg = _resolve_configuration(emu, call, p["resourceConfigurationIdentifier"])
    definition = cfg.definition
    if p.get("resourceConfigurationDefinition") is not None:
        definition = _validate_definition(cfg.type, p["resourceConfigurationDefinition"])
    port_ranges = cfg.port_ranges
    if p.get("portRanges") is not None:
        if cfg.type == "ARN":
            raise lattice_validation("portRanges is not valid for type ARN", "fieldValidationFailed")
        port_ranges = list(p["portRanges"])
        _validate_ports(port_ranges)
    cfg.definition = definition
    cfg.port_ranges = port_ranges
    if p.get("allowAssociationToShareableServiceNetwork") is not None:
        cfg.allow_association = bool(p["allowAssociationToShareableServiceNetwork"])
    cfg.updated_at = emu.clock.now()
    emu.datapath.refresh()
    view = _config_view(emu, cfg)
    for key in ("createdAt", "lastUpdatedAt", "amazonManaged", "customDomainName"):
        view.pop(key)
    return view


def delete_resource_configuration(emu: Emulation, call: Call) -> dict[str, Any]:
    cfg = _resolve_configuration(emu, call, call.params["resourceConfigurationIdentifier"])
    if cfg.type == "GROUP" and any(
        c.group_id == cfg.id and c.deleted_at is None for c in emu.lattice.configurations.values()
    ):
        raise lattice_conflict(
            f"Resource configuration group {cfg.id} still has child configurations",
            cfg.id,
            "RESOURCE_CONFIGURATION",
        )
    cfg.deleted_at = emu.clock.now()
    emu.datapath.refresh()
    return {}


def list_resource_endpoint_associations(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    ident = p["resourceConfigurationIdentifier"]
    try:
        cfg = _resolve_configuration(emu, call, ident)
    except AwsError as err:
        if err.code == "ValidationException":
            raise
        raise AwsError(
            "AccessDeniedException", f"User is not authorized to access resource configuration {ident}"
        ) from None
    endpoints = [
        e
        for e in emu.endpoints.all()
        if e.resource_configuration_arn == cfg.arn
        and e.state_now() not in {"deleting", "deleted"}
        and (not p.get("vpcEndpointId") or e.id == p["vpcEndpointId"])
        and (not p.get("vpcEndpointOwner") or e.owner_id == p["vpcEndpointOwner"])
        and (
            not p.get("resourceEndpointAssociationIdentifier")
            or p["resourceEndpointAssociationIdentifier"]
            in {e.lattice_association_id, e.lattice_association_arn}
        )
    ]
    page, token = _page(
        call,
        endpoints,
        f"ListResourceEndpointAssociations/{cfg.id}/{fingerprint(p, ignore=('nextToken', 'maxResults'))}",
    )
    items = [
        {
            "id": e.lattice_association_id,
            "arn": e.lattice_association_arn,
            "resourceConfigurationId": cfg.id,
            "resourceConfigurationArn": cfg.arn,
            "resourceConfigurationName": cfg.name,
            "vpcEndpointId": e.id,
            "vpcEndpointOwner": e.owner_id,
            "createdBy": e.owner_id,
            "createdAt": e.creation_timestamp,
        }
        for e in page
    ]
    return {"items": items, "nextToken": token}


# ------------------------------------------------------------------------------------------- tags


def _tagged(emu: Emulation, call: Call, arn: str) -> ResourceGateway | ResourceConfiguration | None:
    """The gateway/configuration an ARN names, or None if the ARN is not one of ours (moto's then)."""
    if ":resourcegateway/" in arn:
        return _resolve_gateway(emu, call, arn)
    if ":resourceconfiguration/" in arn:
        return _resolve_configuration(emu, call, arn)
    return None


def tag_resource(emu: Emulation, call: Call) -> dict[str, Any] | None:
    target = _tagged(emu, call, call.params["resourceArn"])
    if target is None:
        return None
    merged = {**target.tags, **call.params.get("tags", {})}
    target.tags = _check_tags(merged)
    return {}


def untag_resource(emu: Emulation, call: Call) -> dict[str, Any] | None:
    target = _tagged(emu, call, call.params["resourceArn"])
    if target is None:
        return None
    for key in call.params.get("tagKeys", []):
        target.tags.pop(key, None)
    return {}


def list_tags_for_resource(emu: Emulation, call: Call) -> dict[str, Any] | None:
    target = _tagged(emu, call, call.params["resourceArn"])
    if target is None:
        return None
    return {"tags": dict(target.tags)}


HANDLERS = {
    "CreateResourceGateway": create_resource_gateway,
    "GetResourceGateway": get_resource_gateway,
    "ListResourceGateways": list_resource_gateways,
    "UpdateResourceGateway": update_resource_gateway,
    "DeleteResourceGateway": delete_resource_gateway,
    "CreateResourceConfiguration": create_resource_configuration,
    "GetResourceConfiguration": get_resource_configuration,
    "ListResourceConfigurations": list_resource_configurations,
    "UpdateResourceConfiguration": update_resource_configuration,
    "DeleteResourceConfiguration": delete_resource_configuration,
    "ListResourceEndpointAssociations": list_resource_endpoint_associations,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
}
