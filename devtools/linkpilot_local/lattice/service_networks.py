"""Service networks and their resource-configuration associations (moto has the former, not the latter).

Operations: Create/Get/List/Delete ServiceNetwork and Create/Get/List/Delete
ServiceNetworkResourceAssociation. The emulation owns service networks entirely (moto's backend never sees
them), so that RAM can share them and a ``ServiceNetwork`` VPC endpoint can list what they reach.

Evidence (botocore model vpc-lattice 2022-11-30): names 3-63 characters of ``[a-z0-9-]`` without leading,
trailing or double hyphens; ids ``sn-`` / ``snra-`` plus 17 characters; an association's status is one of
CREATE_IN_PROGRESS | ACTIVE | PARTIAL | DELETE_IN_PROGRESS | CREATE_FAILED | DELETE_FAILED and a create
answers CREATE_IN_PROGRESS (the public CLI walkthroughs print it). A configuration can join a shareable
service network only when ``allowAssociationToShareableServiceNetwork`` is true (API reference of
CreateResourceConfiguration). UNVERIFIED, emulation choices: a service network is shareable unless created
with ``sharingConfig.enabled`` false; an association's DNS name is
``snra-<id>.<rcfg-id>.<hash>.vpc-lattice-rsc.<region>.on.aws`` (the shape of a resource endpoint's name);
a service network with (resource or VPC) associations cannot be deleted (ConflictException). VPC
associations are in vpc_associations.py.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..errors import lattice_conflict, lattice_not_found, lattice_validation
from ..util import hex_id, short_hash
from .common import check_tags, idempotent, page_of, remember, resolve_configuration
from .store import ResourceAssociation, ServiceNetwork, lifecycle_status

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call

SERVICE_NETWORK_TYPE = "vpc-lattice:ServiceNetwork"
SN_NAME = re.compile(r"^(?!-)(?!.*-$)(?!.*--)[a-z0-9-]{3,63}$")
SN_ID = re.compile(
    r"^(?:(sn-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:([a-zA-Z0-9-]+):(\d{12}):servicenetwork/(sn-[0-9a-z]{17}))$"
)
SNRA_ID = re.compile(
    r"^(?:(snra-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:[a-zA-Z0-9-]+:\d{12}:"
    r"servicenetworkresourceassociation/(snra-[0-9a-f]{17}))$"
)


def is_service_network_arn(arn: str) -> bool:
    return ":servicenetwork/" in arn


def find_service_network_by_arn(emu: EmulationContext, arn: str) -> ServiceNetwork | None:
    sn = emu.lattice.service_networks.get(arn.rsplit("/", 1)[-1])
    if sn is None or sn.arn != arn or sn.deleted_at is not None:
        return None
    return sn


def live_associations(emu: EmulationContext, network_id: str) -> list[ResourceAssociation]:
    """The network's associations whose configuration still exists (what an endpoint on it reaches)."""
    found = []
    for assoc in emu.lattice.sn_associations.values():
        if assoc.network_id != network_id or assoc.deleted_at is not None:
            continue
        cfg = emu.lattice.configurations.get(assoc.configuration_id)
        if cfg is not None and cfg.deleted_at is None:
            found.append(assoc)
    return sorted(found, key=lambda a: (a.created_at, a.id))


def resolve_service_network(
    emu: EmulationContext, call: Call, identifier: str, *, allow_shared: bool = False
) -> ServiceNetwork:
    match = SN_ID.match(identifier or "")
    if not match:
        raise lattice_validation(f"Invalid service network identifier {identifier}", "fieldValidationFailed")
    sn = emu.lattice.service_networks.get(match.group(1) or match.group(4))
    if sn is None or sn.deleted_at is not None or sn.region != call.region:
        raise lattice_not_found(identifier, "SERVICE_NETWORK")
    if match.group(3) and match.group(3) != sn.account:
        raise lattice_not_found(identifier, "SERVICE_NETWORK")
    if sn.account != call.account and not (allow_shared and emu.ram.has_access(call.account, sn.arn)):
        raise lattice_not_found(identifier, "SERVICE_NETWORK")
    return sn


def _status(emu: EmulationContext, created: datetime, deleted: datetime | None) -> str:
    return lifecycle_status(emu, created, deleted)


def _network_view(emu: EmulationContext, sn: ServiceNetwork) -> dict[str, Any]:
    members = [a for a in emu.lattice.sn_associations.values() if a.network_id == sn.id and not a.deleted_at]
    vpcs = [a for a in emu.lattice.vpc_associations.values() if a.network_id == sn.id and not a.deleted_at]
    return {
        "id": sn.id,
        "name": sn.name,
        "arn": sn.arn,
        "authType": sn.auth_type,
        "sharingConfig": {"enabled": sn.sharing},
        "createdAt": sn.created_at,
        "lastUpdatedAt": sn.updated_at,
        "numberOfAssociatedVPCs": len(vpcs),
        "numberOfAssociatedServices": 0,
        "numberOfAssociatedResourceConfigurations": len(members),
    }


