"""The emulation's controllable clock: real time plus an offset that tests can advance."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta


class Clock:
    """Wall-clock time that can be moved forward (never back) without sleeping.

    Everything time-dependent in the emulation (invitation expiry, CREATE_IN_PROGRESS -> ACTIVE,
    Pending -> Available) reads ``now()`` lazily, so ``advance(hours=13)`` takes effect on the
    next API call.
    """

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move the clock forward by ``delta`` or by ``timedelta(**kwargs)`` (hours=, minutes=, seconds=)."""
        step = delta if delta is not None else timedelta(**kwargs)
        if step < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += step.total_seconds()
        return self.now()

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return timedelta(seconds=self._offset)
