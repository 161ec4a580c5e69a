"""Create/Get/List/Update/Delete ResourceConfiguration and ListResourceEndpointAssociations."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

from ..errors import AwsError, lattice_conflict, lattice_validation
from ..util import arn_parts, fingerprint
from .common import (
    check_name,
    idempotent,
    new_resource,
    page_of,
    remember,
    resolve_configuration,
    resolve_gateway,
)
from .domain_verifications import find_verification, verification_of
from .store import (
    CONFIG_NAME,
    CONFIG_TYPES,
    DOMAIN,
    ResourceConfiguration,
    configuration_status,
)

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


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
        if not DOMAIN.match(domain):
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


def _verification_view(emu: EmulationContext, cfg: ResourceConfiguration) -> dict[str, Any]:
    """What a configuration reads back of the domain verification it names: its id, ARN and status
    (terraform-provider-aws TestAccVPCLatticeResourceConfiguration_domainVerification: ``PENDING`` until the
    TXT record is published)."""
    if cfg.domain_verification_id is None:
        return {}
    dv = verification_of(emu, cfg.domain_verification_id)
    arn = f"arn:aws:vpc-lattice:{cfg.region}:{cfg.account}:domainverification/{cfg.domain_verification_id}"
    return {
        "domainVerificationId": cfg.domain_verification_id,
        "domainVerificationArn": dv.arn if dv else arn,
        "domainVerificationStatus": dv.status if dv else None,
    }


def domain_verified(emu: EmulationContext, cfg: ResourceConfiguration) -> bool:
    """Whether the configuration's custom domain name is verified (its verification is VERIFIED)."""
    dv = verification_of(emu, cfg.domain_verification_id)
    return dv is not None and dv.status == "VERIFIED"


def _config_view(emu: EmulationContext, cfg: ResourceConfiguration) -> dict[str, Any]:
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
        **_verification_view(emu, cfg),
    }


def _configuration_parents(emu: EmulationContext, call: Call, cfg_type: str) -> tuple[str | None, str | None]:
    """(group id, gateway id) of a new configuration: a CHILD takes its GROUP's gateway, others name one."""
    gateway_ident = call.params.get("resourceGatewayIdentifier")
    group_ident = call.params.get("resourceConfigurationGroupIdentifier")
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
        group = resolve_configuration(emu, call, group_ident)
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
        gateway_id = resolve_gateway(emu, call, gateway_ident).id
    return group_id, gateway_id


# SINGLE without portRanges: all TCP ports (AWS CLI example create-resource-configuration: portRanges
# ["1-65535"], protocol TCP). GROUP without them is accepted too (terraform-provider-aws
# TestAccVPCLatticeResourceConfiguration_parentChild); that it reads back the same default is UNVERIFIED.
DEFAULT_PORT_RANGES = ("1-65535",)
DEFAULTED_PORT_TYPES = frozenset({"SINGLE", "GROUP"})


def _configuration_ports(
    emu: EmulationContext, cfg_type: str, port_ranges: list[str], group_id: str | None
) -> list[str]:
    """The port ranges by type: none for ARN; all ports when SINGLE or GROUP give none; a CHILD inherits its
    group's; required for CIDR (the emulation's choice, UNVERIFIED)."""
    if cfg_type == "ARN":
        if port_ranges:
            raise lattice_validation("portRanges is not valid for type ARN", "fieldValidationFailed")
    elif cfg_type in DEFAULTED_PORT_TYPES and not port_ranges:
        port_ranges = list(DEFAULT_PORT_RANGES)
    elif cfg_type != "CHILD" and not port_ranges:
        raise lattice_validation(f"portRanges is required for type {cfg_type}", "fieldValidationFailed")
    if cfg_type == "CHILD" and not port_ranges and group_id:
        port_ranges = list(emu.lattice.configurations[group_id].port_ranges)
    _validate_ports(port_ranges)
    return port_ranges


