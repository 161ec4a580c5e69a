"""The provider's view of its consumers: who has an endpoint on a shared resource configuration, and which
declared consumers have none yet. Pure: the onboarding function (metrics) and ``linkpilot provider status``
(table / JSON) both build it from what the adapters read.

Inputs are the declared consumer list, the share's principal associations (RAM
``GetResourceShareAssociations``: status, last update, ``external``) and the endpoint associations of each
configuration (Lattice ``ListResourceEndpointAssociations``: ``vpcEndpointId``, ``vpcEndpointOwner`` = the
consumer account, ``createdAt``).

What the provider cannot see: the consumer's invitation. ``GetResourceShareInvitations`` lists the
invitations the *caller received*; the provider only sees its principal association (and whether the
principal is outside its organization, ``external``: then an invitation must be accepted). Whether RAM keeps
an external account's association ``ASSOCIATING`` until the invitation is accepted is UNVERIFIED, so the view
reports the association status as RAM gives it and never infers the invitation from it.

Overdue: a declared account whose association has held (``ASSOCIATED``) for longer than the allowed hours
with no endpoint of that account on any shared configuration. The time is the association's last update
(when it reached its status), so a consumer added again starts a new wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from linkpilot.provider.plan import ACCOUNT_ID, ConsumerList, PrincipalAssociation, SharingMode


@dataclass(frozen=True)
class ConsumerEndpoint:
    """One consumer endpoint on a provider's resource configuration (a Lattice endpoint association)."""

    configuration_arn: str
    endpoint_id: str
    owner: str  # the consumer account (vpcEndpointOwner)
    created_at: datetime | None = None
    association_id: str = ""


def _endpoint_json(endpoint: ConsumerEndpoint) -> dict[str, Any]:
    return {
        "configuration_arn": endpoint.configuration_arn,
        "vpc_endpoint_id": endpoint.endpoint_id,
        "vpc_endpoint_owner": endpoint.owner,
        "created_at": endpoint.created_at.isoformat() if endpoint.created_at else None,
        "association_id": endpoint.association_id,
    }


@dataclass(frozen=True)
class ConsumerRow:
    """One account as the provider sees it."""

    account: str
    declared: bool
    association_status: str  # the holding (or latest) principal association's status, "" if none
    associated_since: datetime | None
    external: bool | None  # outside the provider's organization (an invitation is needed); None: unknown
    endpoints: tuple[ConsumerEndpoint, ...]
    overdue: bool

    @property
    def state(self) -> str:
        if self.endpoints:
            return "connected" if self.declared else "connected-not-declared"
        if not self.declared:
            return "not-declared"
        if self.association_status not in {"ASSOCIATED", "ASSOCIATING"}:
            return "not-shared"
        return "overdue" if self.overdue else "waiting-for-endpoint"

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "state": self.state,
            "declared": self.declared,
            "association_status": self.association_status,
            "associated_since": self.associated_since.isoformat() if self.associated_since else None,
            "external": self.external,
            "invitation_status": "UNVERIFIED: not visible to the provider",
            "endpoints": [_endpoint_json(e) for e in self.endpoints],
            "overdue": self.overdue,
        }


@dataclass(frozen=True)
class ProviderView:
    share_arn: str
    configurations: tuple[str, ...]
    mode: SharingMode
    rows: tuple[ConsumerRow, ...]
    overdue_hours: int  # 0: no overdue judgement
    declared_principals: tuple[str, ...] = ()  # organization / OU principals (organization mode)

    @property
    def connected(self) -> tuple[ConsumerRow, ...]:
        return tuple(r for r in self.rows if r.endpoints)

    @property
    def without_endpoint(self) -> tuple[ConsumerRow, ...]:
        return tuple(r for r in self.rows if r.declared and not r.endpoints)

    def metrics(self) -> dict[str, int]:
        """``ConnectedConsumers`` always; per-account counts only where the list names accounts."""
        found = {"ConnectedConsumers": len(self.connected)}
        if self.mode is SharingMode.ACCOUNTS:
            found["ConsumersWithoutEndpoint"] = len(self.without_endpoint)
            if self.overdue_hours:
                found["ConsumersWithoutEndpointOverdue"] = sum(1 for r in self.rows if r.overdue)
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "share_arn": self.share_arn,
            "sharing_mode": str(self.mode),
            "overdue_hours": self.overdue_hours,
            "declared_principals": list(self.declared_principals),
            "configurations": [
                {
                    "configuration_arn": arn,
                    "consumer_endpoints": [
                        {"account": r.account, "declared": r.declared, **_endpoint_json(e)}
                        for r in self.rows
                        for e in r.endpoints
                        if e.configuration_arn == arn
                    ],
                }
                for arn in self.configurations
            ],
            "consumers": [r.to_json() for r in self.rows],
            "declared_without_endpoint": [r.account for r in self.without_endpoint],
            "metrics": self.metrics(),
        }


def _parse_time(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def build_view(
    *,
    share_arn: str,
    configurations: Sequence[str],
    declared: ConsumerList | None,
    associations: Iterable[PrincipalAssociation],
    endpoints: Iterable[ConsumerEndpoint],
    now: datetime,
    overdue_hours: int = 0,
) -> ProviderView:
    """One row per account that is declared, on the share, or owns an endpoint on a shared configuration.

    ``declared`` None means the list could not be read or parsed: every row is then "not declared" and no
    overdue judgement is made. Organization / OU principals are not accounts: they are listed apart, and
    endpoint owners in that mode count as connected without a per-account declaration.
    """
    mode = declared.mode if declared else SharingMode.ACCOUNTS
    declared_accounts = {p for p in (declared.principals if declared else ()) if ACCOUNT_ID.fullmatch(p)}
    by_account: dict[str, list[PrincipalAssociation]] = {}
    for row in associations:
        if ACCOUNT_ID.fullmatch(row.principal):
            by_account.setdefault(row.principal, []).append(row)
    by_owner: dict[str, list[ConsumerEndpoint]] = {}
    for endpoint in endpoints:
        by_owner.setdefault(endpoint.owner, []).append(endpoint)
    accounts = sorted(declared_accounts | set(by_account) | set(by_owner))
    limit = timedelta(hours=overdue_hours)
    rows = []
    for account in accounts:
        found = by_account.get(account, [])
        latest = sorted(found, key=lambda a: a.updated)[-1:]
        holding = [a for a in found if a.status == "ASSOCIATED"] or latest
        association = holding[0] if holding else None
        since = _parse_time(association.updated) if association else None
        own = tuple(sorted(by_owner.get(account, []), key=lambda e: (e.configuration_arn, e.endpoint_id)))
        is_declared = account in declared_accounts or (mode is SharingMode.ORGANIZATION and bool(own))
        overdue = bool(
            overdue_hours
            and declared is not None
            and account in declared_accounts
            and not own
            and association is not None
            and association.status == "ASSOCIATED"
            and since is not None
            and now - since > limit
        )
        rows.append(
            ConsumerRow(
                account=account,
                declared=is_declared,
                association_status=association.status if association else "",
                associated_since=since,
                external=association.external if association else None,
                endpoints=own,
                overdue=overdue,
            )
        )
    others = tuple(sorted(p for p in (declared.principals if declared else ()) if p not in declared_accounts))
    return ProviderView(
        share_arn=share_arn,
        configurations=tuple(configurations),
        mode=mode,
        rows=tuple(rows),
        overdue_hours=overdue_hours,
        declared_principals=others,
    )
