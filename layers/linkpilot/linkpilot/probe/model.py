"""Probe targets and results: plain data, strict validation of the invocation input, no I/O.

The invocation input is ``{"defaults": {...}, "targets": [{...}, ...]}``; each target entry is merged over the
defaults and validated on its own, so one bad entry is reported as ``invalid`` while the others are probed.
Validation is hand-written (no pydantic) because this module is on the probe's cold-start path.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from linkpilot.probe import contract as c

# target verdicts
OK: Final = "ok"
DEGRADED: Final = "degraded"  # some addresses fail
DOWN: Final = "down"  # every address fails (or the name does not resolve)
CERT_EXPIRING: Final = "cert_expiring"  # every address serves, a certificate is within the expiry threshold
INVALID: Final = "invalid"  # the entry cannot be probed
NOT_PROBED: Final = "not_probed"  # the prober ran short itself (linkpilot.probe.slots): no verdict on it
VERDICTS: Final = (OK, DEGRADED, DOWN, CERT_EXPIRING, INVALID, NOT_PROBED)
# failure reasons (per address, and the target's first one)
DNS: Final = "dns"
CONNECT: Final = "connect"
TIMEOUT: Final = "timeout"
STATUS: Final = "status"
BODY: Final = "body"
TLS: Final = "tls"
REASONS: Final = (DNS, CONNECT, TIMEOUT, STATUS, BODY, TLS, CERT_EXPIRING, INVALID, NOT_PROBED)


MAX_READ_BYTES: Final = c.MAX_READ_BYTES
MAX_TIMEOUT_S: Final = c.MAX_TIMEOUT_S
MAX_EXPECTED_BODY: Final = c.MAX_EXPECTED_BODY

DEFAULTS: Final[Mapping[str, Any]] = {
    "resource_configuration_arn": None,
    "child_arn": None,
    "kind": None,  # None: the older ``scheme`` field decides (http or https)
    "port": c.DEFAULT_PORT,
    "path": c.DEFAULT_PATH,
    "scheme": c.DEFAULT_KIND,
    "server_name": None,
    "host_header": None,
    "expected_status": c.DEFAULT_EXPECTED_STATUS,
    "expected_body": None,
    "timeout_s": c.DEFAULT_TIMEOUT_S,
    "ca_bundle": None,
    "cert_expiry_days": c.DEFAULT_CERT_EXPIRY_DAYS,
    "address_family": c.DEFAULT_ADDRESS_FAMILY,
}
REQUIRED: Final = ("endpoint_id", "dns_name")
KNOWN_FIELDS: Final = frozenset((*REQUIRED, *DEFAULTS))

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
_PATH = re.compile(c.PATH_PATTERN)
_HOST_HEADER = re.compile(c.HOST_HEADER_PATTERN)
_ENDPOINT_ID = re.compile(r"^[\x21-\x7e]{1,255}$")
_PEM_CERT = "-----BEGIN CERTIFICATE-----"


class InvalidTarget(ValueError):
    """A target entry that cannot be probed; the message says which field and why."""


class InvalidEvent(ValueError):
    """The invocation input as a whole is malformed (not a mapping, ``targets`` not a list, ...)."""


@dataclass(frozen=True, slots=True)
class Target:
    endpoint_id: str
    dns_name: str
    resource_configuration_arn: str | None = None
    port: int = c.DEFAULT_PORT
    path: str = c.DEFAULT_PATH
    scheme: str = c.DEFAULT_KIND  # the kind of check (older inputs call it scheme; http or https there)
    server_name: str | None = None
    host_header: str | None = None
    expected_status: int = c.DEFAULT_EXPECTED_STATUS
    expected_body: str | None = None
    timeout_s: float = c.DEFAULT_TIMEOUT_S
    ca_bundle: str | None = None  # PEM CA certificates trusted for this target instead of the system's
    cert_expiry_days: int = c.DEFAULT_CERT_EXPIRY_DAYS
    address_family: str = c.DEFAULT_ADDRESS_FAMILY
    child_arn: str | None = None  # a label: the child configuration / association this target stands for

    @property
    def kind(self) -> str:
        return self.scheme

    @property
    def url(self) -> str:
        host = f"[{self.dns_name}]" if ":" in self.dns_name else self.dns_name
        path = self.path if self.kind in c.HTTP_KINDS else ""
        return f"{self.kind}://{host}:{self.port}{path}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint_id": self.endpoint_id,
            "resource_configuration_arn": self.resource_configuration_arn,
            "child_arn": self.child_arn,
            "kind": self.kind,
            "dns_name": self.dns_name,
            "address_family": self.address_family,
            "port": self.port,
            "path": self.path,
            "server_name": self.server_name,
            "host_header": self.host_header,
            "expected_status": self.expected_status,
            "expected_body": self.expected_body,
            "timeout_s": self.timeout_s,
            "ca_bundle": self.ca_bundle,
            "cert_expiry_days": self.cert_expiry_days,
        }


@dataclass(slots=True)
class Timings:
    """Milliseconds per phase; ``None`` for a phase never reached. ``connect`` includes the TLS handshake."""

    dns: float | None = None
    connect: float | None = None
    first_byte: float | None = None
    total: float | None = None

    def to_dict(self) -> dict[str, float | None]:
        return {
            k: None if v is None else round(v, 3)
            for k, v in (
                ("dns", self.dns),
                ("connect", self.connect),
                ("first_byte", self.first_byte),
                ("total", self.total),
            )
        }


@dataclass(slots=True)
class AddressResult:
    """One address of a target: ``reason`` is None when it passed."""

    address: str
    reason: str | None = TIMEOUT
    error: str | None = None
    status_code: int | None = None
    bytes_read: int = 0
    attempts: int = 0
    cert_days_left: float | None = None
    timings: Timings = field(default_factory=Timings)

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def serving(self) -> bool:
        """Passes, or passes with a certificate about to expire (clients still connect)."""
        return self.reason is None or self.reason == CERT_EXPIRING

    def to_dict(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "ok": self.ok,
            "reason": self.reason,
            "error": self.error,
            "status_code": self.status_code,
            "cert_days_left": self.cert_days_left,
            "attempts": self.attempts,
            "timings_ms": self.timings.to_dict(),
        }


@dataclass(slots=True)
class ProbeResult:
    """A target's verdict (ok, degraded, down, cert_expiring, invalid, not_probed), its first failure reason.

    For a target with one address, ``error``/``status_code``/``timings`` are that address's; with several,
    those of the first failing address (else the first address); every address is in ``addresses``.
    """

    target: str | None  # the endpoint id (None for an invalid entry without a usable one)
    verdict: str
    index: int = 0  # position in the invocation's target list
    url: str | None = None
    kind: str | None = None
    reason: str | None = None
    error: str | None = None
    status_code: int | None = None
    bytes_read: int = 0
    attempts: int = 0
    cert_days_left: float | None = None  # https/tls: the least of the addresses' (None: unknown)
    child_arn: str | None = None
    timings: Timings = field(default_factory=Timings)
    addresses: list[AddressResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.verdict == OK

    @property
    def healthy_fraction(self) -> float:
        """Share of the addresses that serve (0 when none resolved)."""
        if not self.addresses:
            return 1.0 if self.ok else 0.0
        return sum(a.serving for a in self.addresses) / len(self.addresses)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "index": self.index,
            "url": self.url,
            "kind": self.kind,
            "child_arn": self.child_arn,
            "ok": self.ok,
            "verdict": self.verdict,
            "reason": self.reason,
            "error": self.error,
            "status_code": self.status_code,
            "cert_days_left": self.cert_days_left,
            "bytes_read": self.bytes_read,
            "attempts": self.attempts,
            "timings_ms": self.timings.to_dict(),
            "addresses": [a.to_dict() for a in self.addresses],
        }


def is_ip_literal(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except (OSError, ValueError):
            continue
        return True
    return False


def _host(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidTarget(f"{name} must be a non-empty string, got {value!r}")
    if len(value) > c.MAX_HOST_NAME or not (is_ip_literal(value) or _HOSTNAME.match(value)):
        raise InvalidTarget(f"{name} is not a host name or IP address: {value!r}")
    return value


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidTarget(f"{name} must be an integer from {low} to {high}, got {value!r}")
    return value


def _arn(name: str, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.startswith("arn:")):
        raise InvalidTarget(f"{name} must be an ARN or null, got {value!r}")
    return value


def _kind(merged: Mapping[str, Any]) -> str:
    kind = merged["kind"]
    if kind is None:  # an input from before kinds: the scheme field says http or https
        scheme = merged["scheme"]
        if scheme not in c.HTTP_KINDS:
            raise InvalidTarget(f"scheme must be 'http' or 'https', got {scheme!r}")
        return str(scheme)
    if kind not in c.KINDS:
        raise InvalidTarget(f"kind must be one of {', '.join(c.KINDS)}, got {kind!r}")
    return str(kind)


def _optional_text(name: str, value: Any, pattern: re.Pattern[str], limit: int, what: str) -> str | None:
    if value is not None and (not isinstance(value, str) or len(value) > limit or not pattern.match(value)):
        raise InvalidTarget(f"{name} must be {what} (at most {limit} characters), got {value!r}")
    return value


def _ca_bundle(value: Any) -> str | None:
    if value is not None and (
        not isinstance(value, str) or len(value) > c.MAX_CA_BUNDLE or _PEM_CERT not in value
    ):
        shown = value if not isinstance(value, str) else f"{value[:40]!r}..."
        raise InvalidTarget(
            f"ca_bundle must be null or PEM certificates of at most {c.MAX_CA_BUNDLE} characters, got {shown}"
        )
    return value


def parse_target(entry: Any, defaults: Mapping[str, Any] | None = None) -> Target:
    """One target entry merged over the defaults, validated. Raises :class:`InvalidTarget`."""
    if not isinstance(entry, Mapping):
        raise InvalidTarget(f"a target must be an object, got {type(entry).__name__}")
    merged: dict[str, Any] = {**DEFAULTS, **(defaults or {}), **entry}
    unknown = sorted(str(k) for k in merged if k not in KNOWN_FIELDS)
    if unknown:
        raise InvalidTarget(f"unknown field(s) {', '.join(unknown)}")
    missing = [k for k in REQUIRED if merged.get(k) is None]
    if missing:
        raise InvalidTarget(f"missing required field(s) {', '.join(missing)}")

    endpoint_id = merged["endpoint_id"]
    if not isinstance(endpoint_id, str) or not _ENDPOINT_ID.match(endpoint_id):
        raise InvalidTarget(f"endpoint_id must be 1-255 printable characters, got {endpoint_id!r}")
    kind = _kind(merged)
    path = merged["path"]
    if not isinstance(path, str) or len(path) > c.MAX_PATH or not _PATH.match(path):
        raise InvalidTarget(
            f"path must start with '/' and be at most {c.MAX_PATH} printable ASCII characters, got {path!r}"
        )
    server_name = merged["server_name"]
    if server_name is not None:
        server_name = _host("server_name", server_name)
    host_header = _optional_text(
        "host_header",
        merged["host_header"],
        _HOST_HEADER,
        c.MAX_HOST_HEADER,
        "printable ASCII without spaces",
    )
    expected_body = merged["expected_body"]
    if expected_body is not None and (
        not isinstance(expected_body, str) or not 0 < len(expected_body) <= c.MAX_EXPECTED_BODY
    ):
        raise InvalidTarget(
            f"expected_body must be null or 1-{c.MAX_EXPECTED_BODY} characters, got {expected_body!r}"
        )
    timeout_s = merged["timeout_s"]
    if (
        isinstance(timeout_s, bool)
        or not isinstance(timeout_s, (int, float))
        or not 0 < timeout_s <= c.MAX_TIMEOUT_S
    ):
        raise InvalidTarget(f"timeout_s must be a number in (0, {c.MAX_TIMEOUT_S:g}], got {timeout_s!r}")
    family = merged["address_family"]
    if family not in c.ADDRESS_FAMILIES:
        raise InvalidTarget(f"address_family must be one of {', '.join(c.ADDRESS_FAMILIES)}, got {family!r}")

    return Target(
        endpoint_id=endpoint_id,
        dns_name=_host("dns_name", merged["dns_name"]),
        resource_configuration_arn=_arn("resource_configuration_arn", merged["resource_configuration_arn"]),
        port=_int("port", merged["port"], c.MIN_PORT, c.MAX_PORT),
        path=path,
        scheme=kind,
        server_name=server_name,
        host_header=host_header,
        expected_status=_int("expected_status", merged["expected_status"], c.MIN_STATUS, c.MAX_STATUS),
        expected_body=expected_body,
        timeout_s=float(timeout_s),
        ca_bundle=_ca_bundle(merged["ca_bundle"]),
        cert_expiry_days=_int("cert_expiry_days", merged["cert_expiry_days"], 0, c.MAX_CERT_EXPIRY_DAYS),
        address_family=str(family),
        child_arn=_arn("child_arn", merged["child_arn"]),
    )


@dataclass(frozen=True, slots=True)
class ProbeBatch:
    """What one invocation asks for: valid targets with their positions, and the invalid entries' results."""

    targets: list[tuple[int, Target]]
    invalid: list[ProbeResult]


