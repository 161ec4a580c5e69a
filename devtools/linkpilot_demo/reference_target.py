"""The reference target: the provider's canned HTTP responder, on loopback.

The provider's sample instance runs a shell loop that pipes a canned response into netcat, one connection
at a time: ``HTTP/1.1 200 OK``, ``Content-Type: text/plain``, body ``Hello, World!``, bare LF line ends,
no Content-Length, connection closed after the response. Here it runs the same loop with Debian's
netcat-openbsd on a loopback port; where ``nc`` is missing, :class:`PythonResponder` behaves the same way
(one connection at a time, canned bytes, close).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Protocol

RESPONSE = b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"
# printf-escaped form of RESPONSE for the shell loop
_PRINTF = r"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"


class ReferenceTarget(Protocol):
    host: str
    port: int
    kind: str

    def start(self) -> None: ...

    def stop(self) -> None: ...


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def is_listening(host: str, port: int) -> bool:
    """True if a TCP socket listens on host:port (read from /proc/net/tcp: no connection is made)."""
    want_ip = socket.inet_aton(host)[::-1].hex().upper()  # /proc/net/tcp stores IPv4 little-endian
    try:
        lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        local, state = fields[1], fields[3]
        ip, _, p = local.partition(":")
        if state == "0A" and int(p, 16) == port and ip in (want_ip, "00000000"):
            return True
    return False


def wait_listening(host: str, port: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_listening(host, port):
            return
        time.sleep(0.01)
    raise TimeoutError(f"reference target did not listen on {host}:{port} within {timeout}s")


class NetcatLoop:
    """``while true; do printf '…' | nc -l HOST PORT; done`` — the provider's reference responder."""

    kind = "netcat"

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def script(self) -> str:
        # -N: shut the connection down once the canned response is sent (the reference responder closes it).
        return f"while true; do printf '{_PRINTF}' | nc -N -l {self.host} {self.port}; done"

    def start(self) -> None:
        if self._proc is not None:
            return
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no user input
            ["/bin/sh", "-c", self.script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_listening(self.host, self.port)

    def stop(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGTERM)
        self._proc.wait(timeout=5)
        self._proc = None


class _Listener:
    """A loopback listener served by a thread: ``start`` binds and serves, ``stop`` ends both."""

    backlog = 1

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._sock is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(self.backlog)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), daemon=True, name=type(self).__name__
        )
        self._thread.start()

    def _serve(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return  # listener closed: stopped
            self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self._sock is None:
            return
        # shutdown() wakes the thread blocked in accept(); close() alone does not on Linux.
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        self._sock = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


class PythonResponder(_Listener):
    """The same behaviour in Python, for machines without netcat: one connection at a time, canned reply."""

    kind = "python"

    def _handle(self, conn: socket.socket) -> None:  # one connection at a time, in the accept thread
        with conn:
            conn.settimeout(1.0)
            try:
                conn.sendall(RESPONSE)
                conn.shutdown(socket.SHUT_WR)
                while conn.recv(4096):  # like nc: drain until the client closes or a second passes
                    pass
            except OSError:
                pass


def reference_target(host: str = "127.0.0.1", port: int | None = None) -> ReferenceTarget:
    """The netcat loop where ``nc`` exists, the Python equivalent otherwise."""
    if shutil.which("nc"):
        return NetcatLoop(host, port)
    return PythonResponder(host, port)


class DatabaseStandIn(_Listener):
    """A TCP service that never speaks first, standing in for Postgres: it accepts connections and holds each
    until the client leaves (a ``tcp`` probe only needs the connection accepted)."""

    kind = "tcp"
    backlog = 16

    def _handle(self, conn: socket.socket) -> None:  # every connection held at once, each in a thread
        threading.Thread(target=self._hold, args=(conn,), daemon=True).start()

    @staticmethod
    def _hold(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(10.0)
            while conn.recv(4096):  # a client's bytes are read and ignored until it closes
                pass
