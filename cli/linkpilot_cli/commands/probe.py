"""``linkpilot probe URL...``: the probe function's code path from a terminal, one JSON line per target.

A URL's scheme is the kind of check: ``http://`` and ``https://`` (a ``GET``, judged on status and body),
``tcp://HOST:PORT`` (connect), ``tls://HOST:PORT`` (handshake, certificate verified for the name). Each URL
becomes a target of a probe input (``endpoint_id`` is the URL itself) that goes through the same parsing
and client as the Lambda handler: every address the name resolves to is probed, and the line carries the
verdict (ok, degraded, down, cert_expiring; not_probed when the prober itself ran short of file descriptors),
the per-address results and, for tls/https, the certificate's days to expiry. Exit status 0 only if every
target is ok, 1 otherwise, 2 for bad input (one line on stderr naming it; nothing is probed).
``--resolve HOST:IP`` (repeatable, as with curl; repeat a HOST for several addresses; ``HOST:PORT:IP`` is
accepted too) routes a name, e.g. an endpoint DNS name to loopback.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from linkpilot.probe import InvalidTarget, default_resolver, parse_target, probe_event
from linkpilot.probe import contract as c
from linkpilot.probe.model import is_ip_literal

if TYPE_CHECKING:
    import ssl

    from linkpilot.probe import ProbeResult, Resolver

_DEFAULT_PORTS = {c.HTTP: 80, c.HTTPS: 443}
_PORT = re.compile(r"^(?:\[[^\]]*\]|[^:]*):(.*)$")


class BadUrl(ValueError):
    """A URL that cannot be a probe target; the message names it and says why."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "urls", nargs="+", metavar="URL", help="http://, https://, tcp:// or tls:// URL to probe"
    )
    parser.add_argument("--expect-status", type=int, default=200, metavar="N", help="expected status (200)")
    parser.add_argument("--expect-body", metavar="TEXT", help="text the body must contain")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="per-target deadline (5)")
    parser.add_argument("--host-header", metavar="H", help="Host header to send instead of the URL's host")
    parser.add_argument("--server-name", metavar="NAME", help="TLS server name (SNI and certificate check)")
    parser.add_argument(
        "--cacert", metavar="FILE", help="trust these CA certificates instead of the system's"
    )
    parser.add_argument(
        "--cert-expiry-days",
        type=int,
        metavar="N",
        help=f"a certificate expiring within N days is cert_expiring ({c.DEFAULT_CERT_EXPIRY_DAYS})",
    )
    parser.add_argument(
        "--family",
        choices=c.ADDRESS_FAMILIES,
        default=c.DUALSTACK,
        help="which of the name's addresses to probe (dualstack: all)",
    )
    parser.add_argument(
        "--resolve",
        action="append",
        default=[],
        type=_resolve_entry,
        metavar="HOST:IP",
        help="resolve HOST to IP (repeatable, also per HOST for several addresses; HOST:PORT:IP accepted)",
    )


def _resolve_entry(text: str) -> tuple[str, str]:
    host, sep, rest = text.partition(":")
    if sep and host:
        if is_ip_literal(rest):
            return host.lower(), rest
        port, sep2, ip = rest.partition(":")
        if sep2 and port.isdigit() and is_ip_literal(ip.strip("[]")):
            return host.lower(), ip.strip("[]")
    raise argparse.ArgumentTypeError(f"expected HOST:IP or HOST:PORT:IP, got {text!r}")


def url_target(url: str) -> dict[str, Any]:
    """A probe target entry for a URL. Raises :class:`BadUrl` saying what is wrong with it."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme:
        raise BadUrl(f"{url!r} is not a URL (expected http://, https://, tcp:// or tls://HOST[:PORT])")
    parts = urlsplit(url)
    kind = parts.scheme
    if kind not in c.KINDS:
        raise BadUrl(f"{url!r}: unsupported scheme {scheme!r} (expected one of {', '.join(c.KINDS)})")
    if not parts.hostname:
        raise BadUrl(f"{url!r} has no host")
    port_text = (_PORT.match(parts.netloc.rpartition("@")[2]) or [None, None])[1]
    if port_text is None or port_text == "":
        if kind not in _DEFAULT_PORTS:
            raise BadUrl(f"{url!r}: a {kind}:// URL needs a port ({kind}://HOST:PORT)")
        port = _DEFAULT_PORTS[kind]
    elif not port_text.isdigit():
        raise BadUrl(f"{url!r}: port {port_text!r} is not a number")
    else:
        port = int(port_text)
        if not c.MIN_PORT <= port <= c.MAX_PORT:
            raise BadUrl(f"{url!r}: port {port} is out of range ({c.MIN_PORT}-{c.MAX_PORT})")
    entry: dict[str, Any] = {"endpoint_id": url, "dns_name": parts.hostname, "kind": kind, "port": port}
    if kind in _DEFAULT_PORTS:
        entry["path"] = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    elif parts.path not in ("", "/") or parts.query:
        raise BadUrl(f"{url!r}: a {kind}:// URL takes no path")
    return entry


def build_event(args: argparse.Namespace) -> dict[str, Any]:
    """The probe input for the command line. Raises :class:`BadUrl` for the first unusable URL."""
    defaults: dict[str, Any] = {
        "expected_status": args.expect_status,
        "timeout_s": args.timeout,
        "address_family": getattr(args, "family", c.DUALSTACK),
    }
    optional = {
        "expected_body": args.expect_body,
        "host_header": args.host_header,
        "server_name": args.server_name,
        "cert_expiry_days": getattr(args, "cert_expiry_days", None),
    }
    defaults.update({k: v for k, v in optional.items() if v is not None})
    targets = [url_target(u) for u in args.urls]
    for entry in targets:
        try:
            parse_target(entry, defaults)
        except InvalidTarget as exc:
            raise BadUrl(f"{entry['endpoint_id']!r}: {exc}") from None
    return {"defaults": defaults, "targets": targets}


def mapped_resolver(entries: Sequence[tuple[str, str]]) -> Resolver:
    mapping: dict[str, list[str]] = {}
    for host, ip in entries:
        mapping.setdefault(host.lower().rstrip("."), []).append(ip)

    def resolve(name: str) -> Sequence[str]:
        return mapping.get(name.lower().rstrip(".")) or default_resolver(name)

    return resolve


def run(args: argparse.Namespace) -> int:
    try:
        event = build_event(args)
    except BadUrl as exc:
        args.out.error(str(exc))
        return 2
    context: ssl.SSLContext | None = None
    if args.cacert:
        import ssl

        try:
            context = ssl.create_default_context(cafile=args.cacert)
        except (OSError, ssl.SSLError) as exc:
            args.out.error(f"--cacert {args.cacert!r}: {exc}")
            return 2
    results = probe_event(event, resolver=mapped_resolver(args.resolve), ssl_context=context)
    # json: one object per line, as each result is judged (the probe function's log line shape)
    columns = ["target", "verdict", "reason", "kind", "status_code", "cert_days_left", "failed_addresses"]
    rows = (r.to_dict() if args.out.format == "json" else _row(r) for r in results)
    args.out.records("result", "Probe results", columns, rows)
    return 0 if results and all(r.ok for r in results) else 1


def _row(result: ProbeResult) -> dict[str, Any]:
    row = result.to_dict()
    failed = [a.get("address") for a in row.get("addresses") or [] if not a.get("ok")]
    return {**row, "failed_addresses": ",".join(str(a) for a in failed)}
