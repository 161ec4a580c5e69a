"""What a run saw, turned into ``Observation``s: pure functions over values either target read.

The local target reads the values from every answer its clients (the functions' included) received; the AWS
target from its own reads. Either way the same function decides whether what the docs assume held.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from linkpilot_cli.acceptance.checks import Observation
from linkpilot_cli.adapters.recorder import Exchange


def endpoint_states(states: Iterable[str]) -> Observation | None:
    seen = sorted(set(states))
    if not seen:
        return None
    available = [s for s in seen if s.lower() == "available"]
    holds = None if not available else available == ["Available"]
    return Observation("endpoint-state-case", f"State values read back: {', '.join(seen)}", holds)


def hosted_zone_ids(ids: Iterable[str]) -> Observation | None:
    seen = sorted({i for i in ids if i})
    if not seen:
        return None
    upper = all(i == i.upper() for i in seen)
    return Observation(
        "resource-association-hosted-zone-case",
        f"{len(seen)} resource association hosted zone id(s); upper case: {upper}",
        upper,
    )


def association_create(status: int, error_code: str, arn: str, consumer: str) -> list[Observation]:
    """The tagged association create (association mode): whether it was refused, which account its ARN
    names."""
    if status >= 300:
        refused = error_code in {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}
        return [
            Observation(
                "tag-resource-on-create",
                f"the tagged create was refused: {error_code}",
                False if refused else None,
            )
        ]
    account = arn.split(":")[4] if arn.count(":") >= 5 else ""
    names = "the consumer (VPC owner)" if account == consumer else "another account" if account else "none"
    return [
        Observation("tag-resource-on-create", "the tagged create succeeded under the deployed grants", True),
        Observation("association-arn-account", f"the ARN names {names}", account == consumer),
    ]


def endpoint_creates(kind: str, outcomes: Sequence[tuple[int, str]]) -> list[Observation]:
    """``outcomes``: (HTTP status, error code) of each create of a managed endpoint of ``kind``."""
    if not outcomes:
        return []
    refused = [code for status, code in outcomes if status >= 300 and code == "UnauthorizedOperation"]
    made = sum(status < 300 for status, _ in outcomes)
    seen = f"{made} {kind} endpoint create(s) succeeded, {len(refused)} refused as UnauthorizedOperation"
    holds = True if made and not refused else False if refused else None
    names = {
        "Resource": ("vpce-service-name-absent-on-create", "resource-endpoint-lattice-permission"),
        "ServiceNetwork": ("service-network-endpoint-permission",),
    }[kind]
    return [Observation(n, seen, holds) for n in names]


def endpoint_deletes(unsuccessful: Sequence[str], succeeded: int) -> Observation | None:
    """``unsuccessful``: the error codes of refused managed deletes; ``succeeded``: deletes that went."""
    if not unsuccessful and not succeeded:
        return None
    denied = [c for c in unsuccessful if c == "UnauthorizedOperation"]
    seen = (
        f"{succeeded} managed endpoint delete(s) went through, refused: {sorted(set(unsuccessful)) or 'none'}"
    )
    return Observation(
        "vpce-service-name-absent-on-delete", seen, False if denied else True if succeeded else None
    )


def service_network_rows(rows: Sequence[dict[str, Any]], configurations: int) -> Observation | None:
    if configurations <= 0:
        return None
    named = [r for r in rows if (r.get("DnsEntry") or {}).get("DnsName")]
    seen = (
        f"{len(rows)} row(s), {len(named)} with a DNS name, "
        f"for {configurations} configuration(s) in the network"
    )
    return Observation(
        "service-network-endpoint-rows", seen, len(rows) == configurations and len(named) == len(rows)
    )


def lag(check: str, what: str, start: str, end: str, holds: bool | None) -> Observation | None:
    """A measured delay between two HTTP dates (the answers' own clock)."""
    if not start or not end:
        return None
    seconds = (parsedate_to_datetime(end) - parsedate_to_datetime(start)).total_seconds()
    return Observation(check, f"{what}: {seconds:.0f} s", holds)


def doctor_quota(findings: Sequence[Any]) -> Observation:
    """Whether ``linkpilot doctor`` read the endpoint quota from Service Quotas (else it used its default)."""
    detail = next((f.detail for f in findings if f.name == "endpoint-quota"), "the doctor read no quota")
    return Observation(
        "endpoint-quota-in-service-quotas", detail, True if "(applied quota)" in detail else None
    )


def doctor_summary(findings: Sequence[Any]) -> str:
    counts = {s: sum(f.status == s for f in findings) for s in ("ok", "warn", "fail", "skipped")}
    return "doctor: " + ", ".join(f"{n} {s}" for s, n in counts.items())


def first(exchanges: Iterable[Exchange], operation: str, predicate: Any = None) -> Exchange | None:
    for ex in exchanges:
        if ex.operation == operation and ex.status < 300 and (predicate is None or predicate(ex)):
            return ex
    return None
