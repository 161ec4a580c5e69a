"""Name lookups for the probe engine: one thread per distinct name, answers handed back through a socket pair.

A lookup that hangs is abandoned at its deadline (the waiting targets get a timeout), never waited for.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

# (addresses or None, error or None, monotonic time of the answer); None, None: the deadline passed first
LookupDone = Callable[[Sequence[str] | None, str | None, float], None]


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
        self.started: set[str] = set()
        self.answers: deque[tuple[str, Sequence[str] | None, str | None, float]] = deque()
        self.wake: tuple[socket.socket, socket.socket] | None = None

    def start(self, name: str, deadline: float, on_done: LookupDone) -> None:
        self.waiters.append(_Waiter(name, deadline, on_done))
        if name in self.started:
            return
        self.started.add(name)
        if self.wake is None:
            self.wake = socket.socketpair()
            for s in self.wake:
                s.setblocking(False)
            self.sel.register(self.wake[0], selectors.EVENT_READ, None)  # data None: the wake-up pipe
        import threading

        threading.Thread(target=self._resolve, args=(name,), daemon=True, name=f"probe-dns-{name}").start()

    def _resolve(self, name: str) -> None:
        """Runs in a thread."""
        ips: Sequence[str] | None = None
        error: str | None = None
        try:
            answer = self.resolver(name)
            ips = [answer] if isinstance(answer, str) else list(answer)
        except Exception as exc:  # noqa: BLE001 - any resolver failure is this target's dns verdict
            error = f"cannot resolve {name}: {exc}"
        self.answers.append((name, ips, error, self.clock()))
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
            name, ips, error, done_at = self.answers.popleft()
            for w in self.waiters:
                if w.name == name and not w.done:
                    w.done = True
                    w.on_done(ips, error, done_at)

    def expire(self, now: float) -> None:
        for w in self.waiters:
            if not w.done and now >= w.deadline:
                w.done = True
                w.on_done(None, None, now)

    def deadlines(self) -> list[float]:
        return [w.deadline for w in self.waiters if not w.done]

    def close(self) -> None:
        if self.wake is not None:
            for s in self.wake:
                s.close()
