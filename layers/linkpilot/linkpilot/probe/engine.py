"""The probe's socket engine: every address of every target on one selector loop, under hard deadlines.

Per address: non-blocking connect, then by kind: ``tcp`` is done when connected; ``tls`` when the handshake
completes (chain verified for the expected name); ``http``/``https`` send one ``GET`` and read until
:func:`~linkpilot.probe.http.judge` has a verdict (never "until EOF"), at most 64 KiB, no redirects. Name
lookups run in threads (:mod:`linkpilot.probe.lookup`). Nothing blocks the loop, so one bad address never
delays another's verdict. Retries: a one-connection-at-a-time responder (netcat in a shell loop) refuses or
resets probes that arrive while it is busy or restarting, before any response byte; such failures are retried
with a short backoff until the deadline. A failure after response bytes arrived is judged, never retried.
Standard library only (``ssl``/``threading`` imported when first needed; no asyncio: its import costs more
than the rest of the probe's cold start).

A local shortage is the prober's, never a target's verdict (:mod:`linkpilot.probe.slots`).
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import time
from collections.abc import Callable
from typing import Any, Final

from linkpilot.probe import contract as c
from linkpilot.probe.address import RETRY_MAX_S, AddressProbe, hp, next_timer, with_attempts, would_block
from linkpilot.probe.http import judge
from linkpilot.probe.lookup import Lookups
from linkpilot.probe.model import CERT_EXPIRING, CONNECT, NOT_PROBED, OK, TIMEOUT, TLS
from linkpilot.probe.slots import LOCAL_SHORTAGE, Slots

# A SYN dropped by a full listen backlog (netcat's is 1) is retransmitted only after 1 s, then 3 s: a connect
# pending after CONNECT_STALL_S gets a fresh connection racing it (first to complete wins; oldest kept).
CONNECT_STALL_S: Final = 0.2
CONNECT_RACE_MAX: Final = 4
_IN_PROGRESS: Final = {errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY}
_R, _W = selectors.EVENT_READ, selectors.EVENT_WRITE


class Engine:
    """Runs address probes and name lookups; callbacks may add more of either while it runs."""

    def __init__(
        self,
        resolver: Callable[[str], Any],
        clock: Callable[[], float] = time.monotonic,
        *,
        slots: int | None = None,
    ) -> None:
        self.resolver, self.clock = resolver, clock
        self.sel = selectors.DefaultSelector()
        self.probes: list[AddressProbe] = []
        self.lookups = Lookups(resolver, clock, self.sel)
        self.slots = Slots(clock, slots)

    def add(self, p: AddressProbe) -> None:
        self.probes.append(p)
        self._connect(p)

    def run(self) -> None:
        try:
            while True:
                self.lookups.deliver()
                now = self.clock()
                self.lookups.expire(now)
                self._run_timers(now)
                self._start_waiting()
                self.probes = [p for p in self.probes if p.state != "done"]  # finished ones are closed
                timers = [next_timer(p) for p in self.probes] + self.lookups.deadlines()
                if not timers:
                    break
                if (wake := self.slots.wake_at()) is not None:  # paused after a shortage
                    timers.append(wake)
                for key, mask in self.sel.select(max(0.0, min(timers) - self.clock())):
                    if key.data is None:
                        self.lookups.drain_wake()
                    elif key.data.state != "done":
                        self._on_ready(key.data, mask, key.fileobj)
        finally:
            for p in self.probes:
                self._close(p)
            self.lookups.close()
            self.sel.close()

    def _run_timers(self, now: float) -> None:
        for p in list(self.probes):
            if p.state == "done":
                continue
            if now >= p.deadline:
                self._expire(p, now)
            elif p.state == "retry" and now >= p.retry_at:
                self._connect(p)
            elif p.state == "connect" and now >= p.stall_at:
                self._restart_stalled_connect(p)

    def _watch(self, p: AddressProbe, mask: int) -> None:
        if mask == p.interest:
            return
        if p.interest == 0:
            self.sel.register(p.sock, mask, p)
        else:
            self.sel.modify(p.sock, mask, p)
        p.interest = mask

    def _close(self, p: AddressProbe) -> None:
        for sock in p.connecting:
            self.sel.unregister(sock)
            self.slots.release(sock)
        p.connecting.clear()
        if p.sock is not None:
            if p.interest:
                self.sel.unregister(p.sock)
                p.interest = 0
            self.slots.release(p.sock)
            p.sock = None

    def _queue(self, p: AddressProbe, *, front: bool = False) -> None:
        """The address waits for a socket slot; a racing connection of another address gives its slot up."""
        self.slots.wait(p, front=front)
        for q in self.probes:
            if q.state == "connect" and len(q.connecting) > 1:
                extra = q.connecting.pop()
                self.sel.unregister(extra)
                self.slots.release(extra)
                return

    def _start_waiting(self) -> None:
        while (p := self.slots.next()) is not None:
            self._attempt(p)
            if p.state == "queued":  # a shortage again: it is back at the head, new sockets paused
                return

    def _connect(self, p: AddressProbe) -> None:
        """A fresh attempt: the previous one (if any) failed before any response byte."""
        if self.slots.waiting or not self.slots.free():
            self._queue(p)  # behind the addresses already waiting
        else:
            self._attempt(p)

    def _attempt(self, p: AddressProbe) -> None:
        p.t_attempt = self.clock()
        p.state = "connect"
        p.buf.clear()
        p.sent = 0
        self._open_connection(p)

    def _open_connection(self, p: AddressProbe) -> None:
        family = socket.AF_INET6 if ":" in p.ip else socket.AF_INET
        try:
            sock = socket.socket(family, socket.SOCK_STREAM)
        except OSError as exc:  # no network I/O happened: the prober's problem, never the target's
            self._local_failure(p, exc.errno, f"cannot create a socket: {exc.strerror or exc}")
            return
        self.slots.hold()
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        err = sock.connect_ex((p.ip, p.target.port))
        if err in LOCAL_SHORTAGE:
            self.slots.release(sock)
            self._local_failure(p, err, f"cannot connect: {os.strerror(err)}")
            return
        p.attempts += 1
        if err == 0:
            self._won_connect(p, sock, registered=False)
        elif err in _IN_PROGRESS:
            self.sel.register(sock, _W, p)
            p.connecting.append(sock)
            p.stall_at = self.clock() + CONNECT_STALL_S
        else:
            self.slots.release(sock)
            self._connect_failed(p, err)

    def _local_failure(self, p: AddressProbe, err: int | None, message: str) -> None:
        """A socket the prober could not make: a shortage is waited out, anything else ends as not_probed."""
        if err in LOCAL_SHORTAGE:
            self.slots.short(message)
            if not p.connecting:
                self._queue(p, front=True)
        elif not p.connecting:
            self._finish(p, NOT_PROBED, f"not probed: {message}")

    def _restart_stalled_connect(self, p: AddressProbe) -> None:
        """Races a new connection against the pending ones (which keep their own SYN retransmits going)."""
        p.last_transient = (CONNECT, f"connect to {hp(p)} not answered within {CONNECT_STALL_S:g} s")
        p.stall_at = self.clock() + CONNECT_STALL_S
        if self.slots.waiting:  # a slot goes to an address without a socket before a second one for this one
            return
        if len(p.connecting) >= CONNECT_RACE_MAX:
            stale = p.connecting.pop(1)  # keep the oldest: on a slow path it is the one closest to success
            self.sel.unregister(stale)
            self.slots.release(stale)
        if self.slots.free():
            self._open_connection(p)

    def _connect_failed(self, p: AddressProbe, err: int) -> None:
        if err in LOCAL_SHORTAGE:
            self._local_failure(p, err, f"cannot connect: {os.strerror(err)}")
            return
        message = f"connect to {hp(p)} failed: {os.strerror(err)}"
        if p.connecting:  # other racing connections may still succeed
            p.last_transient = (CONNECT, message)
        else:
            self._transient(p, CONNECT, message)

    def _won_connect(self, p: AddressProbe, sock: socket.socket, *, registered: bool) -> None:
        if registered:
            p.connecting.remove(sock)
        self._close(p)  # the losers of the race
        p.sock = sock
        p.interest = _W if registered else 0
        self._connected(p)

    def _on_ready(self, p: AddressProbe, mask: int, sock: Any) -> None:
        if p.state == "connect":
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                p.connecting.remove(sock)
                self.sel.unregister(sock)
                self.slots.release(sock)
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

    def _connected(self, p: AddressProbe) -> None:
        kind = p.target.kind
        if kind == c.TCP:
            self._mark_ready(p)
            self._finish(p, OK, None)
        elif kind in c.TLS_KINDS:
            if p.interest:
                self.sel.unregister(p.sock)
                p.interest = 0
            assert p.ssl_context is not None, "the client gives every tls/https address a context"
            p.sock = p.ssl_context.wrap_socket(
                p.sock,
                server_hostname=p.target.server_name or p.target.dns_name,
                do_handshake_on_connect=False,
            )
            p.state = "handshake"
            self._handshake(p)
        else:
            self._ready(p)

    def _handshake(self, p: AddressProbe) -> None:
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
            from linkpilot.probe.tls import days_left

            p.result.cert_days_left = days_left(p.sock.getpeercert())
            if p.target.kind == c.TLS_KIND:
                self._mark_ready(p)
                self._finish(p, OK, None)
            else:
                self._ready(p)

    def _mark_ready(self, p: AddressProbe) -> None:
        p.t_ready = self.clock()
        p.result.timings.connect = (p.t_ready - p.t_attempt) * 1000

    def _ready(self, p: AddressProbe) -> None:
        self._mark_ready(p)
        p.state = "exchange"
        self._send(p)
        if p.state == "exchange":
            self._read(p)  # a responder may have answered (and closed) before reading the request

    def _send(self, p: AddressProbe) -> None:
        try:
            p.sent += p.sock.send(p.request[p.sent :])
        except would_block(p):
            pass
        except OSError:
            # EPIPE/ECONNRESET: a canned responder may answer and close without reading the request; the
            # verdict comes from whatever it sent, read next.
            p.sent = len(p.request)
        self._watch(p, _R if p.sent >= len(p.request) else _R | _W)

    def _judge(self, p: AddressProbe, *, complete: bool, truncated: bool = False) -> Any:
        return judge(
            bytes(p.buf),
            expected_status=p.target.expected_status,
            expected_body=p.expected_body,
            complete=complete,
            truncated=truncated,
        )

    def _read(self, p: AddressProbe) -> None:
        blocked = would_block(p)
        while True:
            try:
                chunk = p.sock.recv(min(c.MAX_READ_BYTES - len(p.buf), 65536))
            except blocked:
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
            truncated = len(p.buf) >= c.MAX_READ_BYTES
            j = self._judge(p, complete=truncated, truncated=truncated)
            if j is not None:
                self._finish(p, j.verdict, j.error, j.status_code)
                return

    def _end_of_stream(self, p: AddressProbe, exc: OSError | None) -> None:
        if not p.buf:
            how = f"reset ({exc})" if exc else "closed"
            self._transient(p, CONNECT, f"connection {how} before any response byte")
            return
        j = self._judge(p, complete=True)
        error = j.error
        if error and exc is not None:
            error += f" (connection reset: {exc})"
        self._finish(p, j.verdict, error, j.status_code)

    def _transient(self, p: AddressProbe, verdict: str, message: str) -> None:
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
            self._finish(p, *self.slots.at_deadline(p, verdict, with_attempts(message, p.attempts)))

    def _expire(self, p: AddressProbe, now: float) -> None:
        if p.state == "queued":
            error = f"not probed within {p.target.timeout_s:g} s: no socket free ({self.slots.describe()})"
            if p.last_transient is not None:
                error += f"; earlier attempt: {p.last_transient[1]}"
            self.slots.stop_waiting(p, now)
            self._finish(p, NOT_PROBED, with_attempts(error, p.attempts), now=now)
            return
        if p.state == "retry" and p.last_transient is not None:
            verdict, message = p.last_transient
            self._finish(p, *self.slots.at_deadline(p, verdict, with_attempts(message, p.attempts)))
            return
        phase = {"connect": f"connecting to {hp(p)}", "handshake": "in the TLS handshake"}.get(p.state)
        status_code = None
        if phase is None:
            if not p.buf:
                phase = "waiting for the first response byte"
            else:
                phase = f"reading the response ({len(p.buf)} bytes so far)"
                j = self._judge(p, complete=True)
                status_code = j.status_code if j else None
        error = f"no verdict within {p.target.timeout_s:g} s: {phase}"
        if p.last_transient is not None:
            error += f"; earlier attempt: {p.last_transient[1]}"
        verdict, error = self.slots.at_deadline(p, TIMEOUT, with_attempts(error, p.attempts))
        self._finish(p, verdict, error, status_code, now)

    def _finish(
        self,
        p: AddressProbe,
        verdict: str,
        error: str | None,
        status: int | None = None,
        now: float | None = None,
    ) -> None:
        self._close(p)
        p.state = "done"
        r = p.result
        days, threshold = r.cert_days_left, p.target.cert_expiry_days
        if verdict == OK and days is not None and days < threshold:
            verdict, error = CERT_EXPIRING, f"certificate expires in {days:.1f} days (threshold {threshold})"
        r.reason = None if verdict == OK else verdict
        r.error, r.status_code, r.bytes_read, r.attempts = error, status, len(p.buf), p.attempts
        r.timings.total = ((self.clock() if now is None else now) - p.t_start) * 1000
        if p.on_done is not None:  # the client's fan-out: the target's verdict once all addresses are done
            p.on_done(p)
