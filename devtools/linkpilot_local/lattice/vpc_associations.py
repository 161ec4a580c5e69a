"""Service-network VPC associations: Create/Get/List/Delete ServiceNetworkVpcAssociation.

Evidence (botocore model vpc-lattice 2022-11-30): create takes ``serviceNetworkIdentifier`` (id or ARN),
``vpcIdentifier``, up to 5 ``securityGroupIds``, ``privateDnsEnabled``, ``tags`` and an idempotent
``clientToken``; ids ``snva-`` plus 17 characters; status one of CREATE_IN_PROGRESS | ACTIVE |
UPDATE_IN_PROGRESS | DELETE_IN_PROGRESS | CREATE_FAILED | DELETE_FAILED | UPDATE_FAILED; the list "must"
be filtered by the service network or the VPC (ListServiceNetworkVpcAssociations documentation); "You
can't disassociate the VPC if there is a create or update association in progress"
(DeleteServiceNetworkVpcAssociation) and a create can't run "if there is a disassociation in progress"
(CreateServiceNetworkVpcAssociation); "security groups aren't added by default"; the association exists in
the service network account and the VPC owner account (both can read it). "You can connect a VPC to only
one service network through an association" (VPC Lattice User Guide, service-networks.html). Accounts a
network is shared with "can associate those entities with entities in their account" (User Guide,
sharing.html).

UNVERIFIED, emulation choices: the error codes for an unknown VPC (ResourceNotFoundException) and a security
group outside the VPC (ValidationException); a second association of the same VPC is a ConflictException;
an association outlives its network's RAM share (it stays listed for the VPC owner, who deletes it); the
network owner may delete it too; a deleting association stays listed (DELETE_IN_PROGRESS) until it is
gone; ``privateDnsEnabled`` is echoed as given (false when absent). Traffic through an association is not
emulated (the data path only knows endpoints).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..errors import lattice_conflict, lattice_not_found, lattice_validation
from ..util import hex_id
from .common import check_tags, ec2_backend, idempotent, page_of, remember
from .service_networks import resolve_service_network
from .store import VpcAssociation, lifecycle_status

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call

SNVA_ID = re.compile(
    r"^(?:(snva-[0-9a-z]{17})|arn:[a-z0-9-]+:vpc-lattice:[a-zA-Z0-9-]+:\d{12}:"
    r"servicenetworkvpcassociation/(snva-[0-9a-z]{17}))$"
)
VPC_ID = re.compile(r"^vpc-(?:[0-9a-z]{8}|[0-9a-z]{17})$")
MAX_SECURITY_GROUPS = 5
KIND = "servicenetworkvpcassociation"


def _status(emu: EmulationContext, assoc: VpcAssociation) -> str:
    return lifecycle_status(emu, assoc.created_at, assoc.deleted_at, emu.delays.association_creating)


def _visible(emu: EmulationContext, call: Call, assoc: VpcAssociation) -> bool:
    network = emu.lattice.service_networks[assoc.network_id]
    return call.account in (assoc.created_by, network.account) and network.region == call.region


def _view(emu: EmulationContext, assoc: VpcAssociation) -> dict[str, Any]:
    sn = emu.lattice.service_networks[assoc.network_id]
    return {
        "id": assoc.id,
        "arn": assoc.arn,
        "status": _status(emu, assoc),
        "createdBy": assoc.created_by,
        "createdAt": assoc.created_at,
        "lastUpdatedAt": assoc.updated_at,
        "serviceNetworkId": sn.id,
        "serviceNetworkName": sn.name,
        "serviceNetworkArn": sn.arn,
        "vpcId": assoc.vpc_id,
        "securityGroupIds": list(assoc.security_group_ids),
        "privateDnsEnabled": assoc.private_dns_enabled,
    }


def resolve_vpc_association(emu: EmulationContext, call: Call, identifier: str) -> VpcAssociation:
    match = SNVA_ID.match(identifier or "")
    if not match:
        raise lattice_validation(
            f"Invalid service network VPC association identifier {identifier}", "fieldValidationFailed"
        )
    assoc = emu.lattice.vpc_associations.get(match.group(1) or match.group(2))
    if assoc is None or not _visible(emu, call, assoc):
        raise lattice_not_found(identifier, "SERVICE_NETWORK_VPC_ASSOCIATION")
    return assoc


def find_vpc_association_by_arn(emu: EmulationContext, call: Call, arn: str) -> VpcAssociation | None:
    """The association an ARN names (for tagging), or None when the ARN is not an association's."""
    if f":{KIND}/" not in arn:
        return None
    return resolve_vpc_association(emu, call, arn)


def _checked_security_groups(emu: EmulationContext, call: Call, vpc_id: str, sg_ids: list[str]) -> list[str]:
    if len(sg_ids) > MAX_SECURITY_GROUPS:
        raise lattice_validation(
            f"At most {MAX_SECURITY_GROUPS} security groups per association", "fieldValidationFailed"
        )
    ec2 = ec2_backend(emu, call.account, call.region)
    for sg_id in sg_ids:
        sg = ec2.get_security_group_from_id(sg_id)
        if sg is None or sg.vpc_id != vpc_id:
            raise lattice_validation(
                f"Security group {sg_id} does not exist in VPC {vpc_id}", "fieldValidationFailed"
            )
    return list(sg_ids)


