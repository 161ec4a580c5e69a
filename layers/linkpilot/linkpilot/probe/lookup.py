"""Name lookups for the probe engine: one thread per distinct name, answers handed back through a socket pair.

A lookup that hangs is abandoned at its deadline (the waiting targets get a timeout), never waited for.
At most ``LOOKUP_THREADS`` lookups run at once (Lambda allows 1,024 processes/threads and 1,024 file
descriptors per execution environment, and each ``getaddrinfo`` holds a socket); the other names wait their
turn. A lookup that fails for want of a local resource (descriptors, memory, a thread) is the prober's
problem: it is retried after a short pause, and a name not resolved by its deadline for that reason (or one
kept waiting for a thread whose lookup then ran out of time) is reported as not probed, never as the
target's ``dns`` or ``timeout``.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from linkpilot.probe.slots import LOOKUP_THREADS, SHORTAGE_PAUSE_S, is_shortage

# (addresses or None, error or None, monotonic time of the answer, local): None, None, local False: the
# deadline passed while the lookup ran; local True: the prober's shortage kept the name from being resolved
# in time (the error says which), which is no verdict on the target.
LookupDone = Callable[[Sequence[str] | None, str | None, float, bool], None]


class _Waiter:
    __slots__ = ("deadline", "done", "name", "on_done")

    def __init__(self, name: str, deadline: float, on_done: LookupDone) -> None:
        self.name, self.deadline, self.on_done, self.done = name, deadline, on_done, False


class Lookups:
    def __init__(
        self, resolver: Callable[[str], Any], clock: Callable[[], float], sel: selectors.BaseSelector
    ) -> None:
        self.resolver, self.clock, self.sel = resolver, clock, sel
        self.waiters: list[_Waiter] = []
        self.by_name: dict[str, list[_Waiter]] = {}
        self.state: dict[str, str] = {}  # name -> queued | running | done
        self.queued: deque[str] = deque()  # names waiting for a lookup thread, in order
        self.delayed: set[str] = set()  # names that waited for a thread or were retried after a shortage
        self.running = 0
        self.pause_until = 0.0
        self.shortage: str | None = None
        self.answers: deque[tuple[str, Sequence[str] | None, str | None, bool, float]] = deque()
        self.wake: tuple[socket.socket, socket.socket] | None = None

    def start(self, name: str, deadline: float, on_done: LookupDone) -> None:
        waiter = _Waiter(name, deadline, on_done)
        self.waiters.append(waiter)
        self.by_name.setdefault(name, []).append(waiter)
        if name in self.state:
            return
        self.state[name] = "queued"
        self.queued.append(name)
        self._start_queued()
        if self.state[name] == "queued":
            self.delayed.add(name)

    def _start_queued(self) -> None:
        while self.queued and self.running < LOOKUP_THREADS and self.clock() >= self.pause_until:
            name = self.queued.popleft()
            if all(w.done for w in self.by_name[name]):  # every target waiting for it is past its deadline
                self.state[name] = "done"
                continue
            try:
                self._spawn(name)
            except (OSError, RuntimeError) as exc:  # no socket pair, or no thread: a shortage, wait
                self.queued.appendleft(name)
                self.delayed.add(name)
                self._short(f"cannot start a lookup: {exc}")
                break
            self.state[name] = "running"
            self.running += 1

    def _spawn(self, name: str) -> None:
        if self.wake is None:
            wake = socket.socketpair()
            for s in wake:
                s.setblocking(False)
            self.sel.register(wake[0], selectors.EVENT_READ, None)  # data None: the wake-up pipe
            self.wake = wake
        import threading

        threading.Thread(target=self._resolve, args=(name,), daemon=True, name=f"probe-dns-{name}").start()

    def _short(self, message: str) -> None:
        self.shortage = message
        self.pause_until = self.clock() + SHORTAGE_PAUSE_S

    def _resolve(self, name: str) -> None:
        """Runs in a thread."""
        ips: Sequence[str] | None = None
        error: str | None = None
        local = False
        try:
            answer = self.resolver(name)
            ips = [answer] if isinstance(answer, str) else list(answer)
        except Exception as exc:  # noqa: BLE001 - any resolver failure is this target's dns verdict
            error = f"cannot resolve {name}: {exc}"
            local = is_shortage(exc)  # ... unless it is the prober's own shortage
        self.answers.append((name, ips, error, local, self.clock()))
        wake = self.wake
        if wake is not None:  # the run may have ended (deadline) or the pipe be full: both harmless
            with contextlib.suppress(OSError):
                wake[1].send(b"\0")

    def drain_wake(self) -> None:
        assert self.wake is not None
        with contextlib.suppress(OSError):
            while self.wake[0].recv(4096):
                pass

    def deliver(self) -> None:
        while self.answers:
            name, ips, error, local, done_at = self.answers.popleft()
            self.running -= 1
            if local:  # the prober's shortage: retried after a pause, first in line
                self.state[name] = "queued"
                self.queued.appendleft(name)
                self.delayed.add(name)
                self._short(error or "")
                continue
            self.state[name] = "done"
            for w in self.by_name[name]:
                if not w.done:
                    w.done = True
                    w.on_done(ips, error, done_at, False)
        self._start_queued()

    def expire(self, now: float) -> None:
        for w in self.waiters:
            if not w.done and now >= w.deadline:
                w.done = True
                if w.name in self.delayed:
                    w.on_done(None, self._not_resolved(w.name), now, True)
                else:
                    w.on_done(None, None, now, False)

    def _not_resolved(self, name: str) -> str:
        how = "still waiting" if self.state.get(name) == "queued" else "its lookup started late, not answered"
        text = f"{name} not resolved in time: {how} (at most {LOOKUP_THREADS} lookups at once"
        return f"{text}; last shortage: {self.shortage})" if self.shortage else f"{text})"

    def deadlines(self) -> list[float]:
        pending = [w.deadline for w in self.waiters if not w.done]
        if pending and self.queued and self.running < LOOKUP_THREADS:
            pending.append(self.pause_until)  # queued names start when the pause ends
        return pending

    def close(self) -> None:
        if self.wake is not None:
            for s in self.wake:
                s.close()