def parse_event(event: Any) -> ProbeBatch:
    """The invocation input -> targets to probe plus ``invalid`` results. Raises :class:`InvalidEvent`."""
    if not isinstance(event, Mapping):
        raise InvalidEvent(f"the probe input must be an object, got {type(event).__name__}")
    unknown = sorted(str(k) for k in event if k not in ("defaults", "targets"))
    if unknown:
        raise InvalidEvent(f"unknown top-level field(s) {', '.join(unknown)}; expected defaults, targets")
    defaults = event.get("defaults")
    if defaults is None:
        defaults = {}
    if not isinstance(defaults, Mapping):
        raise InvalidEvent("defaults must be an object")
    entries = event.get("targets")
    if not isinstance(entries, list):
        raise InvalidEvent("targets must be a list")
    targets: list[tuple[int, Target]] = []
    invalid: list[ProbeResult] = []
    for index, entry in enumerate(entries):
        try:
            targets.append((index, parse_target(entry, defaults)))
        except InvalidTarget as exc:
            raw_id = entry.get("endpoint_id") if isinstance(entry, Mapping) else None
            invalid.append(
                ProbeResult(
                    target=raw_id if isinstance(raw_id, str) else None,
                    verdict=INVALID,
                    reason=INVALID,
                    index=index,
                    error=str(exc),
                )
            )
    return ProbeBatch(targets=targets, invalid=invalid)
