"""``linkpilot probe URL...``: the probe function's code path from a terminal, one JSON line per target.

Each URL becomes a target entry of a probe input (``endpoint_id`` is the URL itself), which goes through the
same parsing and client as the Lambda handler; a URL that cannot be a target is reported ``invalid``.
Exit status 0 only if every target is ok. ``--resolve HOST:IP`` (repeatable, as with curl; ``HOST:PORT:IP``
is accepted too) routes a name to an address, e.g. an endpoint DNS name to loopback in the demo.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from linkpilot.probe import default_resolver, probe_event
from linkpilot.probe.model import is_ip_literal

if TYPE_CHECKING:
    import ssl

    from linkpilot.probe import Resolver

_DEFAULT_PORTS = {"http": 80, "https": 443}


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("urls", nargs="+", metavar="URL", help="http:// or https:// URL to probe")
    parser.add_argument("--expect-status", type=int, default=200, metavar="N", help="expected status (200)")
    parser.add_argument("--expect-body", metavar="TEXT", help="text the body must contain")
    parser.add_argument("--timeout", type=float, default=5.0, metavar="S", help="per-target deadline (5)")
    parser.add_argument("--host-header", metavar="H", help="Host header to send instead of the URL's host")
    parser.add_argument("--server-name", metavar="NAME", help="TLS server name (SNI and certificate check)")
    parser.add_argument(
        "--cacert", metavar="FILE", help="trust these CA certificates instead of the system's"
    )
    parser.add_argument(
        "--resolve",
        action="append",
        default=[],
        type=_resolve_entry,
        metavar="HOST:IP",
        help="resolve HOST to IP (repeatable; HOST:PORT:IP also accepted)",
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
    """A probe target entry for a URL; what the URL lacks is left for validation to report."""
    parts = urlsplit(url)
    entry: dict[str, Any] = {"endpoint_id": url, "dns_name": parts.hostname, "scheme": parts.scheme}
    try:
        port = parts.port
    except ValueError:
        port = -1  # reported by validation as an invalid port
    entry["port"] = port if port is not None else _DEFAULT_PORTS.get(parts.scheme, 0)
    entry["path"] = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return entry


def build_event(args: argparse.Namespace) -> dict[str, Any]:
    defaults: dict[str, Any] = {"expected_status": args.expect_status, "timeout_s": args.timeout}
    if args.expect_body is not None:
        defaults["expected_body"] = args.expect_body
    if args.host_header is not None:
        defaults["host_header"] = args.host_header
    if args.server_name is not None:
        defaults["server_name"] = args.server_name
    return {"defaults": defaults, "targets": [url_target(u) for u in args.urls]}


def mapped_resolver(mapping: dict[str, str]) -> Resolver:
    def resolve(name: str) -> str:
        return mapping.get(name.lower().rstrip(".")) or default_resolver(name)

    return resolve


def run(args: argparse.Namespace) -> int:
    context: ssl.SSLContext | None = None
    if args.cacert:
        import ssl

        context = ssl.create_default_context(cafile=args.cacert)
    mapping = {host.rstrip("."): ip for host, ip in args.resolve}
    results = probe_event(build_event(args), resolver=mapped_resolver(mapping), ssl_context=context)
    for result in results:
        sys.stdout.write(json.dumps(result.to_dict(), separators=(",", ":")) + "\n")
    return 0 if results and all(r.ok for r in results) else 1
