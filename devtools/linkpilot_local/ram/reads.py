"""Share reads for owner and receiver: GetResourceShares, GetResourceShareAssociations, ListResources,
ListPrincipals.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ram_error
from ..util import arn_parts
from .common import (
    assoc_view,
    check_share_arn,
    page_of,
    resource_type_of,
    resource_view,
    share_view,
)
from .store import (
    KNOWN_TYPES,
    RESOURCE_TYPE_FORMAT,
    Share,
)

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


# ------------------------------------------------------------------------------------- share reads


def _resource_owner(call: Call) -> str:
    owner = call.params.get("resourceOwner")
    if owner not in {"SELF", "OTHER-ACCOUNTS"}:
        raise ram_error(
            "InvalidParameterException", f"resourceOwner {owner!r} is not valid: SELF or OTHER-ACCOUNTS."
        )
    return str(owner)


def _visible_shares(emu: EmulationContext, call: Call, owner: str) -> list[Share]:
    if owner == "SELF":
        return [s for s in emu.ram.shares.values() if s.owner == call.account and s.region == call.region]
    return [
        s
        for s in emu.ram.shares.values()
        if s.region == call.region
        and s.status == "ACTIVE"
        and call.account in s.principals
        and s.principals[call.account].status == "ASSOCIATED"
    ]


def get_resource_shares(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    owner = _resource_owner(call)
    for arn in p.get("resourceShareArns") or []:
        check_share_arn(arn)
    status = p.get("resourceShareStatus")
    if status is not None and status not in {"PENDING", "ACTIVE", "FAILED", "DELETING", "DELETED"}:
        raise ram_error("InvalidParameterException", f"resourceShareStatus {status!r} is not valid.")
    shares = _visible_shares(emu, call, owner)
    if p.get("resourceShareArns"):
        shares = [s for s in shares if s.arn in p["resourceShareArns"]]
    if status:
        shares = [s for s in shares if s.status == status]
    if p.get("name"):
        shares = [s for s in shares if s.name == p["name"]]
    for tag_filter in p.get("tagFilters") or []:
        key, values = tag_filter.get("tagKey"), tag_filter.get("tagValues") or []
        shares = [
            s for s in shares if any(t["key"] == key and (not values or t["value"] in values) for t in s.tags)
        ]
    page, token = page_of(call, shares, "GetResourceShares")
    return {"resourceShares": [share_view(s) for s in page], "nextToken": token}


def get_resource_share_associations(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    kind = p.get("associationType")
    if kind not in {"PRINCIPAL", "RESOURCE"}:
        raise ram_error("InvalidParameterException", f"associationType {kind!r} is not valid.")
    if kind == "PRINCIPAL" and p.get("resourceArn"):
        raise ram_error(
            "InvalidParameterException", "resourceArn is valid only with associationType RESOURCE."
        )
    if kind == "RESOURCE" and p.get("principal"):
        raise ram_error(
            "InvalidParameterException", "principal is valid only with associationType PRINCIPAL."
        )
    for arn in p.get("resourceShareArns") or []:
        check_share_arn(arn)
    rows: list[dict[str, Any]] = []
    for share in emu.ram.shares.values():
        if share.region != call.region:
            continue
        if p.get("resourceShareArns") and share.arn not in p["resourceShareArns"]:
            continue
        if share.owner == call.account:
            assocs = list((share.principals if kind == "PRINCIPAL" else share.resources).values())
        elif kind == "PRINCIPAL" and call.account in share.principals:
            assocs = [share.principals[call.account]]
        else:
            continue
        for assoc in assocs:
            if p.get("principal") and assoc.entity != p["principal"]:
                continue
            if p.get("resourceArn") and assoc.entity != p["resourceArn"]:
                continue
            if p.get("associationStatus") and assoc.status != p["associationStatus"]:
                continue
            rows.append(assoc_view(share, assoc))
    page, token = page_of(call, rows, "GetResourceShareAssociations")
    return {"resourceShareAssociations": page, "nextToken": token}


def list_resources(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    owner = _resource_owner(call)
    resource_type = p.get("resourceType")
    if resource_type is not None and (
        not RESOURCE_TYPE_FORMAT.match(resource_type) or resource_type.lower() not in KNOWN_TYPES
    ):
        raise ram_error(
            "InvalidResourceTypeException", f"The specified resource type {resource_type} is not valid."
        )
    if owner == "OTHER-ACCOUNTS" and p.get("principal"):
        raise ram_error("InvalidParameterException", "principal is valid only with resourceOwner SELF.")
    for arn in (p.get("resourceArns") or []) + (p.get("resourceShareArns") or []):
        if arn_parts(arn) is None:
            raise ram_error("MalformedArnException", f"The specified ARN {arn} is not valid.")
    rows = []
    for share in _visible_shares(emu, call, owner):
        if share.status != "ACTIVE":
            continue
        if p.get("resourceShareArns") and share.arn not in p["resourceShareArns"]:
            continue
        if p.get("principal"):
            pr = share.principals.get(p["principal"])
            if pr is None or pr.status == "DISASSOCIATED":
                continue
        for assoc in share.resources.values():
            if assoc.status != "ASSOCIATED":
                continue
            if resource_type and resource_type.lower() != resource_type_of(assoc.entity).lower():
                continue
            if p.get("resourceArns") and assoc.entity not in p["resourceArns"]:
                continue
            rows.append(resource_view(share, assoc, emu))
    page, token = page_of(call, rows, "ListResources")
    return {"resources": page, "nextToken": token}


def list_principals(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    owner = _resource_owner(call)
    rows = []
    for share in _visible_shares(emu, call, owner):
        if share.status != "ACTIVE":
            continue
        if p.get("resourceShareArns") and share.arn not in p["resourceShareArns"]:
            continue
        if p.get("resourceArn") and (
            p["resourceArn"] not in share.resources
            or share.resources[p["resourceArn"]].status != "ASSOCIATED"
        ):
            continue
        if owner == "SELF":
            for assoc in share.principals.values():
                if assoc.status == "DISASSOCIATED" or (
                    p.get("principals") and assoc.entity not in p["principals"]
                ):
                    continue
                rows.append(
                    {
                        "id": assoc.entity,
                        "resourceShareArn": share.arn,
                        "creationTime": assoc.created,
                        "lastUpdatedTime": assoc.updated,
                        "external": assoc.external,
                    }
                )
        else:
            mine = share.principals[call.account]
            rows.append(
                {
                    "id": share.owner,
                    "resourceShareArn": share.arn,
                    "creationTime": mine.created,
                    "lastUpdatedTime": mine.updated,
                    "external": mine.external,
                }
            )
    page, token = page_of(call, rows, "ListPrincipals")
    return {"principals": page, "nextToken": token}
