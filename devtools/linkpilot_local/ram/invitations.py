"""The receiver's invitations: GetResourceShareInvitations, Accept/RejectResourceShareInvitation,
ListPendingInvitationResources.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ram_error
from .common import (
    check_share_arn,
    check_token,
    invitation_view,
    page_of,
    resource_view,
)
from .store import (
    INVITATION_ARN,
    PURGE_AFTER,
    Invitation,
)

if TYPE_CHECKING:
    from ..context import EmulationContext
    from ..dispatch import Call


# ------------------------------------------------------------------------------------- invitations


def _receiver_invitation(emu: EmulationContext, call: Call, arn: str) -> Invitation:
    if not INVITATION_ARN.match(arn or ""):
        raise ram_error(
            "MalformedArnException", f"The specified ARN {arn} is not valid. Verify the ARN and try again."
        )
    inv = emu.ram.invitations.get(arn)
    if inv is None or inv.receiver != call.account or inv.region != call.region:
        raise ram_error(
            "ResourceShareInvitationArnNotFoundException",
            f"ResourceShareInvitationArn {arn} could not be found.",
        )
    return inv


def get_resource_share_invitations(emu: EmulationContext, call: Call) -> dict[str, Any]:
    p = call.params
    inv_arns = p.get("resourceShareInvitationArns") or []
    share_arns = p.get("resourceShareArns") or []
    max_results = p.get("maxResults")
    if max_results is not None and not 1 <= max_results <= 500:
        raise ram_error("InvalidMaxResultsException", "maxResults must be between 1 and 500.")
    for arn in share_arns:
        check_share_arn(arn)
    wanted = [_receiver_invitation(emu, call, arn) for arn in inv_arns]
    if inv_arns:
        invitations = wanted
    else:
        invitations = [
            i for i in emu.ram.invitations.values() if i.receiver == call.account and i.region == call.region
        ]
    if share_arns:
        invitations = [i for i in invitations if i.share_arn in share_arns]
    invitations.sort(key=lambda i: i.created)
    page, token = page_of(call, invitations, "GetResourceShareInvitations")
    return {"resourceShareInvitations": [invitation_view(emu, i) for i in page], "nextToken": token}


def _respond(emu: EmulationContext, call: Call, action: str) -> dict[str, Any]:
    arn = call.params["resourceShareInvitationArn"]
    token = call.params.get("clientToken")
    check_token(token)
    inv = _receiver_invitation(emu, call, arn)
    if token:
        for other in emu.ram.invitations.values():
            if other.receiver != call.account or token not in other.tokens:
                continue
            if other.arn != inv.arn or other.tokens[token] != action:
                raise ram_error(
                    "IdempotentParameterMismatchException",
                    f"The client token {token} was already used with different parameters.",
                )
        if inv.tokens.get(token) == action:
            return {"resourceShareInvitation": invitation_view(emu, inv), "clientToken": token}
    _refuse_if(emu, inv, arn, {"ACCEPTED", "REJECTED", "EXPIRED"})
    share = emu.ram.shares.get(inv.share_arn)
    if share is None or share.status != "ACTIVE":
        raise ram_error(
            "OperationNotPermittedException", f"The resource share {inv.share_arn} is no longer active."
        )
    now = emu.clock.now()
    inv.status = "ACCEPTED" if action == "ACCEPT" else "REJECTED"
    inv.finished = now
    emu.ram.note_due(now + PURGE_AFTER)
    if token:
        inv.tokens[token] = action
    assoc = share.principals.get(inv.receiver)
    if assoc is not None:
        if action == "ACCEPT":
            # asynchronous, like RAM: the share is visible and usable only once the accept completes
            # (``RamStore.sweep`` on the emulation's clock); until then the association stays ASSOCIATING
            assoc.status, assoc.updated, assoc.message = "ASSOCIATING", now, None
            assoc.completes = now + emu.delays.share_listed
            emu.ram.note_due(assoc.completes)
        else:
            assoc.status, assoc.updated, assoc.message = "FAILED", now, "Invitation rejected"
    emu.ram._invitation_event(inv, inv.status.lower())
    emu.datapath.refresh()
    return {"resourceShareInvitation": invitation_view(emu, inv), "clientToken": token}


_FINISHED_ERRORS = {
    "ACCEPTED": ("ResourceShareInvitationAlreadyAcceptedException", "has already been accepted"),
    "REJECTED": ("ResourceShareInvitationAlreadyRejectedException", "has already been rejected"),
    "EXPIRED": ("ResourceShareInvitationExpiredException", "has expired"),
}


def _refuse_if(emu: EmulationContext, inv: Invitation, arn: str, statuses: set[str]) -> None:
    """RAM's named error when the invitation is in one of ``statuses``."""
    status = emu.ram.invitation_status(inv)
    if status in statuses:
        code, text = _FINISHED_ERRORS[status]
        raise ram_error(code, f"The invitation {arn} {text}.")


def accept_resource_share_invitation(emu: EmulationContext, call: Call) -> dict[str, Any]:
    return _respond(emu, call, "ACCEPT")


def reject_resource_share_invitation(emu: EmulationContext, call: Call) -> dict[str, Any]:
    return _respond(emu, call, "REJECT")


def list_pending_invitation_resources(emu: EmulationContext, call: Call) -> dict[str, Any]:
    arn = call.params.get("resourceShareInvitationArn")
    if not arn:
        raise ram_error("MissingRequiredParameterException", "resourceShareInvitationArn is required.")
    inv = _receiver_invitation(emu, call, arn)
    _refuse_if(emu, inv, arn, {"REJECTED", "EXPIRED"})
    scope = call.params.get("resourceRegionScope")
    if scope is not None and scope not in {"ALL", "REGIONAL", "GLOBAL"}:
        raise ram_error("InvalidParameterException", f"resourceRegionScope {scope!r} is not valid.")
    share = emu.ram.shares.get(inv.share_arn)
    rows = []
    if share is not None and scope != "GLOBAL":
        # what the share holds, including a resource RAM is still associating (emulation's choice)
        rows = [
            resource_view(share, a, emu)
            for a in share.resources.values()
            if a.status in {"ASSOCIATED", "ASSOCIATING"}
        ]
    page, token = page_of(call, rows, "ListPendingInvitationResources")
    return {"resources": page, "nextToken": token}