def create_resource_configuration(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    existing = idempotent(emu, call, "resourceconfiguration", emu.lattice.configurations.get)
    if existing is not None:
        return _created_view(emu, existing)
    name = p.get("name", "")
    check_name(CONFIG_NAME, name, "resource configuration")
    cfg_type = p.get("type")
    if cfg_type not in CONFIG_TYPES:
        raise lattice_validation(f"Invalid resource configuration type {cfg_type!r}", "fieldValidationFailed")
    if any(
        c.name == name and c.account == call.account and c.region == call.region and c.deleted_at is None
        for c in emu.lattice.configurations.values()
    ):
        raise lattice_conflict(
            f"A resource configuration named {name} already exists", name, "RESOURCE_CONFIGURATION"
        )
    group_id, gateway_id = _configuration_parents(emu, call, cfg_type)
    definition = _validate_definition(cfg_type, p.get("resourceConfigurationDefinition"))
    port_ranges = _configuration_ports(emu, cfg_type, list(p.get("portRanges") or []), group_id)
    protocol = p.get("protocol") or ("TCP" if cfg_type != "ARN" else None)
    if protocol is not None and protocol not in {"TCP", "TCP_UDP"}:
        raise lattice_validation(f"Invalid protocol {protocol}", "fieldValidationFailed")
    verification = p.get("domainVerificationIdentifier")
    if verification:
        verification = find_verification(emu, call.account, call.region, verification).id
    cfg = ResourceConfiguration(
        **new_resource(emu, call, "rcfg-", "resourceconfiguration"),
        name=name,
        type=cfg_type,
        port_ranges=port_ranges,
        protocol=protocol or "TCP",
        gateway_id=gateway_id,
        group_id=group_id,
        definition=definition,
        allow_association=bool(p.get("allowAssociationToShareableServiceNetwork", True)),
        custom_domain=p.get("customDomainName"),
        domain_verification_id=verification or None,
    )
    emu.lattice.configurations[cfg.id] = cfg
    remember(emu, call, "resourceconfiguration", cfg.id)
    return _created_view(emu, cfg)


def _created_view(emu: EmulationContext, cfg: ResourceConfiguration) -> dict[str, Any]:
    """The configuration as CreateResourceConfiguration answers (the model's output members)."""
    view = _config_view(emu, cfg)
    for key in ("lastUpdatedAt", "amazonManaged", "domainVerificationStatus"):
        view.pop(key, None)
    return view


def get_resource_configuration(emu: EmulationContext, call: Call) -> dict[str, Any]:
    cfg = resolve_configuration(emu, call, call.params["resourceConfigurationIdentifier"], allow_shared=True)
    return _config_view(emu, cfg)


def list_resource_configurations(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    gateway_id = group_id = None
    if p.get("resourceGatewayIdentifier"):
        gateway_id = resolve_gateway(emu, call, p["resourceGatewayIdentifier"]).id
    if p.get("resourceConfigurationGroupIdentifier"):
        group_id = resolve_configuration(emu, call, p["resourceConfigurationGroupIdentifier"]).id
    cfgs = [
        c
        for c in emu.lattice.configurations.values()
        if c.account == call.account
        and c.region == call.region
        and (gateway_id is None or c.gateway_id == gateway_id)
        and (group_id is None or c.group_id == group_id)
    ]
    page, token = page_of(call, cfgs, f"ListResourceConfigurations/{gateway_id}/{group_id}")
    items = []
    for cfg in page:
        view = {"domainVerificationId": None, **_config_view(emu, cfg)}
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
                    "domainVerificationId",
                )
            }
        )
    return {"items": items, "nextToken": token}


def update_resource_configuration(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    cfg = resolve_configuration(emu, call, p["resourceConfigurationIdentifier"])
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
    for key in ("domainVerificationId", "domainVerificationArn", "domainVerificationStatus"):
        view.pop(key, None)  # not members of UpdateResourceConfiguration's output
    return view


def delete_resource_configuration(emu: EmulationContext, call: Call) -> dict[str, Any]:
    cfg = resolve_configuration(emu, call, call.params["resourceConfigurationIdentifier"])
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


def list_resource_endpoint_associations(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    ident = p["resourceConfigurationIdentifier"]
    try:
        cfg = resolve_configuration(emu, call, ident)
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
    page, token = page_of(
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
