"""Provider-side onboarding decisions: the declared consumer list, and the plan that makes a RAM share's
principals equal to it.

Pure functions over plain data (no AWS): ``parse_consumer_list`` validates what the operator declared,
``plan_principals`` compares it with the share's principal associations and says what to associate and
what to disassociate. The side effects live in ``linkpilot.provider.service`` and the RAM adapter.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from linkpilot.tokens import uuid_token

ACCOUNT_ID = re.compile(r"^\d{12}$")
# arn:aws:organizations::<management account>:organization/o-<10-32>
ORGANIZATION_ARN = re.compile(r"^arn:aws[a-z-]*:organizations::\d{12}:organization/o-[a-z0-9]{10,32}$")
# arn:aws:organizations::<management account>:ou/o-<id>/ou-<root 4-32>-<8-32>
OU_ARN = re.compile(
    r"^arn:aws[a-z-]*:organizations::\d{12}:ou/o-[a-z0-9]{10,32}/ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$"
)

# Association statuses that mean "this principal has (or is getting, or keeps while suspended) access".
# DISASSOCIATING, DISASSOCIATED and FAILED mean it has not: a desired principal in one of those is associated
# again; an undesired one needs nothing.
HOLDING_STATUSES = frozenset({"ASSOCIATED", "ASSOCIATING", "SUSPENDED", "SUSPENDING", "RESTORING"})


class SharingMode(StrEnum):
    """What the consumer list names: individual accounts, or an organization / its OUs."""

    ACCOUNTS = "accounts"
    ORGANIZATION = "organization"


class ConsumerListError(ValueError):
    """The declared consumer list is malformed; nothing may change because of it."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("consumer list rejected, no change made: " + "; ".join(problems))


