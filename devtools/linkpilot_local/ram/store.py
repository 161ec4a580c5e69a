"""The RAM emulation's state: shares, their principal and resource associations, invitations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..events import ram_event
from ..lattice.store import RESOURCE_TYPE

if TYPE_CHECKING:
    from ..store_context import RamHost


INVITATION_TTL = timedelta(hours=12)
PURGE_AFTER = timedelta(days=7)
ACCOUNT_ID = re.compile(r"^\d{12}$")
INVITATION_ARN = re.compile(r"^arn:aws[a-z-]*:ram:[a-z0-9-]+:\d{12}:resource-share-invitation/[0-9a-f-]{36}$")
SHARE_ARN = re.compile(r"^arn:aws[a-z-]*:ram:[a-z0-9-]+:\d{12}:resource-share/[0-9a-f-]{36}$")
RESOURCE_TYPE_FORMAT = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
# resourceType values ListResources accepts (lower-cased); only resource configurations and service
# networks can be shared in the emulation, the others are accepted as filters and match nothing.
KNOWN_TYPES = {
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
    # ASSOCIATING -> ASSOCIATED at this time: an accepted invitation's principal association (share visible,
    # usable), or a resource newly added to the share
    completes: datetime | None = None


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
    def __init__(self, emu: RamHost) -> None:
        self.emu = emu
        self.shares: dict[str, Share] = {}
        self.invitations: dict[str, Invitation] = {}
        self.share_tokens: dict[tuple[str, str, str], tuple[str, Any]] = {}
        # The earliest time an invitation can expire or be purged: sweeps before it have nothing to do, so a
        # call costs O(1) however many invitations exist (benchmarks reconcile 1,000 shares through here).
        self._due: datetime | None = None
        # resource ARN -> ARNs of the shares it was ever added to (a superset: has_access re-checks each), so
        # that a check costs the same with 10 or 1,000 shares
        self._shares_of_resource: dict[str, set[str]] = {}

    def note_resource(self, share: Share, resource_arn: str) -> None:
        """``resource_arn`` was added to ``share`` (keeps the index ``has_access`` reads)."""
        self._shares_of_resource.setdefault(resource_arn, set()).add(share.arn)

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
        for share_arn in self._shares_of_resource.get(resource_arn, ()):
            share = self.shares.get(share_arn)
            if share is None or share.status != "ACTIVE":
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
        self._complete_accepts(now)
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

    def _complete_accepts(self, now: datetime) -> None:
        """Accepted invitations and added resources whose delay has passed: the share (or the resource in
        it) becomes visible and usable."""
        completed = False
        for share in self.shares.values():
            for assoc in (*share.principals.values(), *share.resources.values()):
                if assoc.completes is None:
                    continue
                if now < assoc.completes:
                    self.note_due(assoc.completes)
                    continue
                assoc.completes = None
                if assoc.status == "ASSOCIATING":
                    assoc.status, assoc.updated, assoc.message = "ASSOCIATED", now, None
                    self._association_event(share, assoc, "associated")
                    completed = True
        if completed:
            self.emu.datapath.refresh()

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
