"""Real loopback servers for the probe: the netcat reference target, black holes, stalls, TLS.

Every server binds 127.0.0.1 on a free port and is stopped by its fixture. The netcat loop runs in its own
process group, which the fixture ends by that group's id.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

LOOPBACK = "127.0.0.1"
NC_REPLY = r"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 5.0) -> None:
    """Waits until something listens on the port, without connecting (that would use up nc's one shot)."""
    want = f"{socket.inet_aton(LOOPBACK)[::-1].hex().upper()}:{port:04X}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[1] == want and fields[3] == "0A":
                return
        time.sleep(0.01)
    raise TimeoutError(f"nothing listens on {LOOPBACK}:{port}")


class NetcatTarget:
    """``while true; do printf '…' | nc [-N] -l 127.0.0.1 PORT; done``: the provider's reference target."""

    def __init__(self, *, shutdown_after_reply: bool) -> None:
        self.port = free_port()
        flag = "-N " if shutdown_after_reply else ""
        self.script = f"while true; do printf '{NC_REPLY}' | nc {flag}-l {LOOPBACK} {self.port}; done"
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", self.script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_port(self.port)

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(timeout=5)


def _require_nc() -> None:
    if shutil.which("nc") is None:
        pytest.skip("netcat (nc) is not installed: apt-get install -y netcat-openbsd (or make sysdeps)")


@pytest.fixture(params=["nc-keeps-open", "nc-N"])
def netcat_target(request: pytest.FixtureRequest) -> Iterator[NetcatTarget]:
    """Both reference variants: plain ``nc`` keeps the connection open after the reply until the client
    closes it; ``nc -N`` shuts its side down after the reply."""
    _require_nc()
    target = NetcatTarget(shutdown_after_reply=request.param == "nc-N")
    yield target
    target.stop()


@pytest.fixture
def netcat_keeps_open() -> Iterator[NetcatTarget]:
    _require_nc()
    target = NetcatTarget(shutdown_after_reply=False)
    yield target
    target.stop()


class ThreadedServer:
    """Accepts on a loopback port and runs ``handle(conn)`` per connection in a thread."""

    def __init__(
        self,
        handle: Callable[[socket.socket], None],
        *,
        accept: bool = True,
        backlog: int = 128,
        host: str = LOOPBACK,
        port: int = 0,
    ):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(backlog)
        self.port = int(self.sock.getsockname()[1])
        self.handle = handle
        self.stopped = threading.Event()
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True) if accept else None
        if self.thread:
            self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            self.handle(conn)

    def stop(self) -> None:
        self.stopped.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.close()
        if self.thread:
            self.thread.join(timeout=5)


@pytest.fixture
def serve() -> Iterator[Callable[..., ThreadedServer]]:
    servers: list[ThreadedServer] = []

    def start(handle: Callable[[socket.socket], None], **kwargs: object) -> ThreadedServer:
        server = ThreadedServer(handle, **kwargs)  # type: ignore[arg-type]
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.stop()


def reply(payload: bytes, *, close: bool = True, then_sleep: float = 0.0) -> Callable[[socket.socket], None]:
    """A handler that reads the request head, sends ``payload``, optionally stalls, then closes."""

    def handle(conn: socket.socket) -> None:
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
        conn.sendall(payload)
        if then_sleep:
            time.sleep(then_sleep)
        if close:
            conn.close()

    return handle


def never_reply(conn: socket.socket) -> None:
    """Accepts and never answers (holds the connection until the server stops)."""
    time.sleep(30)


def make_certificate(directory: Path, name: str, *, days: float) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for ``name`` and no other, valid ``days`` from now."""
    from linkpilot_demo.certificates import self_signed

    return self_signed(directory, name, days=days)


def tls_handler(cert_path: Path, key_path: Path, inner: Callable[[socket.socket], None] | None = None):
    """A per-connection handler: TLS handshake with the certificate, then ``inner`` (default: read, close)."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_path, key_path)

    def handle(conn: socket.socket) -> None:
        conn.settimeout(5)
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            if inner is not None:
                inner(tls)
            else:
                with contextlib.suppress(OSError):
                    tls.recv(1)

    return handle


class BlackHole:
    """A listener whose queue is full: further connection attempts get no answer at all (SYNs dropped)."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        self.sock.bind((host, port))
        self.sock.listen(0)
        self.port = int(self.sock.getsockname()[1])
        self.fillers = []
        for _ in range(2):  # a backlog of 0 still queues one connection: fill it
            filler = socket.socket(self.sock.family)
            filler.setblocking(False)
            filler.connect_ex((host, self.port))
            self.fillers.append(filler)
        time.sleep(0.05)

    def stop(self) -> None:
        for s in (*self.fillers, self.sock):
            s.close()


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for ``target.internal`` (and no other name), valid 90 days."""
    return make_certificate(tmp_path_factory.mktemp("tls"), "target.internal", days=90)


@pytest.fixture
def tls_server(tls_material: tuple[Path, Path], serve: Callable[..., ThreadedServer]) -> ThreadedServer:
    inner = reply(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!")
    return serve(tls_handler(*tls_material, inner))


@pytest.fixture
def client_tls_context(tls_material: tuple[Path, Path]) -> ssl.SSLContext:
    """The probe's context with the test certificate as the only trust anchor."""
    return ssl.create_default_context(cafile=str(tls_material[0]))
