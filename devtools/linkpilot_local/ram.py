"""AWS RAM across accounts: shares of resource configurations, invitations, the consumer's view.

moto's RAM keeps shares per owner with no receiving side and refuses vpc-lattice ARNs, so the
share lifecycle operations are answered here; the rest (ListPermissions, ListResourceTypes,
EnableSharingWithAwsOrganization, ...) fall through to moto.

Semantics (see README.md in this package for the sources and what is a guess):
- sharing with an account outside the owner's organization (or with organization sharing off)
  puts the principal association in ASSOCIATING and a PENDING invitation in the receiver's
  account; accepting makes it ASSOCIATED, rejecting or expiry (12 h) makes it FAILED;
- inside one organization with organization sharing on there is no invitation: ASSOCIATED at once;
- a receiver sees a share and its resources (GetResourceShares / ListResources with
  resourceOwner=OTHER-ACCOUNTS) only while the share is ACTIVE and its principal association is
  ASSOCIATED; disassociating or deleting removes that at once;
- accepted, rejected and expired invitations are purged 7 days after they stopped being pending.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .errors import ram_error
from .events import ram_event
from .lattice import RESOURCE_TYPE, find_configuration_by_arn
from .util import arn_parts, fingerprint, paginate

if TYPE_CHECKING:
    from .dispatch import Call
    from .emulation import Emulation

INVITATION_TTL = timedelta(hours=12)
PURGE_AFTER = timedelta(days=7)
_ACCOUNT = re.compile(r"^\d{12}$")
_INVITATION_ARN = re.compile(
    r"^arn:aws[a-z-]*:ram:[a-z0-9-]+:\d{12}:resource-share-invitation/[0-9a-f-]{36}$"
)
_SHARE_ARN = re.compile(r"^arn:aws[a-z-]*:ram:[a-z0-9-]+:\d{12}:resource-share/[0-9a-f-]{36}$")
_RESOURCE_TYPE_FORMAT = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
# resourceType values ListResources accepts (lower-cased); only resource configurations can be
# shared in the emulation, the others are accepted as filters and match nothing.
_KNOWN_TYPES = {
    t.lower()
    for t in (
        RESOURCE_TYPE,
        "vpc-lattice:ServiceNetwork",
        "vpc-lattice:Service",
        "ec2:Subnet",
        "ec2:PrefixList",
        "ec2:TransitGateway",
        "route53resolver:ResolverRule",
        "license-manager:LicenseConfiguration",
    )
}


@dataclass
class Association:
    entity: str
    kind: str  # PRINCIPAL | RESOURCE
    status: str
    created: datetime
    updated: datetime
    external: bool | None = None
    message: str | None = None


@dataclass
class Share:
    arn: str
    name: str
    owner: str
    region: str
    allow_external: bool
    status: str
    created: datetime
    updated: datetime
    tags: list[dict[str, str]] = field(default_factory=list)
    principals: dict[str, Association] = field(default_factory=dict)
    resources: dict[str, Association] = field(default_factory=dict)


@dataclass
class Invitation:
    arn: str
    share_arn: str
    sender: str
    receiver: str
    region: str
    created: datetime
    status: str = "PENDING"  # PENDING | ACCEPTED | REJECTED (EXPIRED is derived from the clock)
    finished: datetime | None = None
    expiry_announced: bool = False
    tokens: dict[str, str] = field(default_factory=dict)  # clientToken -> ACCEPT | REJECT


class RamStore:
    def __init__(self, emu: Emulation) -> None:
        self.emu = emu
        self.shares: dict[str, Share] = {}
        self.invitations: dict[str, Invitation] = {}
        self.share_tokens: dict[tuple[str, str, str], tuple[str, Any]] = {}
        # The earliest time an invitation can expire or be purged: sweeps before it have nothing to do, so a
        # call costs O(1) however many invitations exist (benchmarks reconcile 1,000 shares through here).
        self._due: datetime | None = None

    def note_due(self, when: datetime) -> None:
        """Something changes at ``when`` (a new pending invitation's expiry, a finished one's purge)."""
        if self._due is None or when < self._due:
            self._due = when

    # -- state queries used by other services ------------------------------------------------

    def invitation_status(self, inv: Invitation) -> str:
        if inv.status == "PENDING" and self.emu.clock.now() >= inv.created + INVITATION_TTL:
            return "EXPIRED"
        return inv.status

    def has_access(self, account: str, resource_arn: str) -> bool:
        """True when ``account`` may use ``resource_arn`` through an active share (not as owner)."""
        for share in self.shares.values():
            if share.status != "ACTIVE":
                continue
            principal = share.principals.get(account)
            resource = share.resources.get(resource_arn)
            if (
                principal
                and resource
                and principal.status == "ASSOCIATED"
                and resource.status == "ASSOCIATED"
            ):
                return True
        return False

    def sweep(self) -> None:
        """Announce expiries and purge old invitations; runs before every emulated call."""
        now = self.emu.clock.now()
        if self._due is None or now < self._due:
            return
        self._due = None
        for inv in list(self.invitations.values()):
            status = self.invitation_status(inv)
            if status == "EXPIRED" and not inv.expiry_announced:
                inv.expiry_announced = True
                inv.finished = inv.created + INVITATION_TTL
                share = self.shares.get(inv.share_arn)
                if share is not None and inv.receiver in share.principals:
                    assoc = share.principals[inv.receiver]
                    if assoc.status == "ASSOCIATING":
                        assoc.status, assoc.updated, assoc.message = "FAILED", now, "Invitation expired"
                self._invitation_event(inv, "expired")
            if inv.finished is not None and now >= inv.finished + PURGE_AFTER:
                del self.invitations[inv.arn]
            elif inv.finished is not None:
                self.note_due(inv.finished + PURGE_AFTER)
            elif inv.status == "PENDING":
                self.note_due(inv.created + INVITATION_TTL)

    # -- events ---------------------------------------------------------------------------------

    def _invitation_event(self, inv: Invitation, status: str) -> None:
        share = self.shares.get(inv.share_arn)
        detail = {
            "event": "Resource Share Invitation",
            "status": status,
            "resourceShareArn": inv.share_arn,
            "resourceShareName": share.name if share else None,
            "resourceShareInvitationArn": inv.arn,
            "senderAccountId": inv.sender,
            "receiverAccountId": inv.receiver,
        }
        for account in dict.fromkeys((inv.receiver, inv.sender)):
            ram_event(self.emu, account, inv.region, detail, [inv.arn, inv.share_arn])

    def _association_event(self, share: Share, assoc: Association, status: str) -> None:
        detail = {
            "event": "Resource Share Association",
            "status": status,
            "resourceShareArn": share.arn,
            "resourceShareName": share.name,
            "associationType": assoc.kind,
            "associatedEntity": assoc.entity,
            "ownerAccountId": share.owner,
        }
        accounts = [share.owner]
        if assoc.kind == "PRINCIPAL":
            accounts.append(assoc.entity)
        else:
            accounts += [p.entity for p in share.principals.values() if p.status == "ASSOCIATED"]
        for account in dict.fromkeys(accounts):
            ram_event(self.emu, account, share.region, detail, [share.arn])


# ------------------------------------------------------------------------------------ validation


def _check_share_arn(arn: str) -> None:
    if not _SHARE_ARN.match(arn or ""):
        raise ram_error(
            "MalformedArnException", f"The specified ARN {arn} is not valid. Verify the ARN and try again."
        )


def _owned_share(emu: Emulation, call: Call, arn: str) -> Share:
    _check_share_arn(arn)
    share = emu.ram.shares.get(arn)
    if share is None or share.owner != call.account or share.region != call.region:
        raise ram_error("UnknownResourceException", f"ResourceShare {arn} could not be found.")
    return share


def _validate_resources(emu: Emulation, call: Call, arns: list[str]) -> None:
    for arn in arns:
        parts = arn_parts(arn)
        if parts is None:
            raise ram_error(
                "MalformedArnException",
                f"The specified resource ARN {arn} is not valid. Verify the ARN and try again.",
            )
        if parts["service"] != "vpc-lattice" or not parts["resource"].startswith("resourceconfiguration/"):
            raise ram_error(
                "MalformedArnException",
                f"You cannot share the selected resource type ({arn}): the emulation shares "
                "vpc-lattice resource configurations only.",
            )
        cfg = find_configuration_by_arn(emu, arn)
        if cfg is None or cfg.account != call.account or cfg.region != call.region:
            raise ram_error("UnknownResourceException", f"Resource {arn} could not be found.")


def _validate_principals(call: Call, principals: list[str], allow_external: bool, emu: Emulation) -> None:
    for principal in principals:
        if not _ACCOUNT.match(principal):
            if principal.startswith("arn:aws:organizations::") or principal.startswith("arn:aws:iam::"):
                raise ram_error(
                    "OperationNotPermittedException",
                    f"Principal {principal}: the emulation shares with AWS account ids only.",
                )
            raise ram_error(
                "InvalidParameterException",
                f"Principal ID {principal} is malformed. Verify the ID and try again.",
            )
        if principal == call.account:
            raise ram_error(
                "InvalidParameterException", "The resource share owner can't be a principal of it."
            )
        if not allow_external and not emu.same_org(call.account, principal):
            raise ram_error(
                "OperationNotPermittedException",
                f"Principal {principal} is not in your AWS organization and this resource share "
                "does not allow external principals.",
            )


def _check_token(token: str | None) -> None:
    if token is not None and (not token or len(token) > 64 or not token.isascii()):
        raise ram_error("InvalidClientTokenException", "The client token is not valid.")


def _token_replay(emu: Emulation, call: Call, scope: str) -> Any:
    token = call.params.get("clientToken")
    _check_token(token)
    if not token:
        return None
    entry = emu.ram.share_tokens.get((call.account, scope, token))
    if entry is None:
        return None
    digest, response = entry
    if digest != fingerprint(call.params):
        raise ram_error(
            "IdempotentParameterMismatchException",
            f"The client token {token} was already used with different parameters.",
        )
    return response


def _remember_token(emu: Emulation, call: Call, scope: str, response: Any) -> None:
    token = call.params.get("clientToken")
    if token:
        emu.ram.share_tokens[(call.account, scope, token)] = (fingerprint(call.params), response)


def _page(call: Call, items: list[Any], scope: str, limit: int = 500) -> tuple[list[Any], str | None]:
    max_results = call.params.get("maxResults")
    if max_results is not None and not 1 <= max_results <= limit:
        raise ram_error("InvalidParameterException", f"maxResults must be between 1 and {limit}.")
    return paginate(
        items,
        max_results=max_results,
        next_token=call.params.get("nextToken"),
        scope=f"{call.account}/{scope}/{fingerprint(call.params, ignore=('nextToken', 'maxResults'))}",
        default_max=limit,
        bad_token=lambda: ram_error(
            "InvalidNextTokenException", "The specified value for NextToken is not valid."
        ),
    )


# ----------------------------------------------------------------------------------------- views


def _share_view(share: Share) -> dict[str, Any]:
    return {
        "resourceShareArn": share.arn,
        "name": share.name,
        "owningAccountId": share.owner,
        "allowExternalPrincipals": share.allow_external,
        "status": share.status,
        "tags": share.tags,
        "creationTime": share.created,
        "lastUpdatedTime": share.updated,
        "featureSet": "STANDARD",
    }


def _assoc_view(share: Share, assoc: Association, status: str | None = None) -> dict[str, Any]:
    return {
        "resourceShareArn": share.arn,
        "resourceShareName": share.name,
        "associatedEntity": assoc.entity,
        "associationType": assoc.kind,
        "status": status or assoc.status,
        "statusMessage": assoc.message,
        "creationTime": assoc.created,
        "lastUpdatedTime": assoc.updated,
        "external": assoc.external,
    }


def _invitation_view(emu: Emulation, inv: Invitation) -> dict[str, Any]:
    share = emu.ram.shares.get(inv.share_arn)
    return {
        "resourceShareInvitationArn": inv.arn,
        "resourceShareName": share.name if share else None,
        "resourceShareArn": inv.share_arn,
        "senderAccountId": inv.sender,
        "receiverAccountId": inv.receiver,
        "invitationTimestamp": inv.created,
        "status": emu.ram.invitation_status(inv),
    }


def _resource_view(share: Share, assoc: Association, emu: Emulation) -> dict[str, Any]:
    available = find_configuration_by_arn(emu, assoc.entity) is not None
    return {
        "arn": assoc.entity,
        "type": RESOURCE_TYPE,
        "resourceShareArn": share.arn,
        "status": "AVAILABLE" if available else "UNAVAILABLE",
        "creationTime": assoc.created,
        "lastUpdatedTime": assoc.updated,
        "resourceRegionScope": "REGIONAL",
    }


# ------------------------------------------------------------------------------------ share writes


def _add_principal(emu: Emulation, share: Share, principal: str) -> Association:
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


def _add_resource(emu: Emulation, share: Share, arn: str) -> Association:
    now = emu.clock.now()
    existing = share.resources.get(arn)
    if existing is not None and existing.status == "ASSOCIATED":
        return existing
    assoc = Association(arn, "RESOURCE", "ASSOCIATED", now, now)
    share.resources[arn] = assoc
    emu.ram._association_event(share, assoc, "associated")
    return assoc


def _drop_principal(emu: Emulation, share: Share, principal: str) -> Association | None:
    assoc = share.principals.get(principal)
    if assoc is None or assoc.status == "DISASSOCIATED":
        return None
    assoc.status, assoc.updated, assoc.message = "DISASSOCIATED", emu.clock.now(), None
    for inv in list(emu.ram.invitations.values()):
        if inv.share_arn == share.arn and inv.receiver == principal and inv.status == "PENDING":
            del emu.ram.invitations[inv.arn]
    emu.ram._association_event(share, assoc, "disassociated")
    return assoc


def _drop_resource(emu: Emulation, share: Share, arn: str) -> Association | None:
    assoc = share.resources.get(arn)
    if assoc is None or assoc.status == "DISASSOCIATED":
        return None
    emu.ram._association_event(share, assoc, "disassociated")
    assoc.status, assoc.updated = "DISASSOCIATED", emu.clock.now()
    return assoc


def create_resource_share(emu: Emulation, call: Call) -> dict[str, Any]:
    replay = _token_replay(emu, call, "CreateResourceShare")
    if replay is not None:
        return {
            "resourceShare": _share_view(emu.ram.shares[replay]),
            "clientToken": call.params["clientToken"],
        }
    p = call.params
    name = p.get("name", "")
    if not name:
        raise ram_error("InvalidParameterException", "The name of a resource share can't be empty.")
    resource_arns = list(dict.fromkeys(p.get("resourceArns") or []))
    principals = list(dict.fromkeys(p.get("principals") or []))
    allow_external = bool(p.get("allowExternalPrincipals", True))
    _validate_resources(emu, call, resource_arns)
    _validate_principals(call, principals, allow_external, emu)
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
    _remember_token(emu, call, "CreateResourceShare", share.arn)
    return {"resourceShare": _share_view(share), "clientToken": p.get("clientToken")}


def update_resource_share(emu: Emulation, call: Call) -> dict[str, Any]:
    share = _owned_share(emu, call, call.params["resourceShareArn"])
    if share.status != "ACTIVE":
        raise ram_error("OperationNotPermittedException", f"Resource share {share.arn} is {share.status}.")
    if call.params.get("name"):
        share.name = call.params["name"]
    if call.params.get("allowExternalPrincipals") is not None:
        share.allow_external = bool(call.params["allowExternalPrincipals"])
    share.updated = emu.clock.now()
    return {"resourceShare": _share_view(share), "clientToken": call.params.get("clientToken")}


def _association_request(
    emu: Emulation, call: Call, operation: str
) -> dict[str, Any] | tuple[Share, list[str], list[str]]:
    """What (dis)associate calls share: a client-token replay answered as before, else the owned, active
    share and the de-duplicated resource ARNs and principals (at least one of them)."""
    replay = _token_replay(emu, call, operation)
    if replay is not None:
        return {"resourceShareAssociations": replay, "clientToken": call.params["clientToken"]}
    share = _owned_share(emu, call, call.params["resourceShareArn"])
    if share.status != "ACTIVE":
        raise ram_error("InvalidStateTransitionException", f"Resource share {share.arn} is {share.status}.")
    resource_arns = list(dict.fromkeys(call.params.get("resourceArns") or []))
    principals = list(dict.fromkeys(call.params.get("principals") or []))
    if not resource_arns and not principals:
        raise ram_error("InvalidParameterException", "Specify resourceArns or principals.")
    return share, resource_arns, principals


def associate_resource_share(emu: Emulation, call: Call) -> dict[str, Any]:
    request = _association_request(emu, call, "AssociateResourceShare")
    if isinstance(request, dict):
        return request
    share, resource_arns, principals = request
    _validate_resources(emu, call, resource_arns)
    _validate_principals(call, principals, share.allow_external, emu)
    out = [_assoc_view(share, _add_resource(emu, share, arn)) for arn in resource_arns]
    out += [_assoc_view(share, _add_principal(emu, share, pr)) for pr in principals]
    share.updated = emu.clock.now()
    _remember_token(emu, call, "AssociateResourceShare", out)
    return {"resourceShareAssociations": out, "clientToken": call.params.get("clientToken")}


def disassociate_resource_share(emu: Emulation, call: Call) -> dict[str, Any]:
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
            out.append(_assoc_view(share, assoc, "DISASSOCIATING"))
    for principal in principals:
        assoc = _drop_principal(emu, share, principal)
        if assoc is not None:
            out.append(_assoc_view(share, assoc, "DISASSOCIATING"))
    share.updated = emu.clock.now()
    emu.datapath.refresh()
    _remember_token(emu, call, "DisassociateResourceShare", out)
    return {"resourceShareAssociations": out, "clientToken": call.params.get("clientToken")}


def delete_resource_share(emu: Emulation, call: Call) -> dict[str, Any]:
    replay = _token_replay(emu, call, "DeleteResourceShare")
    if replay is not None:
        return {"returnValue": True, "clientToken": call.params["clientToken"]}
    share = _owned_share(emu, call, call.params["resourceShareArn"])
    if share.status == "DELETED":
        raise ram_error("UnknownResourceException", f"ResourceShare {share.arn} could not be found.")
    for principal in list(share.principals):
        _drop_principal(emu, share, principal)
    for arn in list(share.resources):
        _drop_resource(emu, share, arn)
    share.status, share.updated = "DELETED", emu.clock.now()
    emu.datapath.refresh()
    _remember_token(emu, call, "DeleteResourceShare", True)
    return {"returnValue": True, "clientToken": call.params.get("clientToken")}


# ------------------------------------------------------------------------------------- share reads


def _resource_owner(call: Call) -> str:
    owner = call.params.get("resourceOwner")
    if owner not in {"SELF", "OTHER-ACCOUNTS"}:
        raise ram_error(
            "InvalidParameterException", f"resourceOwner {owner!r} is not valid: SELF or OTHER-ACCOUNTS."
        )
    return str(owner)


def _visible_shares(emu: Emulation, call: Call, owner: str) -> list[Share]:
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


def get_resource_shares(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    owner = _resource_owner(call)
    for arn in p.get("resourceShareArns") or []:
        _check_share_arn(arn)
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
    page, token = _page(call, shares, "GetResourceShares")
    return {"resourceShares": [_share_view(s) for s in page], "nextToken": token}


def get_resource_share_associations(emu: Emulation, call: Call) -> dict[str, Any]:
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
        _check_share_arn(arn)
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
            rows.append(_assoc_view(share, assoc))
    page, token = _page(call, rows, "GetResourceShareAssociations")
    return {"resourceShareAssociations": page, "nextToken": token}


def list_resources(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    owner = _resource_owner(call)
    resource_type = p.get("resourceType")
    if resource_type is not None and (
        not _RESOURCE_TYPE_FORMAT.match(resource_type) or resource_type.lower() not in _KNOWN_TYPES
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
            if resource_type and resource_type.lower() != RESOURCE_TYPE.lower():
                continue
            if p.get("resourceArns") and assoc.entity not in p["resourceArns"]:
                continue
            rows.append(_resource_view(share, assoc, emu))
    page, token = _page(call, rows, "ListResources")
    return {"resources": page, "nextToken": token}


def list_principals(emu: Emulation, call: Call) -> dict[str, Any]:
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
    page, token = _page(call, rows, "ListPrincipals")
    return {"principals": page, "nextToken": token}


# ------------------------------------------------------------------------------------- invitations


def _receiver_invitation(emu: Emulation, call: Call, arn: str) -> Invitation:
    if not _INVITATION_ARN.match(arn or ""):
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


def get_resource_share_invitations(emu: Emulation, call: Call) -> dict[str, Any]:
    p = call.params
    inv_arns = p.get("resourceShareInvitationArns") or []
    share_arns = p.get("resourceShareArns") or []
    max_results = p.get("maxResults")
    if max_results is not None and not 1 <= max_results <= 500:
        raise ram_error("InvalidMaxResultsException", "maxResults must be between 1 and 500.")
    for arn in share_arns:
        _check_share_arn(arn)
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
    page, token = _page(call, invitations, "GetResourceShareInvitations")
    return {"resourceShareInvitations": [_invitation_view(emu, i) for i in page], "nextToken": token}


def _respond(emu: Emulation, call: Call, action: str) -> dict[str, Any]:
    arn = call.params["resourceShareInvitationArn"]
    token = call.params.get("clientToken")
    _check_token(token)
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
            return {"resourceShareInvitation": _invitation_view(emu, inv), "clientToken": token}
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
            assoc.status, assoc.updated, assoc.message = "ASSOCIATED", now, None
        else:
            assoc.status, assoc.updated, assoc.message = "FAILED", now, "Invitation rejected"
    emu.ram._invitation_event(inv, inv.status.lower())
    if assoc is not None and action == "ACCEPT":
        emu.ram._association_event(share, assoc, "associated")
    emu.datapath.refresh()
    return {"resourceShareInvitation": _invitation_view(emu, inv), "clientToken": token}


_FINISHED_ERRORS = {
    "ACCEPTED": ("ResourceShareInvitationAlreadyAcceptedException", "has already been accepted"),
    "REJECTED": ("ResourceShareInvitationAlreadyRejectedException", "has already been rejected"),
    "EXPIRED": ("ResourceShareInvitationExpiredException", "has expired"),
}


def _refuse_if(emu: Emulation, inv: Invitation, arn: str, statuses: set[str]) -> None:
    """RAM's named error when the invitation is in one of ``statuses``."""
    status = emu.ram.invitation_status(inv)
    if status in statuses:
        code, text = _FINISHED_ERRORS[status]
        raise ram_error(code, f"The invitation {arn} {text}.")


