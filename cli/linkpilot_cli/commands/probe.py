"""``linkpilot probe URL...``: the probe function's code path from a terminal, one JSON line per target.

A URL's scheme is the kind of check: ``http://`` and ``https://`` (a ``GET``, judged on status and body),
``tcp://HOST:PORT`` (connect), ``tls://HOST:PORT`` (handshake, certificate verified for the name). Each URL
becomes a target of a probe input (``endpoint_id`` is the URL itself) that goes through the same parsing
and client as the Lambda handler: every address the name resolves to is probed, and the line carries the
verdict (ok, degraded, down, cert_expiring; not_probed when the prober itself ran short of file descriptors),
the per-address results and, for tls/https, the certificate's days to expiry. Exit status 0 only if every
target is ok, 1 otherwise, 2 for bad input (one line on stderr naming it; nothing is probed).
``--output json`` is one pretty-printed document (``{"results": [...]}``) like every other command's.
``--resolve HOST:IP`` (repeatable, as with curl; repeat a HOST for several addresses; ``HOST:PORT:IP`` is
accepted too) routes a name, e.g. an endpoint DNS name to loopback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from linkpilot.probe import InvalidTarget, default_resolver, parse_target, probe_event
from linkpilot.probe import contract as c
from linkpilot.probe.model import is_ip_literal
from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import InvalidInput
from linkpilot_cli.registry import exit_codes

if TYPE_CHECKING:
    import ssl

    from linkpilot.probe import ProbeResult, Resolver

_DEFAULT_PORTS = {c.HTTP: 80, c.HTTPS: 443}
_PORT = re.compile(r"^(?:\[[^\]]*\]|[^:]*):(.*)$")


class BadUrl(ValueError):
    """A URL that cannot be a probe target; the message names it and says why."""


def _resolve_entry(text: str) -> tuple[str, str]:
    host, sep, rest = text.partition(":")
    if sep and host:
        if is_ip_literal(rest):
            return host.lower(), rest
        port, sep2, ip = rest.partition(":")
        if sep2 and port.isdigit() and is_ip_literal(ip.strip("[]")):
            return host.lower(), ip.strip("[]")
    raise click.BadParameter(f"expected HOST:IP or HOST:PORT:IP, got {text!r}")


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


def build_event(args: Any) -> dict[str, Any]:
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


DESCRIPTION = """\
Probe each URL with the probe function's own code: http:// and https:// (a GET judged on status and body),
tcp://HOST:PORT (connect), tls://HOST:PORT (handshake, certificate verified for the name). Every address the
name resolves to is probed (--resolve HOST:IP routes a name, as with curl)."""


@command(
    "probe",
    summary="probe tcp/tls/http/https targets the way the probe function does",
    description=DESCRIPTION,
    examples=(
        "linkpilot probe https://api.example.com/health --expect-body ok",
        "linkpilot probe tcp://db.internal:5432 tls://mq.internal:5671 --timeout 2",
        "linkpilot probe https://rcfg.example/ --resolve rcfg.example:127.0.0.1 --output json",
    ),
    exit_codes=exit_codes(
        "every target is ok",
        "a URL or an option is invalid; nothing was probed",
        failed="a target is not ok (degraded, down, certificate expiring, invalid)",
    ),
    output=True,
)
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option(
    "--expect-status", type=click.IntRange(100, 599), default=200, metavar="N", help="expected status (200)"
)
@click.option("--expect-body", metavar="TEXT", help="text the body must contain")
@click.option(
    "--timeout",
    type=click.FloatRange(0, c.MAX_TIMEOUT_S, min_open=True),
    default=5.0,
    metavar="S",
    help="per-target deadline in seconds (5)",
)
@click.option("--host-header", metavar="H", help="Host header to send instead of the URL's host")
@click.option("--server-name", metavar="NAME", help="TLS server name (SNI and certificate check)")
@click.option("--cacert", metavar="FILE", help="trust these CA certificates instead of the system's")
@click.option(
    "--cert-expiry-days",
    type=click.IntRange(0),
    metavar="N",
    help=f"a certificate expiring within N days is cert_expiring ({c.DEFAULT_CERT_EXPIRY_DAYS})",
)
@click.option(
    "--family",
    type=click.Choice(c.ADDRESS_FAMILIES),
    default=c.DUALSTACK,
    help="which of the name's addresses to probe (dualstack: all)",
)
@click.option(
    "--resolve",
    multiple=True,
    metavar="HOST:IP",
    callback=lambda _ctx, _param, values: tuple(_resolve_entry(v) for v in values),
    help="resolve HOST to IP (repeatable, also per HOST for several addresses; HOST:PORT:IP accepted)",
)
def COMMAND(call: Invocation, urls: tuple[str, ...], cacert: str | None, **options: Any) -> int:
    try:
        event = build_event(SimpleNamespace(urls=urls, **options))
    except BadUrl as exc:
        raise InvalidInput(str(exc)) from None
    context: ssl.SSLContext | None = None
    if cacert:
        import ssl

        try:
            context = ssl.create_default_context(cafile=cacert)
        except (OSError, ssl.SSLError) as exc:
            raise InvalidInput(f"--cacert {cacert!r}: {exc}") from None
    out = call.out
    results = probe_event(event, resolver=mapped_resolver(options["resolve"]), ssl_context=context)
    columns = ["target", "verdict", "reason", "kind", "status_code", "cert_days_left", "failed_addresses"]
    rows = (r.to_dict() if out.format == "json" else _row(r) for r in results)
    out.records("result", "Probe results", columns, rows)
    return 0 if results and all(r.ok for r in results) else 1


def _row(result: ProbeResult) -> dict[str, Any]:
    row = result.to_dict()
    failed = [a.get("address") for a in row.get("addresses") or [] if not a.get("ok")]
    return {**row, "failed_addresses": ",".join(str(a) for a in failed)}