@dataclass(frozen=True)
class ConsumerList:
    """A validated consumer list: the exact principal strings the share must have."""

    mode: SharingMode
    principals: frozenset[str]

    @property
    def digest(self) -> str:
        """A short content hash: names a list in audit records and client tokens."""
        canonical = "\n".join(sorted(self.principals))
        return hashlib.sha256(f"{self.mode}\n{canonical}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class PrincipalAssociation:
    """One principal association of the share, as RAM reports it."""

    principal: str
    status: str
    updated: str = ""  # last-updated time as text; distinguishes one attempt from the next
    external: bool | None = None  # outside the provider's organization (RAM's ``external``); None: not given


@dataclass(frozen=True)
class PrincipalChange:
    """One association or disassociation the plan calls for, with why."""

    action: str  # "associate" | "disassociate"
    principal: str
    reason: str
    observed_status: str  # the association's status now, "" when the share has none for it
    observed_updated: str = ""


@dataclass(frozen=True)
class PrincipalPlan:
    changes: tuple[PrincipalChange, ...]
    unchanged: tuple[str, ...]

    @property
    def to_associate(self) -> tuple[str, ...]:
        return tuple(c.principal for c in self.changes if c.action == "associate")

    @property
    def to_disassociate(self) -> tuple[str, ...]:
        return tuple(c.principal for c in self.changes if c.action == "disassociate")


def account_of_arn(arn: str) -> str:
    """The account field of an ARN (``arn:partition:service:region:account:resource``), "" if none."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _split(raw: str) -> list[str]:
    text = raw.strip()
    if text.startswith("["):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConsumerListError([f"not valid JSON: {exc.msg} at position {exc.pos}"]) from None
        bad = [item for item in loaded if not isinstance(item, str)]
        if bad:
            raise ConsumerListError([f"JSON entries must be strings, got {json.dumps(bad[0])}"])
        return [str(item).strip() for item in loaded]
    # An SSM StringList is comma separated; newlines are accepted too for hand-edited values.
    return [part.strip() for part in re.split(r"[,\n]", text)]


def _classify(entry: str) -> str:
    if ACCOUNT_ID.fullmatch(entry):
        return "account"
    if ORGANIZATION_ARN.fullmatch(entry):
        return "organization"
    if OU_ARN.fullmatch(entry):
        return "ou"
    return "malformed"


def parse_consumer_list(raw: str, *, mode: SharingMode, provider_account_id: str) -> ConsumerList:
    """Validate the declared consumer list (a JSON array of strings, or comma-separated text).

    In ``accounts`` mode every entry must be a 12-digit account id other than the provider's own; in
    ``organization`` mode every entry must be an organization ARN or an OU ARN. Blank entries (a trailing
    comma) are ignored and duplicates collapse. Any problem rejects the whole list: every problem is
    reported at once, so a single fix makes the list valid.
    """
    entries = [e for e in _split(raw) if e]
    problems: list[str] = []
    for position, entry in enumerate(entries, start=1):
        kind = _classify(entry)
        if mode is SharingMode.ACCOUNTS and kind != "account":
            problems.append(
                f"entry {position} {entry!r} is not a 12-digit AWS account id"
                + (
                    " (organization/OU ARNs need SharingMode=organization)"
                    if kind in {"organization", "ou"}
                    else ""
                )
            )
        elif mode is SharingMode.ORGANIZATION and kind not in {"organization", "ou"}:
            problems.append(
                f"entry {position} {entry!r} is not an organization ARN "
                "(arn:aws:organizations::<account>:organization/o-…) or an OU ARN "
                "(arn:aws:organizations::<account>:ou/o-…/ou-…)"
            )
        elif entry == provider_account_id:
            problems.append(f"entry {position} {entry!r} is the provider account itself")
    if problems:
        raise ConsumerListError(problems)
    return ConsumerList(mode=mode, principals=frozenset(entries))


def plan_principals(desired: ConsumerList, actual: Iterable[PrincipalAssociation]) -> PrincipalPlan:
    """Compare the declared principals with the share's associations: what to associate, what to remove.

    A principal can appear in several associations (an old DISASSOCIATED one next to a new ASSOCIATED one);
    it holds access if any of them is in a holding status.
    """
    by_principal: dict[str, list[PrincipalAssociation]] = {}
    for association in actual:
        by_principal.setdefault(association.principal, []).append(association)

    def holding(principal: str) -> PrincipalAssociation | None:
        return next((a for a in by_principal.get(principal, []) if a.status in HOLDING_STATUSES), None)

    def latest(principal: str) -> PrincipalAssociation | None:
        found = by_principal.get(principal, [])
        return max(found, key=lambda a: a.updated) if found else None

    changes: list[PrincipalChange] = []
    unchanged: list[str] = []
    for principal in sorted(desired.principals):
        if holding(principal) is not None:
            unchanged.append(principal)
            continue
        last = latest(principal)
        changes.append(
            PrincipalChange(
                action="associate",
                principal=principal,
                reason="declared consumer not on the share"
                if last is None
                else f"declared consumer's association is {last.status}",
                observed_status=last.status if last else "",
                observed_updated=last.updated if last else "",
            )
        )
    for principal in sorted(set(by_principal) - desired.principals):
        held = holding(principal)
        if held is not None:
            changes.append(
                PrincipalChange(
                    action="disassociate",
                    principal=principal,
                    reason="principal on the share is not in the declared consumer list",
                    observed_status=held.status,
                    observed_updated=held.updated,
                )
            )
    return PrincipalPlan(changes=tuple(changes), unchanged=tuple(unchanged))


def client_token(share_arn: str, change: PrincipalChange) -> str:
    """A deterministic RAM ``clientToken`` for one change.

    Duplicate deliveries of one trigger, seeing the same share state, send the same token, so RAM treats
    them as one request. The observed association status and time are part of it: adding, removing and
    adding the same consumer again are three different requests, not a replay of the first.
    """
    return uuid_token(
        share_arn, change.action, change.principal, change.observed_status, change.observed_updated
    )