def accept_resource_share_invitation(emu: Emulation, call: Call) -> dict[str, Any]:
    return _respond(emu, call, "ACCEPT")


def reject_resource_share_invitation(emu: Emulation, call: Call) -> dict[str, Any]:
    return _respond(emu, call, "REJECT")


def list_pending_invitation_resources(emu: Emulation, call: Call) -> dict[str, Any]:
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
        rows = [_resource_view(share, a, emu) for a in share.resources.values() if a.status == "ASSOCIATED"]
    page, token = _page(call, rows, "ListPendingInvitationResources")
    return {"resources": page, "nextToken": token}


HANDLERS = {
    "CreateResourceShare": create_resource_share,
    "UpdateResourceShare": update_resource_share,
    "AssociateResourceShare": associate_resource_share,
    "DisassociateResourceShare": disassociate_resource_share,
    "DeleteResourceShare": delete_resource_share,
    "GetResourceShares": get_resource_shares,
    "GetResourceShareAssociations": get_resource_share_associations,
    "ListResources": list_resources,
    "ListPrincipals": list_principals,
    "GetResourceShareInvitations": get_resource_share_invitations,
    "AcceptResourceShareInvitation": accept_resource_share_invitation,
    "RejectResourceShareInvitation": reject_resource_share_invitation,
    "ListPendingInvitationResources": list_pending_invitation_resources,
}
