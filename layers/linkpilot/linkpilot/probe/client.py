"""The probe client: every target concurrently on one selector loop, each under its own hard deadline.

Per target: resolve (injectable resolver, run in a thread so a slow lookup delays nobody else),
non-blocking connect, optional TLS with a server-name override, send one ``GET``, read until
:func:`~linkpilot.probe.http.judge` has a verdict (never "until EOF"), at most 64 KiB, no redirects.
Nothing blocks the loop, so one bad target never delays another's verdict and the whole run ends by
the largest per-target deadline.

Why retries: a minimal responder (a shell loop piping a canned reply into netcat) serves one connection at a
time. A probe that arrives while it is busy, or while the loop restarts ``nc``, is refused, or is accepted
into the kernel's listen backlog and reset when that ``nc`` exits — without a single response byte. Those
failures are retried with a short backoff until the target's deadline; a failure after response bytes
arrived is judged on those bytes and never retried.

Uses only the standard library (``ssl`` and ``threading`` are imported only when needed): no boto3, no
pydantic, and no asyncio (its import alone costs more than the rest of the probe's cold start).
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from linkpilot.probe.http import build_request, judge
from linkpilot.probe.model import (
    CONNECT,
    DNS,
    MAX_READ_BYTES,
    TIMEOUT,
    TLS,
    ProbeResult,
    Target,
    is_ip_literal,
    parse_event,
)

if TYPE_CHECKING:
    import ssl

Resolver = Callable[[str], str]

RETRY_FIRST_S: Final = 0.01
RETRY_MAX_S: Final = 0.1
# A SYN dropped by a full listen backlog (netcat listens with a backlog of 1) is retransmitted by the kernel
# only after 1 s, then 3 s. A connect still pending after CONNECT_STALL_S gets a fresh connection racing it;
# the first to complete wins. The oldest is kept, so a genuinely slow path still connects.
CONNECT_STALL_S: Final = 0.2
CONNECT_RACE_MAX: Final = 4
_IN_PROGRESS: Final = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY}

_R, _W = selectors.EVENT_READ, selectors.EVENT_WRITE


def default_resolver(host: str) -> str:
    """The first address ``getaddrinfo`` returns for ``host`` (what the VPC resolver answers in Lambda)."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    if not infos:
        raise OSError(f"no address for {host}")
    return str(infos[0][4][0])


_default_ssl_context: ssl.SSLContext | None = None


def default_ssl_context() -> ssl.SSLContext:
    """System trust store, hostname checking on (checked against ``server_name`` when a target sets one)."""
    global _default_ssl_context  # noqa: PLW0603 - one context per process, built on first HTTPS target
    if _default_ssl_context is None:
        import ssl

        _default_ssl_context = ssl.create_default_context()
    return _default_ssl_context


class _Probe:
    """One target: resolve -> connect -> [handshake] -> exchange -> done; a retry loops back to connect."""

    __slots__ = (
        "attempts",
        "backoff",
        "buf",
        "connecting",
        "deadline",
        "expected_body",
        "interest",
        "ip",
        "last_transient",
        "request",
        "result",
        "retry_at",
        "sent",
        "sock",
        "stall_at",
        "state",
        "t_attempt",
        "t_ready",
        "t_start",
        "target",
    )

    def __init__(self, index: int, target: Target, now: float) -> None:
        self.target = target
        self.t_start = now
        self.deadline = now + target.timeout_s
        self.state = "resolve"
        self.ip: str | None = None
        self.sock: Any = None  # socket.socket or ssl.SSLSocket
        self.interest = 0
        self.request = build_request(target)
        self.expected_body = None if target.expected_body is None else target.expected_body.encode()
        self.sent = 0
        self.buf = bytearray()
        self.attempts = 0
        self.backoff = RETRY_FIRST_S
        self.retry_at = 0.0
        self.connecting: list[socket.socket] = []
        self.stall_at = 0.0
        self.last_transient: tuple[str, str] | None = None
        self.t_attempt = now
        self.t_ready = now
        self.result = ProbeResult(target=target.endpoint_id, verdict=TIMEOUT, index=index, url=target.url)


