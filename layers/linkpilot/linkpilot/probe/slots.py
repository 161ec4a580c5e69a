"""The prober's own limits: how many sockets one run may hold, and the addresses waiting for one.

Local resources are the prober's, never a target's verdict. Lambda gives a function 1,024 file descriptors
and 1,024 processes/threads (Lambda quotas, "Function configuration, deployment, and execution"); every
address being probed holds a socket and every name lookup a thread (and a resolver socket). So the engine
holds at most :func:`socket_slots` sockets at once (the soft ``RLIMIT_NOFILE`` minus the descriptors already
open minus a reserve), and an address beyond that waits for a slot, in order. A socket that cannot be created
or connected for want of a local resource (``LOCAL_SHORTAGE``) puts its address back at the head of the queue
and pauses new sockets for ``SHORTAGE_PAUSE_S``. An address still waiting at its deadline, or one kept
waiting whose outcome rests on the deadline (a timeout, a refusal retried until the deadline), is
``not_probed``: it did not have its whole timeout, so the deadline proves nothing about the target. An
outcome decided by what the target sent stands however long the address waited.

Standard library only (on the probe's cold-start path).
"""

from __future__ import annotations

import errno
import os
import socket
from collections import deque
from collections.abc import Callable
from typing import Any, Final, Protocol

from linkpilot.probe.model import NOT_PROBED

# The prober's own shortage, never the target's: socket(2) EMFILE/ENFILE/ENOBUFS/ENOMEM, connect(2)
# EADDRNOTAVAIL ("all port numbers in the ephemeral port range are currently in use"). Waited out, retried.
LOCAL_SHORTAGE: Final = frozenset(
    {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.EADDRNOTAVAIL}
)
SHORTAGE_PAUSE_S: Final = 0.05  # after a shortage nothing new starts for this long: one failed try per pause
LOOKUP_THREADS: Final = 32  # name lookups running at once (each a thread holding a resolver socket or two)
# Descriptors left to everything but the engine's sockets: the selector, the lookup threads' resolver sockets,
# TLS trust files, the runtime's own.
FD_RESERVE: Final = 2 * LOOKUP_THREADS + 32
MAX_SOCKETS: Final = 8192  # when the limit is unlimited or huge: still a bound on one run's sockets


def is_shortage(exc: BaseException) -> bool:
    """Whether an error is the prober's own shortage (descriptors, buffers, memory), not the target's.

    ``getaddrinfo`` reports its system errors as ``OSError`` with the errno (``EAI_SYSTEM``), memory as
    ``gaierror(EAI_MEMORY)``."""
    if isinstance(exc, MemoryError):
        return True
    if isinstance(exc, socket.gaierror):
        return exc.errno == getattr(socket, "EAI_MEMORY", None)
    return isinstance(exc, OSError) and exc.errno in LOCAL_SHORTAGE


def socket_slots(soft_limit: int, open_now: int) -> int:
    """How many sockets one run may hold at once: the soft descriptor limit minus the descriptors already open
    minus a reserve (``FD_RESERVE``, at most a quarter of the limit), at least 1 and at most ``MAX_SOCKETS``.
    A negative limit is ``RLIM_INFINITY``."""
    if soft_limit < 0 or soft_limit >= MAX_SOCKETS + FD_RESERVE + open_now:
        return MAX_SOCKETS
    return max(1, soft_limit - open_now - min(FD_RESERVE, soft_limit // 4))


def descriptor_limit() -> int:
    """The process's soft ``RLIMIT_NOFILE`` (-1: unlimited, or unknown on a platform without ``resource``)."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on Linux or macOS
        return -1
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return -1 if soft == resource.RLIM_INFINITY else int(soft)


def open_descriptors() -> int:
    """How many descriptors the process has open now (Linux ``/proc/self/fd``, macOS ``/dev/fd``; 0 if neither
    can be listed: the reserve and the shortage handling then cover the difference)."""
    for directory in ("/proc/self/fd", "/dev/fd"):
        try:
            # minus the descriptor the listing itself used; os, not pathlib: not imported at cold start
            return max(0, len(os.listdir(directory)) - 1)  # noqa: PTH208
        except OSError:
            continue
    return 0


class Waiting(Protocol):
    """What the slots use of an address probe."""

    state: str
    queued_at: float | None
    waited_s: float
    target: Any  # its timeout_s


# A run that holds fewer sockets than this never reads the descriptor limit (Lambda's is 1,024).
UNCOUNTED_SOCKETS = 32


class Slots:
    """The sockets a run holds (``in_use`` of ``capacity``) and the addresses waiting for one, in order."""

    def __init__(self, clock: Callable[[], float], capacity: int | None = None) -> None:
        self.clock = clock
        self._capacity = capacity  # None: counted against the open descriptors when a run first needs it
        # the limit alone (one getrlimit), before any descriptor is counted: no run holds more than this
        self._ceiling = socket_slots(descriptor_limit(), 0) if capacity is None else capacity
        self.in_use = 0
        self.waiting: deque[Any] = deque()
        self.pause_until = 0.0
        self.shortage: str | None = None  # the last local shortage, for the not_probed message

    @property
    def capacity(self) -> int:
        if self._capacity is None:
            self._capacity = socket_slots(descriptor_limit(), open_descriptors())
        return self._capacity

    def free(self) -> bool:
        # Counting the open descriptors lists /proc/self/fd, costing as much as a loopback TCP check: a run
        # holding only a few sockets does not ask (a shortage there is still caught: see ``short``).
        if self._capacity is None and self.in_use < min(UNCOUNTED_SOCKETS, self._ceiling):
            return self.clock() >= self.pause_until
        return self.in_use < self.capacity and self.clock() >= self.pause_until

    def hold(self) -> None:
        self.in_use += 1

    def release(self, sock: Any) -> None:
        sock.close()
        self.in_use -= 1

    def short(self, message: str) -> None:
        """A local shortage: no new socket for a moment."""
        self.shortage = message
        self.pause_until = self.clock() + SHORTAGE_PAUSE_S

    def wait(self, p: Waiting, *, front: bool = False) -> None:
        """``p`` (holding no socket) waits for a slot: behind the others, or first after a shortage."""
        p.state = "queued"
        p.queued_at = self.clock()
        if front:
            self.waiting.appendleft(p)
        else:
            self.waiting.append(p)

    def next(self) -> Any:
        """The first waiting address when a slot is free (its wait counted), else None."""
        while self.waiting and self.free():
            p = self.waiting.popleft()
            if p.state != "queued":  # done meanwhile (its deadline passed)
                continue
            self.stop_waiting(p, self.clock())
            return p
        return None

    def stop_waiting(self, p: Waiting, now: float) -> None:
        p.waited_s += now - (p.queued_at if p.queued_at is not None else now)
        p.queued_at = None

    def wake_at(self) -> float | None:
        """When waiting addresses may start though no socket closes: the end of a shortage pause."""
        return self.pause_until if self.waiting and self.in_use < self.capacity else None

    def describe(self) -> str:
        text = f"the probe holds at most {self.capacity} sockets under its file descriptor limit"
        return text if self.shortage is None else f"{text}; last shortage: {self.shortage}"

    def at_deadline(self, p: Waiting, verdict: str, error: str) -> tuple[str, str]:
        """An outcome that rests on the deadline is the target's only if the address had its whole timeout."""
        if p.waited_s <= 0:
            return verdict, error
        return NOT_PROBED, (
            f"not probed for its whole {p.target.timeout_s:g} s: {p.waited_s:.2f} s waiting for a socket "
            f"({self.describe()}); seen meanwhile: {error}"
        )
