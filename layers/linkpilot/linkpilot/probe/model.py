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

OK: Final = "ok"
DNS: Final = "dns"
CONNECT: Final = "connect"
TIMEOUT: Final = "timeout"
STATUS: Final = "status"
BODY: Final = "body"
TLS: Final = "tls"
INVALID: Final = "invalid"
VERDICTS: Final = (OK, DNS, CONNECT, TIMEOUT, STATUS, BODY, TLS, INVALID)

MAX_READ_BYTES: Final = 64 * 1024
MAX_TIMEOUT_S: Final = 60.0
MAX_EXPECTED_BODY: Final = 4096

DEFAULTS: Final[Mapping[str, Any]] = {
    "resource_configuration_arn": None,
    # the resource behind the endpoint association probed (a GROUP configuration's child); informational
    "associated_resource_arn": None,
    "port": 8080,
    "path": "/",
    "scheme": "http",
    "server_name": None,
    "host_header": None,
    "expected_status": 200,
    "expected_body": None,
    "timeout_s": 5.0,
}
REQUIRED: Final = ("endpoint_id", "dns_name")
KNOWN_FIELDS: Final = frozenset((*REQUIRED, *DEFAULTS))

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")
# origin-form request target: printable ASCII without spaces (no CR/LF can reach the request line)
_PATH = re.compile(r"^/[\x21-\x7e]*$")
_ENDPOINT_ID = re.compile(r"^[\x21-\x7e]{1,255}$")


class InvalidTarget(ValueError):
    """A target entry that cannot be probed; the message says which field and why."""


class InvalidEvent(ValueError):
    """The invocation input as a whole is malformed (not a mapping, ``targets`` not a list, ...)."""


@dataclass(frozen=True, slots=True)
class Target:
    endpoint_id: str
    dns_name: str
    resource_configuration_arn: str | None = None
    associated_resource_arn: str | None = None
    port: int = 8080
    path: str = "/"
    scheme: str = "http"
    server_name: str | None = None
    host_header: str | None = None
    expected_status: int = 200
    expected_body: str | None = None
    timeout_s: float = 5.0

    @property
    def url(self) -> str:
        host = f"[{self.dns_name}]" if ":" in self.dns_name else self.dns_name
        return f"{self.scheme}://{host}:{self.port}{self.path}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "endpoint_id": self.endpoint_id,
            "resource_configuration_arn": self.resource_configuration_arn,
            "associated_resource_arn": self.associated_resource_arn,
            "dns_name": self.dns_name,
            "port": self.port,
            "path": self.path,
            "scheme": self.scheme,
            "server_name": self.server_name,
            "host_header": self.host_header,
            "expected_status": self.expected_status,
            "expected_body": self.expected_body,
            "timeout_s": self.timeout_s,
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
class ProbeResult:
    target: str | None  # the endpoint id (None for an invalid entry without a usable one)
    verdict: str
    index: int = 0  # position in the invocation's target list
    url: str | None = None
    error: str | None = None
    status_code: int | None = None
    bytes_read: int = 0
    attempts: int = 0
    timings: Timings = field(default_factory=Timings)

    @property
    def ok(self) -> bool:
        return self.verdict == OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "index": self.index,
            "url": self.url,
            "ok": self.ok,
            "verdict": self.verdict,
            "error": self.error,
            "status_code": self.status_code,
            "bytes_read": self.bytes_read,
            "attempts": self.attempts,
            "timings_ms": self.timings.to_dict(),
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
    if len(value) > 253 or not (is_ip_literal(value) or _HOSTNAME.match(value)):
        raise InvalidTarget(f"{name} is not a host name or IP address: {value!r}")
    return value


def _int(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidTarget(f"{name} must be an integer from {low} to {high}, got {value!r}")
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
    arn = merged["resource_configuration_arn"]
    if arn is not None and (not isinstance(arn, str) or not arn.startswith("arn:")):
        raise InvalidTarget(f"resource_configuration_arn must be an ARN or null, got {arn!r}")
    child_arn = merged["associated_resource_arn"]
    if child_arn is not None and (not isinstance(child_arn, str) or not child_arn.startswith("arn:")):
        raise InvalidTarget(f"associated_resource_arn must be an ARN or null, got {child_arn!r}")
    scheme = merged["scheme"]
    if scheme not in ("http", "https"):
        raise InvalidTarget(f"scheme must be 'http' or 'https', got {scheme!r}")
    path = merged["path"]
    if not isinstance(path, str) or len(path) > 2048 or not _PATH.match(path):
        raise InvalidTarget(f"path must start with '/' and contain printable ASCII only, got {path!r}")
    server_name = merged["server_name"]
    if server_name is not None:
        server_name = _host("server_name", server_name)
    host_header = merged["host_header"]
    if host_header is not None and (
        not isinstance(host_header, str) or not re.fullmatch(r"[\x21-\x7e]{1,300}", host_header)
    ):
        raise InvalidTarget(f"host_header must be printable ASCII without spaces, got {host_header!r}")
    expected_body = merged["expected_body"]
    if expected_body is not None and (
        not isinstance(expected_body, str) or not 0 < len(expected_body) <= MAX_EXPECTED_BODY
    ):
        raise InvalidTarget(
            f"expected_body must be null or 1-{MAX_EXPECTED_BODY} characters, got {expected_body!r}"
        )
    timeout_s = merged["timeout_s"]
    if (
        isinstance(timeout_s, bool)
        or not isinstance(timeout_s, (int, float))
        or not 0 < timeout_s <= MAX_TIMEOUT_S
    ):
        raise InvalidTarget(f"timeout_s must be a number in (0, {MAX_TIMEOUT_S:g}], got {timeout_s!r}")

    return Target(
        endpoint_id=endpoint_id,
        dns_name=_host("dns_name", merged["dns_name"]),
        resource_configuration_arn=arn,
        associated_resource_arn=child_arn,
        port=_int("port", merged["port"], 1, 65535),
        path=path,
        scheme=scheme,
        server_name=server_name,
        host_header=host_header,
        expected_status=_int("expected_status", merged["expected_status"], 100, 599),
        expected_body=expected_body,
        timeout_s=float(timeout_s),
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
                    index=index,
                    error=str(exc),
                )
            )
    return ProbeBatch(targets=targets, invalid=invalid)
