"""Seeded fault injection: make chosen AWS operations throttle, fail with 5xx, or hang, at a rate.

Rules are checked in order for every call (including calls moto answers); the first rule that
matches the call's service/operation/account and whose rate draw succeeds applies. The draws come
from ``random.Random(seed)``, so a given seed and call sequence always fails the same calls.

Kinds:
- ``throttle``: the service's throttling error (EC2 ``RequestLimitExceeded``, RAM/VPC Lattice
  ``ThrottlingException``, others ``ThrottlingException``/``Throttling``);
- ``5xx``: HTTP 500 with the service's internal error (EC2 ``InternalError``, RAM
  ``ServerInternalException``, VPC Lattice ``InternalServerException``, others ``InternalFailure``);
- ``unavailable``: HTTP 503 (EC2 ``Unavailable``, RAM ``ServiceUnavailableException``, others
  ``ServiceUnavailable``);
- ``hang``: sleep ``hang_seconds`` (default 30) before answering normally. Against the server, a
  client whose read timeout is shorter sees a timeout; in-process, botocore has no socket and
  simply waits.

botocore retries throttling and 5xx errors by itself, and every attempt is a call: a rule with
``rate=1.0`` exhausts the client's retries; ``max_hits`` bounds how often a rule fires.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import AwsError

KINDS = {"throttle", "5xx", "unavailable", "hang"}

_THROTTLE = {
    "ec2": ("RequestLimitExceeded", 503),
    "ram": ("ThrottlingException", 429),
    "vpc-lattice": ("ThrottlingException", 429),
    "sts": ("Throttling", 400),
    "iam": ("Throttling", 400),
    "sns": ("Throttling", 400),
    "cloudwatch": ("Throttling", 400),
}
_INTERNAL = {
    "ec2": ("InternalError", 500),
    "ram": ("ServerInternalException", 500),
    "vpc-lattice": ("InternalServerException", 500),
}
_UNAVAILABLE = {
    "ec2": ("Unavailable", 503),
    "ram": ("ServiceUnavailableException", 503),
}


@dataclass
class FaultRule:
    kind: str
    service: str | None = None  # None: any service
    operations: list[str] | None = None  # None: any operation of the service
    account: str | None = None  # None: any account
    rate: float = 1.0
    hang_seconds: float = 30.0
    max_hits: int | None = None
    hits: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {sorted(KINDS)}, not {self.kind!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be within [0, 1]")
        if isinstance(self.operations, str):
            self.operations = [self.operations]

    def matches(self, account: str, service: str, operation: str) -> bool:
        return (
            (self.service is None or self.service == service)
            and (self.operations is None or operation in self.operations)
            and (self.account is None or self.account == account)
            and (self.max_hits is None or self.hits < self.max_hits)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "service": self.service,
            "operations": self.operations,
            "account": self.account,
            "rate": self.rate,
            "hang_seconds": self.hang_seconds,
            "max_hits": self.max_hits,
            "hits": self.hits,
        }


class Faults:
    """``aws.faults``: configure(seed=, rules=[...]) / clear() / injected (list of what fired)."""

    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._rng = random.Random(0)  # noqa: S311 - reproducible fault draws, not secrets
        self._lock = threading.Lock()
        self.injected: list[tuple[str, str, str, str]] = []

    def configure(self, *, seed: int = 0, rules: list[FaultRule | dict[str, Any]]) -> None:
        parsed = [r if isinstance(r, FaultRule) else FaultRule(**_rule_kwargs(r)) for r in rules]
        with self._lock:
            self._rules = parsed
            self._rng = random.Random(seed)  # noqa: S311 - reproducible fault draws

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def decide(self, account: str, service: str, operation: str) -> FaultRule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(account, service, operation) and self._rng.random() < rule.rate:
                    rule.hits += 1
                    self.injected.append((account, service, operation, rule.kind))
                    return rule
        return None


def fault_error(service: str, kind: str) -> AwsError:
    if kind == "throttle":
        code, status = _THROTTLE.get(service, ("ThrottlingException", 400))
        return AwsError(code, "Rate exceeded", status=status)
    if kind == "unavailable":
        code, status = _UNAVAILABLE.get(service, ("ServiceUnavailable", 503))
        return AwsError(code, "Service is unavailable. Please try again later.", status=status)
    code, status = _INTERNAL.get(service, ("InternalFailure", 500))
    return AwsError(code, "An internal error occurred. Please try again.", status=status)


def _rule_kwargs(raw: dict[str, Any]) -> dict[str, Any]:
    allowed = {"kind", "service", "operations", "operation", "account", "rate", "hang_seconds", "max_hits"}
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"unknown fault rule keys: {sorted(unknown)}")
    out = dict(raw)
    if "operation" in out:
        op = out.pop("operation")
        out["operations"] = [op] if isinstance(op, str) else op
    return out
