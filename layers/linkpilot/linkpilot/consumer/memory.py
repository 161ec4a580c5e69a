"""The controller's memory across warm invocations: skips writes and reads that would change nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping
from datetime import datetime


class ControllerMemory:
    """What a warm process remembers between runs, to skip writes and reads that would change nothing.

    The probe schedules' digest (so a no-op run need not read the schedules) and the audit records of
    standing conditions already written (an ignored invitation is recorded once, not every five minutes).
    Entries expire after ``ttl_s``; a cold start simply reads and writes once more. Never a source of truth.
    """

    def __init__(self, ttl_s: float = 900.0, max_audit_keys: int = 20_000) -> None:
        self.ttl_s = ttl_s
        self._max_audit_keys = max_audit_keys
        self._probe: dict[str, tuple[str, float]] = {}
        self._audited: dict[str, float] = {}
        self._missing: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def probe_digest(self, key: str) -> str | None:
        with self._lock:
            entry = self._probe.get(key)
            return entry[0] if entry and time.monotonic() - entry[1] < self.ttl_s else None

    def remember_probe(self, key: str, digest: str | None) -> None:
        with self._lock:
            if digest is None:
                self._probe.pop(key, None)
            else:
                self._probe[key] = (digest, time.monotonic())

    def unseen(self, keys: Iterable[str]) -> set[str]:
        """Of ``keys``, those not recorded within the TTL (and marks them recorded)."""
        now = time.monotonic()
        with self._lock:
            fresh = {k for k in keys if now - self._audited.get(k, -1e18) >= self.ttl_s}
            if len(self._audited) + len(fresh) > self._max_audit_keys:
                self._audited.clear()
            self._audited.update(dict.fromkeys(fresh, now))
            return fresh

    # Grace marks when no state table is configured (``linkpilot reconcile`` without one): a process's
    # memory, so a one-shot CLI run never deletes an endpoint for a configuration missing from its read.
    def missing_since(self) -> dict[str, datetime]:
        with self._lock:
            return dict(self._missing)

    def save_missing(self, marks: Mapping[str, datetime]) -> None:
        with self._lock:
            self._missing = dict(marks)

    def forget_audited(self, keys: Iterable[str]) -> None:
        with self._lock:
            for k in keys:
                self._audited.pop(k, None)
