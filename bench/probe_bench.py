"""Probe benchmarks: overhead vs a raw socket request, 200-target fan-out, cold import, netcat false downs.

All servers are on loopback and started here; every figure is measured in this run.
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

from linkpilot.probe import Target, probe_targets

LOOPBACK = "127.0.0.1"
REPLY = b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


class _Server:
    """Replies REPLY to every connection and closes; ``accept=False`` makes a black hole."""

    def __init__(self, *, accept: bool = True, backlog: int = 1024) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((LOOPBACK, 0))
        self.sock.listen(backlog)
        self.port = int(self.sock.getsockname()[1])
        if accept:
            threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with contextlib.suppress(OSError), conn:
                conn.sendall(REPLY)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


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


def _median_ms(fn: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def bench_overhead(n: int = 300) -> list[dict[str, Any]]:
    server = _Server()
    try:
        target = Target(
            endpoint_id="bench", dns_name=LOOPBACK, port=server.port, expected_body="Hello, World!"
        )

        def probe_once() -> None:
            (r,) = probe_targets([target])
            assert r.ok, r

        for _ in range(20):  # warm both paths
            _raw_request(server.port)
            probe_once()
        raw = _median_ms(lambda: _raw_request(server.port), n)
        probe = _median_ms(probe_once, n)
    finally:
        server.close()
    ratio = probe / raw
    return [
        {"name": "probe: raw socket request (median)", "value": raw, "unit": "ms", "goal": None},
        {"name": "probe: one-target probe (median)", "value": probe, "unit": "ms", "goal": None},
        {
            "name": "probe: overhead vs raw socket",
            "value": ratio,
            "unit": "x",
            "goal": "< 3",
            "ok": ratio < 3,
        },
    ]


def bench_fanout(timeout_s: float = 2.0) -> list[dict[str, Any]]:
    ok_server, hole = _Server(), _Server(accept=False, backlog=0)
    try:
        targets = [
            Target(
                endpoint_id=f"vpce-{i:03d}",
                dns_name=LOOPBACK,
                port=hole.port if i % 10 == 0 else ok_server.port,
                expected_body="Hello, World!",
                timeout_s=timeout_s,
            )
            for i in range(200)
        ]
        t0 = time.perf_counter()
        results = probe_targets(targets)
        wall = time.perf_counter() - t0
    finally:
        ok_server.close()
        hole.close()
    wrong = sum(r.verdict != ("timeout" if i % 10 == 0 else "ok") for i, r in enumerate(results))
    slowest_ok = max((r.timings.total or 0) for r in results if r.ok)
    return [
        {
            "name": f"probe: 200 targets, 10% black-holed, timeout {timeout_s:g} s",
            "value": wall,
            "unit": "s",
            "goal": f"< {timeout_s + 1:g} (timeout + 1 s)",
            "ok": wall < timeout_s + 1 and wrong == 0,
        },
        {
            "name": "probe: fan-out slowest healthy target",
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


_IMPORT_SNIPPET = (
    "import sys, time; t = time.perf_counter(); import linkpilot.probe; "
    "d = (time.perf_counter() - t) * 1000; "
    "print(d, int(any(m in sys.modules for m in ('boto3', 'botocore', 'pydantic'))))"
)


def bench_cold_import(runs: int = 7) -> list[dict[str, Any]]:
    times, heavy = [], 0
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _IMPORT_SNIPPET], capture_output=True, text=True, check=True
        ).stdout.split()
        times.append(float(out[0]))
        heavy = max(heavy, int(out[1]))
    median = statistics.median(times)
    return [
        {
            "name": "probe: cold import of linkpilot.probe (median)",
            "value": median,
            "unit": "ms",
            "goal": "< 50",
            "ok": median < 50,
        },
        {
            "name": "probe: boto3/botocore/pydantic imported",
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
    return [*bench_overhead(), *bench_fanout(), *bench_cold_import(), *bench_netcat()]


if __name__ == "__main__":
    for row in run():
        print(row)
