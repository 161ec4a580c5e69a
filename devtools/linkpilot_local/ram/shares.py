"""The owner's share writes: Create/Update/Delete ResourceShare, Associate/Disassociate ResourceShare."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..errors import ram_error
from ..util import arn_parts
from .common import (
    assoc_view,
    owned_share,
    remember_token,
    share_view,
    token_replay,
    validate_principals,
    validate_resources,
)
from .store import (
    INVITATION_TTL,
    Association,
    Invitation,
    Share,
)

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


# ------------------------------------------------------------------------------------ share writes


def _add_principal(emu: EmulationContext, share: Share, principal: str) -> Association:
    now = emu.clock.now()
    existing = share.principals.get(principal)
    if existing is not None and existing.status == "ASSOCIATED":
        return existing
    if existing is not None and existing.status == "ASSOCIATING":
        pending = [
            i
            for i in emu.ram.invitations.values()
            if i.share_arn == share.arn
            and i.receiver == principal
            and emu.ram.invitation_status(i) == "PENDING"
        ]
        if pending:
            return existing
    external = not emu.same_org(share.owner, principal)
    assoc = Association(principal, "PRINCIPAL", "ASSOCIATING", now, now, external=external)
    share.principals[principal] = assoc
    if emu.same_org(share.owner, principal):
        assoc.status = "ASSOCIATED"
        emu.ram._association_event(share, assoc, "associated")
    else:
        inv = Invitation(
            arn=f"arn:aws:ram:{share.region}:{share.owner}:resource-share-invitation/{uuid.uuid4()}",
            share_arn=share.arn,
            sender=share.owner,
            receiver=principal,
            region=share.region,
            created=now,
        )
        emu.ram.invitations[inv.arn] = inv
        emu.ram.note_due(inv.created + INVITATION_TTL)
        emu.ram._invitation_event(inv, "pending")
    return assoc


def _add_resource(emu: EmulationContext, share: Share, arn: str) -> Association:
    """A resource joins the share ``ASSOCIATING`` and is ``ASSOCIATED`` (usable, listed, with its event) the
    emulation's settle time later (AWS CLI example associate-resource-share: ``ASSOCIATING``; how long real
    RAM takes is not documented). ``external`` is false for a resource (AWS CLI examples
    associate-resource-share and get-resource-share-associations, association type RESOURCE)."""
    now = emu.clock.now()
    existing = share.resources.get(arn)
    if existing is not None and existing.status in {"ASSOCIATED", "ASSOCIATING"}:
        return existing
    assoc = Association(arn, "RESOURCE", "ASSOCIATING", now, now, external=False)
    assoc.completes = now + emu.settle
    share.resources[arn] = assoc
    emu.ram.note_resource(share, arn)
    emu.ram.note_due(assoc.completes)
    return assoc


def _drop_principal(emu: EmulationContext, share: Share, principal: str) -> Association | None:
    assoc = share.principals.get(principal)
    if assoc is None or assoc.status == "DISASSOCIATED":
        return None
    assoc.status, assoc.updated, assoc.message = "DISASSOCIATED", emu.clock.now(), None
    for inv in list(emu.ram.invitations.values()):
        if inv.share_arn == share.arn and inv.receiver == principal and inv.status == "PENDING":
            del emu.ram.invitations[inv.arn]
    emu.ram._association_event(share, assoc, "disassociated")
    return assoc


def _drop_resource(emu: EmulationContext, share: Share, arn: str) -> Association | None:
    assoc = share.resources.get(arn)
    if assoc is None or assoc.status == "DISASSOCIATED":
        return None
    emu.ram._association_event(share, assoc, "disassociated")
    assoc.status, assoc.updated = "DISASSOCIATED", emu.clock.now()
    return assoc


def create_resource_share(emu: EmulationContext, call: Call) -> dict[str, Any]:
    replay = token_replay(emu, call, "CreateResourceShare")
    if replay is not None:
        return {
            "resourceShare": share_view(emu.ram.shares[replay]),
            "clientToken": call.params["clientToken"],
        }
    p = call.params
    name = p.get("name", "")
    if not name:
        raise ram_error("InvalidParameterException", "The name of a resource share can't be empty.")
    resource_arns = list(dict.fromkeys(p.get("resourceArns") or []))
    principals = list(dict.fromkeys(p.get("principals") or []))
    allow_external = bool(p.get("allowExternalPrincipals", True))
    validate_resources(emu, call, resource_arns)
    validate_principals(call, principals, allow_external, emu)
    if p.get("permissionArns"):
        for perm in p["permissionArns"]:
            if arn_parts(perm) is None:
                raise ram_error("MalformedArnException", f"The specified ARN {perm} is not valid.")
    now = emu.clock.now()
    share = Share(
        arn=f"arn:aws:ram:{call.region}:{call.account}:resource-share/{uuid.uuid4()}",
        name=name,
        owner=call.account,
        region=call.region,
        allow_external=allow_external,
        status="ACTIVE",
        created=now,
        updated=now,
        tags=list(p.get("tags") or []),
    )
    emu.ram.shares[share.arn] = share
    for arn in resource_arns:
        _add_resource(emu, share, arn)
    for principal in principals:
        _add_principal(emu, share, principal)
    remember_token(emu, call, "CreateResourceShare", share.arn)
    return {"resourceShare": share_view(share), "clientToken": p.get("clientToken")}


def update_resource_share(emu: EmulationContext, call: Call) -> dict[str, Any]:
    share = owned_share(emu, call, call.params["resourceShareArn"])
    if share.status != "ACTIVE":
        raise ram_error("OperationNotPermittedException", f"Resource share {share.arn} is {share.status}.")
    if call.params.get("name"):
        share.name = call.params["name"]
    if call.params.get("allowExternalPrincipals") is not None:
        share.allow_external = bool(call.params["allowExternalPrincipals"])
    share.updated = emu.clock.now()
    return {"resourceShare": share_view(share), "clientToken": call.params.get("clientToken")}


def _association_request(
    emu: EmulationContext, call: Call, operation: str
) -> dict[str, Any] | tuple[Share, list[str], list[str]]:
    """What (dis)associate calls share: a client-token replay answered as before, else the owned, active
    share and the de-duplicated resource ARNs and principals (at least one of them)."""
    replay = token_replay(emu, call, operation)
    if replay is not None:
        return {"resourceShareAssociations": replay, "clientToken": call.params["clientToken"]}
    share = owned_share(emu, call, call.params["resourceShareArn"])
    if share.status != "ACTIVE":
        raise ram_error("InvalidStateTransitionException", f"Resource share {share.arn} is {share.status}.")
    resource_arns = list(dict.fromkeys(call.params.get("resourceArns") or []))
    principals = list(dict.fromkeys(call.params.get("principals") or []))
    if not resource_arns and not principals:
        raise ram_error("InvalidParameterException", "Specify resourceArns or principals.")
    return share, resource_arns, principals


def associate_resource_share(emu: EmulationContext, call: Call) -> dict[str, Any]:
    request = _association_request(emu, call, "AssociateResourceShare")
    if isinstance(request, dict):
        return request
    share, resource_arns, principals = request
    validate_resources(emu, call, resource_arns)
    validate_principals(call, principals, share.allow_external, emu)
    out = [assoc_view(share, _add_resource(emu, share, arn)) for arn in resource_arns]
    out += [assoc_view(share, _add_principal(emu, share, pr)) for pr in principals]
    share.updated = emu.clock.now()
    remember_token(emu, call, "AssociateResourceShare", out)
    return {"resourceShareAssociations": out, "clientToken": call.params.get("clientToken")}


def disassociate_resource_share(emu: EmulationContext, call: Call) -> dict[str, Any]:
    request = _association_request(emu, call, "DisassociateResourceShare")
    if isinstance(request, dict):
        return request
    share, resource_arns, principals = request
    for arn in resource_arns:
        if arn_parts(arn) is None:
            raise ram_error("MalformedArnException", f"The specified resource ARN {arn} is not valid.")
        if arn not in share.resources or share.resources[arn].status == "DISASSOCIATED":
            raise ram_error(
                "UnknownResourceException", f"Resource {arn} is not associated with the resource share."
            )
    for principal in principals:
        if principal not in share.principals or share.principals[principal].status == "DISASSOCIATED":
            raise ram_error(
                "UnknownResourceException",
                f"Principal {principal} is not associated with the resource share.",
            )
    out = []
    for arn in resource_arns:
        assoc = _drop_resource(emu, share, arn)
        if assoc is not None:
            out.append(assoc_view(share, assoc, "DISASSOCIATING"))
    for principal in principals:
        assoc = _drop_principal(emu, share, principal)
        if assoc is not None:
            out.append(assoc_view(share, assoc, "DISASSOCIATING"))
    share.updated = emu.clock.now()
    emu.datapath.refresh()
    remember_token(emu, call, "DisassociateResourceShare", out)
    return {"resourceShareAssociations": out, "clientToken": call.params.get("clientToken")}


def delete_resource_share(emu: EmulationContext, call: Call) -> dict[str, Any]:
    replay = token_replay(emu, call, "DeleteResourceShare")
    if replay is not None:
        return {"returnValue": True, "clientToken": call.params["clientToken"]}
    share = owned_share(emu, call, call.params["resourceShareArn"])
    if share.status == "DELETED":
        raise ram_error("UnknownResourceException", f"ResourceShare {share.arn} could not be found.")
    for principal in list(share.principals):
        _drop_principal(emu, share, principal)
    for arn in list(share.resources):
        _drop_resource(emu, share, arn)
    share.status, share.updated = "DELETED", emu.clock.now()
    emu.datapath.refresh()
    remember_token(emu, call, "DeleteResourceShare", True)
    return {"returnValue": True, "clientToken": call.params.get("clientToken")}
