"""Loopback only: tests, the demo and the benchmarks may connect to 127.0.0.0/8 and nowhere else.

``install()`` wraps ``socket.connect``/``connect_ex`` so that any other address (a private 10.x address of an
emulated VPC included) is refused before a packet leaves; ``uninstall()`` puts the originals back.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

_REAL = (socket.socket.connect, socket.socket.connect_ex)


class NonLoopbackConnection(ConnectionRefusedError):
    """Something tried to reach an address outside 127.0.0.0/8."""


def check(address: Any) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise NonLoopbackConnection(f"connect to unresolved host {host!r} refused: loopback only") from None
    if not ip.is_loopback:
        raise NonLoopbackConnection(f"connect to {host} refused: loopback only")


def _connect(self: socket.socket, address: Any) -> None:
    check(address)
    _REAL[0](self, address)


def _connect_ex(self: socket.socket, address: Any) -> int:
    check(address)
    return _REAL[1](self, address)


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign, assignment]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign, assignment]


def uninstall() -> None:
    socket.socket.connect, socket.socket.connect_ex = _REAL  # type: ignore[method-assign]
