"""One address of one target as the socket engine (:mod:`linkpilot.probe.engine`) probes it, and the small
helpers the engine's phases share. Standard library only (on the probe's cold-start path)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from linkpilot.probe import contract as c
from linkpilot.probe.http import build_request
from linkpilot.probe.model import AddressResult, Target

if TYPE_CHECKING:
    import ssl

RETRY_FIRST_S, RETRY_MAX_S = 0.01, 0.1  # seconds: retry backoff, doubling


class AddressProbe:
    """One address of one target: connect -> [handshake] -> [exchange] -> done; a retry loops to connect."""

    __slots__ = (
        "attempts", "backoff", "buf", "connecting", "deadline", "expected_body", "interest", "ip",
        "last_transient", "on_done", "queued_at", "request", "result", "retry_at", "sent", "sock",
        "ssl_context", "stall_at", "state", "t_attempt", "t_ready", "t_start", "target", "waited_s",
    )  # fmt: skip

    def __init__(
        self,
        target: Target,
        ip: str,
        *,
        start: float,
        deadline: float,
        ssl_context: ssl.SSLContext | None = None,
        on_done: Callable[[AddressProbe], None] | None = None,
    ) -> None:
        self.target, self.ip, self.t_start, self.deadline = target, ip, start, deadline
        self.ssl_context, self.on_done = ssl_context, on_done
        self.state = "new"
        self.sock: Any = None  # socket.socket or ssl.SSLSocket
        self.interest = 0
        self.request = build_request(target) if target.kind in c.HTTP_KINDS else b""
        self.expected_body = None if target.expected_body is None else target.expected_body.encode()
        self.sent = self.attempts = 0
        self.buf = bytearray()
        self.backoff = RETRY_FIRST_S
        self.retry_at = self.stall_at = 0.0
        self.queued_at: float | None = None  # waiting for a socket slot since
        self.waited_s = 0.0  # time spent waiting for socket slots (0: had its whole timeout)
        self.connecting: list[socket.socket] = []
        self.last_transient: tuple[str, str] | None = None
        self.t_attempt = self.t_ready = start
        self.result = AddressResult(address=ip)


def hp(p: AddressProbe) -> str:  # host:port as a URL writes it
    return f"[{p.ip}]:{p.target.port}" if ":" in p.ip else f"{p.ip}:{p.target.port}"


def next_timer(p: AddressProbe) -> float:
    if p.state == "retry":
        return p.retry_at
    if p.state == "connect":
        return min(p.stall_at, p.deadline)
    return p.deadline


def would_block(p: AddressProbe) -> tuple[type[BaseException], ...]:
    if p.target.kind not in c.TLS_KINDS:
        return (BlockingIOError,)
    import ssl

    return (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError)


def with_attempts(message: str, attempts: int) -> str:
    return message if attempts <= 1 else f"{message} (after {attempts} attempts)"
