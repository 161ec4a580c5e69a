"""Probe benchmarks, every figure a ratio or count measured in this run against loopback servers started here.

- HTTP check vs a raw socket request; TCP check vs bare ``socket.create_connection``; TLS check vs a plain
  ``ssl`` handshake (medians of many, the two sides interleaved so drift hits both alike).
- Fan-out: 200 targets x 3 addresses with 10% of the addresses black-holed, one deadline: wall time and
  wrong verdicts (each target must come out ok or degraded exactly as its addresses say).
- Cold import of the probe handler vs ``import boto3`` (min of several fresh interpreters each, interleaved).
- The netcat reference target probed back to back: false downs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.timing import interleave, ratio_row
from linkpilot.probe import Target, probe_targets
from linkpilot_demo.certificates import self_signed

ROOT = Path(__file__).resolve().parents[1]

LOOPBACK = "127.0.0.1"
REPLY = b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


class _Server:
    """Replies REPLY to every connection and closes; ``accept=False`` makes a black hole."""

    def __init__(
        self,
        *,
        accept: bool = True,
        backlog: int = 1024,
        host: str = LOOPBACK,
        port: int = 0,
        handle: Callable[[socket.socket], None] | None = None,
    ) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, port))
        self.sock.listen(backlog)
        self.port = int(self.sock.getsockname()[1])
        self.handle = handle or (lambda conn: conn.sendall(REPLY))
        self.fillers: list[socket.socket] = []
        if accept:
            threading.Thread(target=self._serve, daemon=True).start()
        else:  # a black hole: fill the (zero) backlog so that further SYNs are dropped, unanswered
            for _ in range(2):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex((host, self.port))
                self.fillers.append(filler)
            time.sleep(0.05)

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), conn:
                self.handle(conn)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        for s in (*self.fillers, self.sock):
            s.close()


def _raw_request(port: int) -> None:
    """The floor: connect, send, read until the status line is in, close (what a verdict needs)."""
    with socket.create_connection((LOOPBACK, port), timeout=5) as s:
        s.sendall(REQUEST)
        data = b""
        while b"\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")


def _timed(fn: Callable[[], object]) -> Callable[[], float]:
    """``fn`` as a case of ``bench.timing.interleave``: its own milliseconds."""

    def case() -> float:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1000

    return case


def _versus_floor(
    server: _Server, target: Target, floor: Callable[[], object], n: int, label: str, base: str, goal: float
) -> list[dict[str, Any]]:
    """Probing ``target`` against ``floor`` (the bare operation no check can beat), interleaved ``n`` times
    each after a warm-up of both; judged on the medians (one run's figure, with the spread of both);
    ``server`` is closed afterwards."""

    def probe_once() -> None:
        (r,) = probe_targets([target])
        assert r.ok, r

    try:
        for _ in range(20):
            floor()
            probe_once()
        spreads = interleave({"probe": _timed(probe_once), "floor": _timed(floor)}, n)
    finally:
        server.close()
    return [
        ratio_row(
            f"probe: {label}",
            spreads["probe"],
            base,
            spreads["floor"],
            "ms",
            limit=goal,
            judged_on="median",
            basis=f"median of {n} each, interleaved with {base}",
        )
    ]


def bench_overhead(n: int = 300) -> list[dict[str, Any]]:
    server = _Server()
    target = Target(endpoint_id="bench", dns_name=LOOPBACK, port=server.port, expected_body="Hello, World!")
    return _versus_floor(
        server, target, lambda: _raw_request(server.port), n, "HTTP check", "raw socket request", 3
    )


def bench_tcp(n: int = 500) -> list[dict[str, Any]]:
    """A tcp check vs the floor of any TCP check: ``socket.create_connection`` and close."""
    server = _Server(handle=lambda conn: None)
    target = Target(endpoint_id="bench", dns_name=LOOPBACK, port=server.port, scheme="tcp")

    def bare() -> None:
        socket.create_connection((LOOPBACK, server.port), timeout=5).close()

    return _versus_floor(server, target, bare, n, "TCP check", "socket.create_connection", 1.5)


def bench_tls(n: int = 200) -> list[dict[str, Any]]:
    """A tls check (the CA bundle in the target) vs a blocking ``ssl`` handshake with the same trust."""
    import ssl
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = self_signed(Path(tmp), "bench.internal", days=90)
        server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_ctx.load_cert_chain(cert_path, key_path)
        pem = cert_path.read_text()

    def handshake_then_close(conn: socket.socket) -> None:
        conn.settimeout(5)
        with server_ctx.wrap_socket(conn, server_side=True) as tls, contextlib.suppress(OSError):
            tls.recv(1)

    server = _Server(
        handle=lambda conn: threading.Thread(target=handshake_then_close, args=(conn.dup(),)).start()
    )
    client_ctx = ssl.create_default_context(cadata=pem)
    target = Target(
        endpoint_id="bench",
        dns_name=LOOPBACK,
        port=server.port,
        scheme="tls",
        server_name="bench.internal",
        ca_bundle=pem,
    )

    def bare() -> None:
        with socket.create_connection((LOOPBACK, server.port), timeout=5) as raw:
            client_ctx.wrap_socket(raw, server_hostname="bench.internal").close()

    return _versus_floor(server, target, bare, n, "TLS check", "ssl handshake", 1.5)


def bench_fanout(timeout_s: float = 2.0, targets: int = 200) -> list[dict[str, Any]]:
    """200 targets of 3 addresses each (127.0.1.1-3), 10% of the 600 addresses black-holed (127.0.2.1)."""
    port = 0
    servers: list[_Server] = []
    for _ in range(20):  # one port free on all four addresses
        try:
            first = _Server(host="127.0.1.1")
            port = first.port
            servers = [
                first,
                _Server(host="127.0.1.2", port=port),
                _Server(host="127.0.1.3", port=port),
                _Server(host="127.0.2.1", port=port, accept=False, backlog=0),
            ]
            break
        except OSError:
            for s in servers:
                s.close()
            servers = []
    if not servers:
        raise RuntimeError("no port free on 127.0.1.1-3 and 127.0.2.1")
    answers: dict[str, list[str]] = {}
    expected: list[str] = []
    for i in range(targets):
        addresses = ["127.0.2.1" if (3 * i + j) % 10 == 0 else f"127.0.1.{j + 1}" for j in range(3)]
        answers[f"t{i:03d}.bench.internal"] = addresses
        expected.append("degraded" if "127.0.2.1" in addresses else "ok")
    try:
        batch = [
            Target(
                endpoint_id=f"vpce-{i:03d}",
                dns_name=f"t{i:03d}.bench.internal",
                port=port,
                expected_body="Hello, World!",
                timeout_s=timeout_s,
            )
            for i in range(targets)
        ]
        t0 = time.perf_counter()
        results = probe_targets(batch, resolver=answers.__getitem__)
        wall = time.perf_counter() - t0
    finally:
        for s in servers:
            s.close()
    wrong = sum(r.verdict != want for r, want in zip(results, expected, strict=True))
    holes = sum(a.reason is not None for r in results for a in r.addresses)
    slowest_ok = max((a.timings.total or 0) for r in results for a in r.addresses if a.ok)
    return [
        {
            "name": f"probe: {targets} targets x 3 addresses, {holes} black-holed, timeout {timeout_s:g} s",
            "value": wall,
            "unit": "s",
            "goal": f"<= {timeout_s + 1:g} (timeout + 1 s)",
            "ok": wall <= timeout_s + 1 and wrong == 0,
        },
        {
            "name": "probe: fan-out slowest healthy address",
            "value": slowest_ok,
            "unit": "ms",
            "goal": "< 500",
            "ok": slowest_ok < 500,
        },
        {
            "name": "probe: fan-out wrong verdicts",
            "value": wrong,
            "unit": "count",
            "goal": "0",
            "ok": wrong == 0,
        },
    ]


# Powertools imports the botocore package root (well under 1 ms) for its user-agent hook; the costly parts
# are sessions and clients, boto3 and pydantic.
HEAVY = ("boto3", "botocore.session", "botocore.client", "pydantic")
_HANDLER_IMPORT = (
    f"HEAVY = {HEAVY!r}; "
    "import importlib.util, sys, time; t = time.perf_counter(); "
    "spec = importlib.util.spec_from_file_location('app', sys.argv[1]); "
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
    "d = (time.perf_counter() - t) * 1000; "
    "print(d, int(any(x in sys.modules for x in HEAVY)))"
)
_BOTO3_IMPORT = (
    "import time; t = time.perf_counter(); import boto3; print((time.perf_counter() - t) * 1000, 1)"
)


def _import_ms(snippet: str, *args: str) -> tuple[float, int]:
    env = {**os.environ, "POWERTOOLS_SERVICE_NAME": "linkpilot-probe"}
    out = subprocess.run(
        [sys.executable, "-c", snippet, *args], capture_output=True, text=True, check=True, env=env
    ).stdout.split()
    return float(out[0]), int(out[1])


def bench_cold_import(runs: int = 7) -> list[dict[str, Any]]:
    """The probe handler's module (Powertools Logger + linkpilot.probe) vs ``import boto3``, fresh
    interpreters, interleaved; the minimum of each is the least noisy estimate of the true cost."""
    handler = str(ROOT / "functions" / "probe" / "app.py")
    probe_times, boto_times, heavy = [], [], 0
    for _ in range(runs):
        ms, loaded = _import_ms(_HANDLER_IMPORT, handler)
        probe_times.append(ms)
        heavy = max(heavy, loaded)
        boto_times.append(_import_ms(_BOTO3_IMPORT)[0])
    probe_min, boto_min = min(probe_times), min(boto_times)
    ratio = probe_min / boto_min
    return [
        {"name": "probe: cold import: import boto3 (min)", "value": boto_min, "unit": "ms", "goal": None},
        {
            "name": "probe: cold import: the probe handler (min)",
            "value": probe_min,
            "unit": "ms",
            "goal": None,
        },
        {
            "name": "probe: handler cold import vs import boto3",
            "value": ratio,
            "unit": "x",
            "goal": "< 0.5",
            "ok": ratio < 0.5,
        },
        {
            "name": "probe: boto3, botocore sessions/clients or pydantic imported by the handler",
            "value": heavy,
            "unit": "bool",
            "goal": "0",
            "ok": heavy == 0,
        },
    ]


def bench_netcat(probes: int = 200) -> list[dict[str, Any]]:
    """The reference target (shell loop + netcat-openbsd), probed back to back: false downs must be 0."""
    if shutil.which("nc") is None:
        return [
            {
                "name": "probe: netcat target false downs",
                "value": -1,
                "unit": "count",
                "goal": "0 (nc missing: skipped)",
                "ok": None,
            }
        ]
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        port = int(s.getsockname()[1])
    reply = r"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"
    proc = subprocess.Popen(
        ["/bin/sh", "-c", f"while true; do printf '{reply}' | nc -l {LOOPBACK} {port}; done"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        want = f"{socket.inet_aton(LOOPBACK)[::-1].hex().upper()}:{port:04X}"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
            f.split()[1] == want and f.split()[3] == "0A"
            for f in Path("/proc/net/tcp").read_text().splitlines()[1:]
        ):
            time.sleep(0.01)
        target = Target(endpoint_id="nc", dns_name=LOOPBACK, port=port, expected_body="Hello, World!")
        results = [probe_targets([target])[0] for _ in range(probes)]
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    downs = sum(not r.ok for r in results)
    return [
        {
            "name": f"probe: netcat target false downs ({probes} probes)",
            "value": downs,
            "unit": "count",
            "goal": "0",
            "ok": downs == 0,
        },
        {
            "name": "probe: netcat target probe (median)",
            "value": statistics.median(r.timings.total or 0 for r in results),
            "unit": "ms",
            "goal": None,
        },
    ]


def run() -> list[dict[str, Any]]:
    return [
        *bench_overhead(),
        *bench_tcp(),
        *bench_tls(),
        *bench_fanout(),
        *bench_cold_import(),
        *bench_netcat(),
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