# ------------------------------------------------------------------------------------ service networks


def create_service_network(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    view_keys = ("id", "name", "arn", "sharingConfig", "authType")
    existing = idempotent(emu, call, "servicenetwork", emu.lattice.service_networks.get)
    if existing is not None:
        view = _network_view(emu, existing)
        return {k: view[k] for k in view_keys}
    name = p.get("name", "")
    if not SN_NAME.match(name):
        raise lattice_validation(
            f"Invalid service network name {name!r}: 3-63 characters, lowercase letters, digits and single "
            "hyphens, not starting or ending with a hyphen",
            "fieldValidationFailed",
        )
    auth = p.get("authType") or "NONE"
    if auth not in {"NONE", "AWS_IAM"}:
        raise lattice_validation(f"Invalid authType {auth}", "fieldValidationFailed")
    if any(
        s.name == name and s.account == call.account and s.region == call.region and s.deleted_at is None
        for s in emu.lattice.service_networks.values()
    ):
        raise lattice_conflict(f"A service network named {name} already exists", name, "SERVICE_NETWORK")
    now = emu.clock.now()
    sn_id = hex_id("sn-")
    sn = ServiceNetwork(
        id=sn_id,
        arn=f"arn:aws:vpc-lattice:{call.region}:{call.account}:servicenetwork/{sn_id}",
        name=name,
        account=call.account,
        region=call.region,
        auth_type=auth,
        sharing=bool((p.get("sharingConfig") or {}).get("enabled", True)),
        created_at=now,
        updated_at=now,
        tags=check_tags(p.get("tags")),
    )
    emu.lattice.service_networks[sn_id] = sn
    remember(emu, call, "servicenetwork", sn_id)
    view = _network_view(emu, sn)
    return {k: view[k] for k in view_keys}


def get_service_network(emu: EmulationContext, call: Call) -> dict[str, Any]:
    sn = resolve_service_network(emu, call, call.params["serviceNetworkIdentifier"], allow_shared=True)
    view = _network_view(emu, sn)
    view.pop("numberOfAssociatedResourceConfigurations")
    return view


def list_service_networks(emu: EmulationContext, call: Call) -> dict[str, Any]:
    """Owned by or shared with the caller."""
    networks = [
        s
        for s in emu.lattice.service_networks.values()
        if s.deleted_at is None
        and s.region == call.region
        and (s.account == call.account or emu.ram.has_access(call.account, s.arn))
    ]
    page, token = page_of(call, sorted(networks, key=lambda s: s.id), "ListServiceNetworks")
    keys = ("id", "name", "arn", "createdAt", "lastUpdatedAt", "numberOfAssociatedVPCs")
    items = []
    for sn in page:
        view = _network_view(emu, sn)
        items.append(
            {
                **{k: view[k] for k in keys},
                "numberOfAssociatedServices": 0,
                "numberOfAssociatedResourceConfigurations": view["numberOfAssociatedResourceConfigurations"],
            }
        )
    return {"items": items, "nextToken": token}


def delete_service_network(emu: EmulationContext, call: Call) -> dict[str, Any]:
    sn = resolve_service_network(emu, call, call.params["serviceNetworkIdentifier"])
    if any(a.network_id == sn.id and a.deleted_at is None for a in emu.lattice.sn_associations.values()):
        raise lattice_conflict(
            f"Service network {sn.id} still has resource configuration associations", sn.id, "SERVICE_NETWORK"
        )
    if any(a.network_id == sn.id and a.deleted_at is None for a in emu.lattice.vpc_associations.values()):
        message = f"Service network {sn.id} still has VPC associations"
        raise lattice_conflict(message, sn.id, "SERVICE_NETWORK")
    sn.deleted_at = emu.clock.now()
    emu.datapath.refresh()
    return {}


# ---------------------------------------------------------------------- resource configuration associations


def _association_view(emu: EmulationContext, assoc: ResourceAssociation) -> dict[str, Any]:
    sn = emu.lattice.service_networks[assoc.network_id]
    cfg = emu.lattice.configurations[assoc.configuration_id]
    return {
        "id": assoc.id,
        "arn": assoc.arn,
        "status": _status(emu, assoc.created_at, assoc.deleted_at),
        "createdBy": assoc.created_by,
        "createdAt": assoc.created_at,
        "resourceConfigurationId": cfg.id,
        "resourceConfigurationArn": cfg.arn,
        "resourceConfigurationName": cfg.name,
        "serviceNetworkId": sn.id,
        "serviceNetworkArn": sn.arn,
        "serviceNetworkName": sn.name,
        # Route 53 hosted zone ids are upper case (AWS CLI examples: get-service-network-service-association's
        # dnsEntry.hostedZoneId, describe-vpc-endpoint-associations' DnsEntry.HostedZoneId)
        "dnsEntry": {
            "domainName": assoc.dns_name,
            "hostedZoneId": "Z" + short_hash(assoc.id, length=13).upper(),
        },
        "isManagedAssociation": False,
        "privateDnsEnabled": assoc.private_dns_enabled,
    }


def _resolve_association(emu: EmulationContext, call: Call, identifier: str) -> ResourceAssociation:
    match = SNRA_ID.match(identifier or "")
    if not match:
        raise lattice_validation(
            f"Invalid service network resource association identifier {identifier}", "fieldValidationFailed"
        )
    assoc = emu.lattice.sn_associations.get(match.group(1) or match.group(2))
    if assoc is None or assoc.deleted_at is not None or assoc.created_by != call.account:
        raise lattice_not_found(identifier, "SERVICE_NETWORK_RESOURCE_ASSOCIATION")
    return assoc


def create_service_network_resource_association(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    keys = ("id", "arn", "status", "createdBy", "privateDnsEnabled")
    existing = idempotent(emu, call, "servicenetworkresourceassociation", emu.lattice.sn_associations.get)
    if existing is not None:
        view = _association_view(emu, existing)
        return {k: view[k] for k in keys}
    sn = resolve_service_network(emu, call, p["serviceNetworkIdentifier"], allow_shared=True)
    cfg = resolve_configuration(emu, call, p["resourceConfigurationIdentifier"])
    if cfg.type == "CHILD":
        raise lattice_validation(
            "A CHILD resource configuration is associated through its GROUP", "fieldValidationFailed"
        )
    if sn.sharing and not cfg.allow_association:
        raise lattice_validation(
            f"Resource configuration {cfg.id} does not allow association to a shareable service network "
            "(allowAssociationToShareableServiceNetwork is false)",
            "fieldValidationFailed",
        )
    for a in emu.lattice.sn_associations.values():
        if a.network_id == sn.id and a.configuration_id == cfg.id and a.deleted_at is None:
            raise lattice_conflict(
                f"Resource configuration {cfg.id} is already associated with {sn.id}",
                a.id,
                "SERVICE_NETWORK_RESOURCE_ASSOCIATION",
            )
    now = emu.clock.now()
    assoc_id = hex_id("snra-")
    assoc = ResourceAssociation(
        id=assoc_id,
        arn=f"arn:aws:vpc-lattice:{call.region}:{call.account}:servicenetworkresourceassociation/{assoc_id}",
        network_id=sn.id,
        configuration_id=cfg.id,
        created_by=call.account,
        private_dns_enabled=bool(p.get("privateDnsEnabled", False)),
        dns_name=f"{assoc_id}.{cfg.id}.{short_hash(sn.id)}.vpc-lattice-rsc.{call.region}.on.aws",
        created_at=now,
        tags=check_tags(p.get("tags")),
    )
    emu.lattice.sn_associations[assoc_id] = assoc
    remember(emu, call, "servicenetworkresourceassociation", assoc_id)
    emu.datapath.refresh()
    view = _association_view(emu, assoc)
    return {k: view[k] for k in keys}


def get_service_network_resource_association(emu: EmulationContext, call: Call) -> dict[str, Any]:
    assoc = _resolve_association(emu, call, call.params["serviceNetworkResourceAssociationIdentifier"])
    return {**_association_view(emu, assoc), "lastUpdatedAt": assoc.created_at}


def list_service_network_resource_associations(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    network_id = config_id = None
    if p.get("serviceNetworkIdentifier"):
        network_id = resolve_service_network(emu, call, p["serviceNetworkIdentifier"], allow_shared=True).id
    if p.get("resourceConfigurationIdentifier"):
        config_id = resolve_configuration(emu, call, p["resourceConfigurationIdentifier"]).id
    rows = [
        a
        for a in emu.lattice.sn_associations.values()
        if a.deleted_at is None
        and (network_id is None or a.network_id == network_id)
        and (config_id is None or a.configuration_id == config_id)
        and (
            a.created_by == call.account or emu.lattice.service_networks[a.network_id].account == call.account
        )
    ]
    rows.sort(key=lambda a: (a.created_at, a.id))
    page, token = page_of(call, rows, f"ListServiceNetworkResourceAssociations/{network_id}/{config_id}")
    return {"items": [_association_view(emu, a) for a in page], "nextToken": token}


def delete_service_network_resource_association(emu: EmulationContext, call: Call) -> dict[str, Any]:
    assoc = _resolve_association(emu, call, call.params["serviceNetworkResourceAssociationIdentifier"])
    assoc.deleted_at = emu.clock.now()
    emu.datapath.refresh()
    return {"id": assoc.id, "arn": assoc.arn, "status": "DELETE_IN_PROGRESS"}
