"""The probe client: targets fanned out to every address their name resolves to, verdicts gathered per target.

Each target has one deadline (``timeout_s``) covering its name lookup and every one of its addresses,
which are probed concurrently (one per Availability Zone for a resource endpoint) on the socket engine
(:mod:`linkpilot.probe.engine`). Addresses follow the target's ``address_family`` (ipv4, ipv6 or dualstack,
as the endpoint's IpAddressType); at most ``MAX_ADDRESSES`` are probed.

The target's verdict: ``ok`` (every address passes), ``cert_expiring`` (every address serves, a certificate
is within ``cert_expiry_days``), ``degraded`` (some addresses fail), ``down`` (all fail, or no address).
``reason`` is the first failing address's reason (dns, connect, timeout, status, body, tls, cert_expiring).
``not_probed``: the prober ran short of a local resource (file descriptors, threads, memory) and could not
check the target, or one of its addresses, for its whole timeout; that says nothing about the target, so it is
never ``down``. A target with an address not probed is still ``degraded`` when its probed addresses both
serve and fail (true whatever the others do); otherwise it is ``not_probed``.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from linkpilot.probe import contract as c
from linkpilot.probe.address import AddressProbe
from linkpilot.probe.engine import Engine
from linkpilot.probe.model import (
    CERT_EXPIRING,
    DEGRADED,
    DNS,
    DOWN,
    NOT_PROBED,
    OK,
    TIMEOUT,
    TLS,
    ProbeResult,
    Target,
    Timings,
    is_ip_literal,
    parse_event,
)

if TYPE_CHECKING:
    import ssl

# A name -> its addresses (a single address as a plain string is accepted too, as older resolvers return).
Resolver = Callable[[str], "str | Sequence[str]"]


def default_resolver(host: str) -> list[str]:
    """Every address ``getaddrinfo`` returns for ``host``, in its order, without repeats (the VPC resolver's
    answer in Lambda: one address per Availability Zone of the endpoint, A and AAAA records)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise OSError(f"no address for {host}")
    return addresses


def select_addresses(target: Target, answer: Sequence[str]) -> tuple[list[str], str | None]:
    """The addresses to probe for the target's family preference, or an error saying why there are none."""
    bad = [a for a in answer if not isinstance(a, str) or not is_ip_literal(a)]
    if bad:
        return [], f"resolver returned {bad[0]!r}, not an IP address"
    family = target.address_family
    wanted = [a for a in dict.fromkeys(answer) if family == c.DUALSTACK or (":" in a) == (family == c.IPV6)]
    if not wanted:
        shown = ", ".join(answer) or "nothing"
        return [], f"no {family} address for {target.dns_name} (resolved: {shown})"
    return wanted[: c.MAX_ADDRESSES], None


class _TargetRun:
    __slots__ = ("dns_ms", "index", "pending", "probes", "result", "start", "target")

    def __init__(self, index: int, target: Target, start: float) -> None:
        self.index, self.target, self.start = index, target, start
        self.dns_ms: float | None = None
        self.probes: list[AddressProbe] = []
        self.pending = 0
        self.result: ProbeResult | None = None


def summarize(
    run: _TargetRun, failure: tuple[str, str] | None = None, now: float | None = None
) -> ProbeResult:
    """A target's result from its addresses' (or from the failure that left it without addresses)."""
    t = run.target
    result = ProbeResult(target=t.endpoint_id, verdict=DOWN, index=run.index, url=t.url, kind=t.kind)
    result.child_arn = t.child_arn
    if failure is not None:
        result.reason, result.error = failure
        if result.reason == NOT_PROBED:
            result.verdict = NOT_PROBED
        result.timings = Timings(dns=run.dns_ms, total=None if now is None else (now - run.start) * 1000)
        return result
    addresses = [p.result for p in run.probes]
    result.addresses = addresses
    probed = [a for a in addresses if a.reason != NOT_PROBED]
    serving = sum(a.serving for a in probed)
    failing = [a for a in probed if not a.ok]
    if len(probed) < len(addresses) and not 0 < serving < len(probed):
        result.verdict = NOT_PROBED  # what the unprobed addresses would say could change the verdict
    elif serving == 0:
        result.verdict = DOWN
    elif serving < len(probed):
        result.verdict = DEGRADED
    else:
        result.verdict = CERT_EXPIRING if failing else OK
    if result.verdict == NOT_PROBED:
        shown = next(a for a in addresses if a.reason == NOT_PROBED)
        failing = [a for a in addresses if not a.ok]
    else:
        # the first address that failed for another reason than its certificate's age, else the first failing
        first = failing[0] if failing else addresses[0]
        shown = next((a for a in failing if a.reason != CERT_EXPIRING), first)
    result.reason, result.error, result.status_code = shown.reason, shown.error, shown.status_code
    result.bytes_read, result.timings = shown.bytes_read, shown.timings
    result.attempts = sum(a.attempts for a in addresses)
    days = [a.cert_days_left for a in addresses if a.cert_days_left is not None]
    result.cert_days_left = min(days) if days else None
    if len(addresses) > 1 and result.error is not None:
        result.error = (
            f"{shown.address}: {result.error} ({len(failing)} of {len(addresses)} addresses failing)"
        )
    return result