def create_service_network_vpc_association(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    keys = ("id", "arn", "status", "createdBy", "securityGroupIds", "privateDnsEnabled")
    existing = idempotent(emu, call, KIND, emu.lattice.vpc_associations.get)
    if existing is not None:
        view = _view(emu, existing)
        return {k: view[k] for k in keys}
    sn = resolve_service_network(emu, call, p["serviceNetworkIdentifier"], allow_shared=True)
    vpc_id = p.get("vpcIdentifier", "")
    if not VPC_ID.match(vpc_id):
        raise lattice_validation(f"Invalid VPC identifier {vpc_id}", "fieldValidationFailed")
    if vpc_id not in ec2_backend(emu, call.account, call.region).vpcs:
        raise lattice_not_found(vpc_id, "VPC")
    sg_ids = _checked_security_groups(emu, call, vpc_id, list(p.get("securityGroupIds") or []))
    now = emu.clock.now()
    for other in emu.lattice.vpc_associations.values():
        settled = other.deleted_at is not None and now >= other.deleted_at + emu.settle
        if other.vpc_id == vpc_id and other.created_by == call.account and not settled:
            # one service network per VPC through an association; a disassociation in progress blocks too
            raise lattice_conflict(
                f"VPC {vpc_id} is already associated with service network {other.network_id} "
                f"({_status(emu, other)})",
                other.id,
                "SERVICE_NETWORK_VPC_ASSOCIATION",
            )
    assoc_id = hex_id("snva-")
    assoc = VpcAssociation(
        id=assoc_id,
        arn=f"arn:aws:vpc-lattice:{call.region}:{call.account}:{KIND}/{assoc_id}",
        network_id=sn.id,
        vpc_id=vpc_id,
        created_by=call.account,
        security_group_ids=sg_ids,
        private_dns_enabled=bool(p.get("privateDnsEnabled", False)),
        created_at=now,
        updated_at=now,
        tags=check_tags(p.get("tags")),
    )
    emu.lattice.vpc_associations[assoc_id] = assoc
    remember(emu, call, KIND, assoc_id)
    view = _view(emu, assoc)
    return {k: view[k] for k in keys}


def get_service_network_vpc_association(emu: EmulationContext, call: Call) -> dict[str, Any]:
    assoc = resolve_vpc_association(emu, call, call.params["serviceNetworkVpcAssociationIdentifier"])
    return _view(emu, assoc)


def list_service_network_vpc_associations(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    network_id = vpc_id = None
    if p.get("serviceNetworkIdentifier"):
        network_id = resolve_service_network(emu, call, p["serviceNetworkIdentifier"], allow_shared=True).id
    if p.get("vpcIdentifier"):
        vpc_id = p["vpcIdentifier"]
        if not VPC_ID.match(vpc_id):
            raise lattice_validation(f"Invalid VPC identifier {vpc_id}", "fieldValidationFailed")
    if network_id is None and vpc_id is None:
        raise lattice_validation(
            "Either serviceNetworkIdentifier or vpcIdentifier is required", "fieldValidationFailed"
        )
    rows = [
        a
        for a in emu.lattice.vpc_associations.values()
        if (network_id is None or a.network_id == network_id)
        and (vpc_id is None or a.vpc_id == vpc_id)
        and _visible(emu, call, a)
    ]
    rows.sort(key=lambda a: (a.created_at, a.id))
    page, token = page_of(call, rows, f"ListServiceNetworkVpcAssociations/{network_id}/{vpc_id}")
    summary = (
        *("id", "arn", "status", "createdBy", "createdAt", "lastUpdatedAt", "serviceNetworkId"),
        *("serviceNetworkName", "serviceNetworkArn", "vpcId", "privateDnsEnabled"),
    )
    return {"items": [{k: _view(emu, a)[k] for k in summary} for a in page], "nextToken": token}


def delete_service_network_vpc_association(emu: EmulationContext, call: Call) -> dict[str, Any]:
    assoc = resolve_vpc_association(emu, call, call.params["serviceNetworkVpcAssociationIdentifier"])
    if assoc.deleted_at is not None:  # the model marks the delete idempotent: a repeat answers the same
        return {"id": assoc.id, "arn": assoc.arn, "status": "DELETE_IN_PROGRESS"}
    if _status(emu, assoc) == "CREATE_IN_PROGRESS":
        raise lattice_conflict(
            f"Association {assoc.id} is being created; delete it once it is ACTIVE",
            assoc.id,
            "SERVICE_NETWORK_VPC_ASSOCIATION",
        )
    assoc.deleted_at = assoc.updated_at = emu.clock.now()
    return {"id": assoc.id, "arn": assoc.arn, "status": "DELETE_IN_PROGRESS"}