class _Engine:
    def __init__(
        self,
        resolver: Resolver,
        ssl_context: ssl.SSLContext | None,
        clock: Callable[[], float],
    ) -> None:
        self.resolver = resolver
        self.ssl_context = ssl_context
        self.clock = clock
        self.sel = selectors.DefaultSelector()
        self.waiting_dns: dict[str, list[_Probe]] = {}
        self.resolved: deque[tuple[str, str | None, str | None, float]] = deque()
        self.wake: tuple[socket.socket, socket.socket] | None = None

    # -- loop ---------------------------------------------------------------------------------------------
    def run(self, probes: list[_Probe]) -> None:
        try:
            for p in probes:
                self._begin(p)
            pending = [p for p in probes if p.state != "done"]
            while pending:
                self._drain_resolutions()
                pending = self._run_timers(pending)
                if not pending:
                    break
                wake_at = min(_next_timer(p) for p in pending)
                for key, mask in self.sel.select(max(0.0, wake_at - self.clock())):
                    if key.data is None:
                        self._drain_wake()
                    elif key.data.state != "done":
                        self._on_ready(key.data, mask, key.fileobj)
        finally:
            for p in probes:
                self._close(p)
            if self.wake is not None:
                for s in self.wake:
                    s.close()
            self.sel.close()

    def _run_timers(self, pending: list[_Probe]) -> list[_Probe]:
        """Deadlines, retry backoffs and stalled connects that are due; returns the probes still running."""
        now = self.clock()
        for p in pending:
            if p.state == "done":
                continue
            if now >= p.deadline:
                self._expire(p, now)
            elif p.state == "retry" and now >= p.retry_at:
                self._connect(p)
            elif p.state == "connect" and now >= p.stall_at:
                self._restart_stalled_connect(p)
        return [p for p in pending if p.state != "done"]

    def _begin(self, p: _Probe) -> None:
        name = p.target.dns_name
        if is_ip_literal(name):
            p.ip = name
            p.result.timings.dns = 0.0
            self._connect(p)
            return
        if name in self.waiting_dns:
            self.waiting_dns[name].append(p)
            return
        self.waiting_dns[name] = [p]
        if self.wake is None:
            self.wake = socket.socketpair()
            for s in self.wake:
                s.setblocking(False)
            self.sel.register(self.wake[0], _R, None)
        import threading

        threading.Thread(target=self._resolve, args=(name,), daemon=True, name=f"probe-dns-{name}").start()

    def _resolve(self, name: str) -> None:
        """Runs in a thread: a lookup that hangs is abandoned at the deadline, not waited for."""
        ip: str | None = None
        error: str | None = None
        try:
            ip = self.resolver(name)
            if not isinstance(ip, str) or not is_ip_literal(ip):
                ip, error = None, f"resolver returned {ip!r}, not an IP address"
        except Exception as exc:  # noqa: BLE001 - any resolver failure is this target's dns verdict
            error = f"cannot resolve {name}: {exc}"
        self.resolved.append((name, ip, error, self.clock()))
        wake = self.wake
        if wake is not None:
            # the run may have ended already (deadline passed) or the pipe be full: both harmless
            with contextlib.suppress(OSError):
                wake[1].send(b"\0")

    def _drain_wake(self) -> None:
        assert self.wake is not None
        try:
            while self.wake[0].recv(4096):
                pass
        except OSError:
            pass

    def _drain_resolutions(self) -> None:
        while self.resolved:
            name, ip, error, done_at = self.resolved.popleft()
            for p in self.waiting_dns.pop(name, []):
                if p.state == "done":
                    continue
                p.result.timings.dns = (done_at - p.t_start) * 1000
                if ip is None:
                    self._finish(p, DNS, error)
                else:
                    p.ip = ip
                    self._connect(p)

    # -- per-target steps -----------------------------------------------------------------------------------
    def _watch(self, p: _Probe, mask: int) -> None:
        if mask == p.interest:
            return
        if p.interest == 0:
            self.sel.register(p.sock, mask, p)
        else:
            self.sel.modify(p.sock, mask, p)
        p.interest = mask

    def _close(self, p: _Probe) -> None:
        for sock in p.connecting:
            self.sel.unregister(sock)
            sock.close()
        p.connecting.clear()
        if p.sock is None:
            return
        if p.interest:
            self.sel.unregister(p.sock)
            p.interest = 0
        p.sock.close()
        p.sock = None

    def _connect(self, p: _Probe) -> None:
        """A fresh attempt: the previous one (if any) failed before any response byte."""
        p.t_attempt = self.clock()
        p.state = "connect"
        p.buf.clear()
        p.sent = 0
        self._open_connection(p)

    def _open_connection(self, p: _Probe) -> None:
        assert p.ip is not None
        p.attempts += 1
        family = socket.AF_INET6 if ":" in p.ip else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:  # out of file descriptors: not the target's fault, but no verdict either
            if not p.connecting:
                self._finish(p, CONNECT, f"cannot create a socket: {exc}")
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex((p.ip, p.target.port))
        if err == 0:
            self._won_connect(p, sock, registered=False)
        elif err in _IN_PROGRESS:
            self.sel.register(sock, _W, p)
            p.connecting.append(sock)
            p.stall_at = self.clock() + CONNECT_STALL_S
        else:
            sock.close()
            self._connect_failed(p, err)

    def _restart_stalled_connect(self, p: _Probe) -> None:
        """Races a new connection against the pending ones (which keep their own SYN retransmits going)."""
        p.last_transient = (
            CONNECT,
            f"connect to {p.ip}:{p.target.port} not answered within {CONNECT_STALL_S:g} s",
        )
        if len(p.connecting) >= CONNECT_RACE_MAX:
            stale = p.connecting.pop(1)  # keep the oldest: on a slow path it is the one closest to success
            self.sel.unregister(stale)
            stale.close()
        self._open_connection(p)

    def _connect_failed(self, p: _Probe, err: int) -> None:
        message = f"connect to {p.ip}:{p.target.port} failed: {os.strerror(err)}"
        if p.connecting:  # other racing connections may still succeed
            p.last_transient = (CONNECT, message)
        else:
            self._transient(p, CONNECT, message)

    def _won_connect(self, p: _Probe, sock: socket.socket, *, registered: bool) -> None:
        if registered:
            p.connecting.remove(sock)
        self._close(p)  # the losers of the race
        p.sock = sock
        p.interest = _W if registered else 0
        self._connected(p)

    def _on_ready(self, p: _Probe, mask: int, sock: Any) -> None:
        if p.state == "connect":
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                p.connecting.remove(sock)
                self.sel.unregister(sock)
                sock.close()
                self._connect_failed(p, err)
            else:
                self._won_connect(p, sock, registered=True)
        elif p.state == "handshake":
            self._handshake(p)
        else:
            if mask & _W and p.sent < len(p.request):
                self._send(p)
            if mask & _R and p.state == "exchange":
                self._read(p)

    def _connected(self, p: _Probe) -> None:
        if p.target.scheme == "https":
            ctx = self.ssl_context or default_ssl_context()
            if p.interest:
                self.sel.unregister(p.sock)
                p.interest = 0
            p.sock = ctx.wrap_socket(
                p.sock,
                server_hostname=p.target.server_name or p.target.dns_name,
                do_handshake_on_connect=False,
            )
            p.state = "handshake"
            self._handshake(p)
        else:
            self._ready(p)

    def _handshake(self, p: _Probe) -> None:
        import ssl

        try:
            p.sock.do_handshake()
        except ssl.SSLWantReadError:
            self._watch(p, _R)
        except ssl.SSLWantWriteError:
            self._watch(p, _W)
        except ssl.SSLEOFError:
            # closed before any TLS byte: the same busy-or-restarting responder case as a plain reset
            self._transient(p, CONNECT, "connection closed during the TLS handshake")
        except ssl.SSLError as exc:
            self._finish(p, TLS, f"TLS handshake failed: {getattr(exc, 'verify_message', None) or exc}")
        except OSError as exc:
            self._transient(p, CONNECT, f"connection failed during the TLS handshake: {exc}")
        else:
            self._ready(p)

    def _ready(self, p: _Probe) -> None:
        p.t_ready = self.clock()
        p.result.timings.connect = (p.t_ready - p.t_attempt) * 1000
        p.state = "exchange"
        self._send(p)
        if p.state == "exchange":
            self._read(p)  # a responder may have answered (and closed) before reading the request

    def _send(self, p: _Probe) -> None:
        try:
            p.sent += p.sock.send(p.request[p.sent :])
        except _would_block(p):
            pass
        except OSError:
            # EPIPE/ECONNRESET: a canned responder may answer and close without reading the request; the
            # verdict comes from whatever it sent, read next.
            p.sent = len(p.request)
        self._watch(p, _R if p.sent >= len(p.request) else _R | _W)

    def _read(self, p: _Probe) -> None:
        would_block = _would_block(p)
        while True:
            try:
                chunk = p.sock.recv(min(MAX_READ_BYTES - len(p.buf), 65536))
            except would_block:
                return
            except OSError as exc:
                self._end_of_stream(p, exc)
                return
            if not chunk:
                self._end_of_stream(p, None)
                return
            if not p.buf:
                p.result.timings.first_byte = (self.clock() - p.t_ready) * 1000
            p.buf += chunk
            truncated = len(p.buf) >= MAX_READ_BYTES
            j = judge(
                bytes(p.buf),
                expected_status=p.target.expected_status,
                expected_body=p.expected_body,
                complete=truncated,
                truncated=truncated,
            )
            if j is not None:
                self._finish(p, j.verdict, j.error, j.status_code)
                return

    def _end_of_stream(self, p: _Probe, exc: OSError | None) -> None:
        if not p.buf:
            how = f"reset ({exc})" if exc else "closed"
            self._transient(p, CONNECT, f"connection {how} before any response byte")
            return
        j = judge(
            bytes(p.buf),
            expected_status=p.target.expected_status,
            expected_body=p.expected_body,
            complete=True,
        )
        assert j is not None
        error = j.error
        if error and exc is not None:
            error += f" (connection reset: {exc})"
        self._finish(p, j.verdict, error, j.status_code)

    def _transient(self, p: _Probe, verdict: str, message: str) -> None:
        self._close(p)
        now = self.clock()
        p.last_transient = (verdict, message)
        # jitter, so that probes racing for a one-connection responder do not retry in lockstep
        delay = p.backoff * (0.5 + (time.perf_counter_ns() >> 10) % 1024 / 1024)
        if now + delay < p.deadline:
            p.state = "retry"
            p.retry_at = now + delay
            p.backoff = min(p.backoff * 2, RETRY_MAX_S)
        else:
            self._finish(p, verdict, _with_attempts(message, p.attempts))

    def _expire(self, p: _Probe, now: float) -> None:
        if p.state == "retry" and p.last_transient is not None:
            verdict, message = p.last_transient
            self._finish(p, verdict, _with_attempts(message, p.attempts))
            return
        phase = {
            "resolve": f"resolving {p.target.dns_name}",
            "connect": f"connecting to {p.ip}:{p.target.port}",
            "handshake": "in the TLS handshake",
        }.get(p.state)
        status_code = None
        if phase is None:
            if not p.buf:
                phase = "waiting for the first response byte"
            else:
                phase = f"reading the response ({len(p.buf)} bytes so far)"
                j = judge(
                    bytes(p.buf),
                    expected_status=p.target.expected_status,
                    expected_body=p.expected_body,
                    complete=True,
                )
                status_code = j.status_code if j else None
        error = f"no verdict within {p.target.timeout_s:g} s: {phase}"
        if p.last_transient is not None:
            error += f"; earlier attempt: {p.last_transient[1]}"
        self._finish(p, TIMEOUT, _with_attempts(error, p.attempts), status_code, now)

    def _finish(
        self,
        p: _Probe,
        verdict: str,
        error: str | None,
        status_code: int | None = None,
        now: float | None = None,
    ) -> None:
        self._close(p)
        p.state = "done"
        r = p.result
        r.verdict = verdict
        r.error = error
        r.status_code = status_code
        r.bytes_read = len(p.buf)
        r.attempts = p.attempts
        r.timings.total = ((self.clock() if now is None else now) - p.t_start) * 1000


def _next_timer(p: _Probe) -> float:
    if p.state == "retry":
        return p.retry_at
    if p.state == "connect":
        return min(p.stall_at, p.deadline)
    return p.deadline


def _would_block(p: _Probe) -> tuple[type[BaseException], ...]:
    if p.target.scheme != "https":
        return (BlockingIOError,)
    import ssl

    return (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def _with_attempts(message: str, attempts: int) -> str:
    return message if attempts <= 1 else f"{message} (after {attempts} attempts)"


def probe_targets(
    targets: Iterable[tuple[int, Target]] | Sequence[Target],
    *,
    resolver: Resolver | None = None,
    ssl_context: ssl.SSLContext | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[ProbeResult]:
    """Probes all targets concurrently; results in input order. Targets may be given with their indexes."""
    start = clock()
    probes = []
    for position, item in enumerate(targets):
        index, target = item if isinstance(item, tuple) else (position, item)
        probes.append(_Probe(index, target, start))
    _Engine(resolver or default_resolver, ssl_context, clock).run(probes)
    return [p.result for p in probes]


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
