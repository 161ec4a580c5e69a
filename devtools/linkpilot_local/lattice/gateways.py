"""Create/Get/List/Update/Delete ResourceGateway."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import lattice_conflict, lattice_not_found, lattice_validation
from .common import (
    check_name,
    ec2_backend,
    idempotent,
    new_resource,
    page_of,
    remember,
    resolve_gateway,
)
from .store import (
    GATEWAY_NAME,
    ResourceGateway,
    lifecycle_status,
)

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


# --------------------------------------------------------------------------------- resource gateways


def _gateway_view(emu: EmulationContext, gw: ResourceGateway, *, vpc_key: str) -> dict[str, Any]:
    return {
        "name": gw.name,
        "id": gw.id,
        "arn": gw.arn,
        "status": lifecycle_status(emu, gw.created_at, gw.deleted_at),
        vpc_key: gw.vpc_id,
        "subnetIds": gw.subnet_ids,
        "securityGroupIds": gw.security_group_ids,
        "ipAddressType": gw.ip_address_type,
        "ipv4AddressesPerEni": gw.ipv4_addresses_per_eni,
        "resourceConfigDnsResolution": gw.dns_resolution,
        "createdAt": gw.created_at,
        "lastUpdatedAt": gw.updated_at,
    }


def _check_gateway_subnets(ec2: Any, vpc_id: str, subnet_ids: list[str]) -> None:
    """Every subnet exists, in the VPC, at most one per Availability Zone."""
    zones: set[str] = set()
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


def _gateway_security_groups(ec2: Any, vpc_id: str, sg_ids: list[str]) -> list[str]:
    """At most 5 groups, each in the VPC; the VPC's default group when none is given."""
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
    return sg_ids


def create_resource_gateway(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    existing = idempotent(emu, call, "resourcegateway", emu.lattice.gateways.get)
    if existing is not None:
        view = _gateway_view(emu, existing, vpc_key="vpcIdentifier")
        view.pop("createdAt")
        view.pop("lastUpdatedAt")
        return view
    name = p.get("name", "")
    check_name(GATEWAY_NAME, name, "resource gateway")
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
    ec2 = ec2_backend(emu, call.account, call.region)
    if vpc_id not in ec2.vpcs:
        raise lattice_not_found(vpc_id, "VPC")
    _check_gateway_subnets(ec2, vpc_id, subnet_ids)
    sg_ids = _gateway_security_groups(ec2, vpc_id, list(p.get("securityGroupIds") or []))
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
    gw = ResourceGateway(
        **new_resource(emu, call, "rgw-", "resourcegateway"),
        name=name,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        security_group_ids=sg_ids,
        ip_address_type=ip_type,
        ipv4_addresses_per_eni=per_eni if per_eni is not None else (16 if ip_type != "IPV6" else None),
        dns_resolution=dns_resolution or "IN_VPC",
    )
    emu.lattice.gateways[gw.id] = gw
    remember(emu, call, "resourcegateway", gw.id)
    view = _gateway_view(emu, gw, vpc_key="vpcIdentifier")
    view.pop("createdAt")
    view.pop("lastUpdatedAt")
    return view


def get_resource_gateway(emu: EmulationContext, call: Call) -> dict[str, Any]:
    gw = resolve_gateway(emu, call, call.params["resourceGatewayIdentifier"])
    return _gateway_view(emu, gw, vpc_key="vpcId")


def list_resource_gateways(emu: EmulationContext, call: Call) -> dict[str, Any]:
    gws = [g for g in emu.lattice.gateways.values() if g.account == call.account and g.region == call.region]
    page, token = page_of(call, gws, "ListResourceGateways")
    return {"items": [_gateway_view(emu, g, vpc_key="vpcIdentifier") for g in page], "nextToken": token}


def update_resource_gateway(emu: EmulationContext, call: Call) -> dict[str, Any]:
    gw = resolve_gateway(emu, call, call.params["resourceGatewayIdentifier"])
    sg_ids = call.params.get("securityGroupIds")
    if sg_ids is not None:
        ec2 = ec2_backend(emu, call.account, call.region)
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


def delete_resource_gateway(emu: EmulationContext, call: Call) -> dict[str, Any]:
    gw = resolve_gateway(emu, call, call.params["resourceGatewayIdentifier"])
    if any(c.gateway_id == gw.id and c.deleted_at is None for c in emu.lattice.configurations.values()):
        raise lattice_conflict(
            f"Resource gateway {gw.id} still has resource configurations", gw.id, "RESOURCE_GATEWAY"
        )
    gw.deleted_at = emu.clock.now()
    return {"id": gw.id, "arn": gw.arn, "name": gw.name, "status": "DELETE_IN_PROGRESS"}