class _Fanout:
    def __init__(self, engine: Engine, ssl_context: ssl.SSLContext | None) -> None:
        self.engine, self.ssl_context = engine, ssl_context

    def begin(self, run: _TargetRun) -> None:
        t = run.target
        context, failure = self._context(t)
        if failure is not None:
            run.result = summarize(run, (TLS, failure), run.start)
        elif is_ip_literal(t.dns_name):
            run.dns_ms = 0.0
            self._probe(run, [t.dns_name], context)
        else:
            deadline = run.start + t.timeout_s

            def answered(ips: Sequence[str] | None, error: str | None, at: float, local: bool) -> None:
                run.dns_ms = (at - run.start) * 1000
                if local:  # the prober's shortage kept the name from being resolved in time
                    run.result = summarize(run, (NOT_PROBED, f"not probed: {error}"), at)
                    return
                if ips is None and error is None:
                    error = f"no verdict within {t.timeout_s:g} s: resolving {t.dns_name}"
                    run.result = summarize(run, (TIMEOUT, error), at)
                    return
                addresses, why = select_addresses(t, ips or [])
                if error is not None or why is not None:
                    run.result = summarize(run, (DNS, error or why or ""), at)
                else:
                    self._probe(run, addresses, context)

            self.engine.lookups.start(t.dns_name, deadline, answered)

    def _context(self, t: Target) -> tuple[ssl.SSLContext | None, str | None]:
        """A tls/https target's trust: its CA bundle, else the caller's context, else the system's."""
        if t.kind not in c.TLS_KINDS:
            return None, None
        import ssl

        from linkpilot.probe.tls import bundle_context, default_context

        if t.ca_bundle is None:
            return self.ssl_context or default_context(), None
        try:
            return bundle_context(t.ca_bundle), None
        except (ssl.SSLError, ValueError) as exc:
            return None, f"ca_bundle cannot be loaded: {exc}"

    def _probe(self, run: _TargetRun, addresses: list[str], context: ssl.SSLContext | None) -> None:
        deadline = run.start + run.target.timeout_s

        def done(_: AddressProbe) -> None:
            run.pending -= 1
            if run.pending == 0:
                run.result = summarize(run)

        run.pending = len(addresses)
        run.probes = [
            AddressProbe(
                run.target, ip, start=run.start, deadline=deadline, ssl_context=context, on_done=done
            )
            for ip in addresses
        ]
        for p in run.probes:
            p.result.timings.dns = run.dns_ms
            self.engine.add(p)


def probe_targets(
    targets: Iterable[tuple[int, Target]] | Sequence[Target],
    *,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[ProbeResult]:
    """Probes all targets (every address of each) concurrently; results in input order."""
    start = clock()
    engine = Engine(resolver or default_resolver, clock)
    fanout = _Fanout(engine, ssl_context)
    runs = []
    for position, item in enumerate(targets):
        index, target = item if isinstance(item, tuple) else (position, item)
        runs.append(_TargetRun(index, target, start))
    for run in runs:
        fanout.begin(run)
    engine.run()
    return [run.result or summarize(run) for run in runs]


def probe_event(
    event: Mapping[str, Any],
    *,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> list[ProbeResult]:
    """The probe function's whole job minus metrics: parse the input, probe the valid targets, report all.

    Raises :class:`~linkpilot.probe.model.InvalidEvent` when the input as a whole is malformed.
    """
    batch = parse_event(event)
    results = probe_targets(batch.targets, resolver=resolver, ssl_context=ssl_context)
    return sorted([*results, *batch.invalid], key=lambda r: r.index)


__all__ = ["Resolver", "default_resolver", "probe_event", "probe_targets", "select_addresses"]
