"""The prober's own limits are never a target's verdict: file descriptors, socket errors, lookups.

Lambda gives a function 1,024 file descriptors; a probe with more addresses in flight than that used to report
the targets it could not open a socket for as ``down`` ("Too many open files"). These run the real probe
against loopback servers (black holes that never answer, a fast responder) under a lowered descriptor limit
in a subprocess, or with the engine's socket slots or ``socket()`` made scarce in-process.
"""

from __future__ import annotations

import errno
import json
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest

from linkpilot.probe import Target, probe_event, probe_targets
from linkpilot.probe import slots as slots_module

from .conftest import LOOPBACK, BlackHole, reply

pytestmark = pytest.mark.network

OK_REPLY = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalive"

# Runs in a fresh interpreter: lowers its own descriptor limit to 256, then probes the targets given as JSON.
_UNDER_256_FDS = textwrap.dedent(
    """
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    from linkpilot.probe import probe_event
    event = json.loads(sys.stdin.read())
    start = time.monotonic()
    results = probe_event(event)
    print(json.dumps({"elapsed": time.monotonic() - start, "results": [r.to_dict() for r in results]}))
    """
)


def _probe_under_256_fds(event: dict) -> tuple[float, list[dict]]:
    done = subprocess.run(
        [sys.executable, "-c", _UNDER_256_FDS],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out = json.loads(done.stdout)
    return out["elapsed"], out["results"]


def _mentions_fd_exhaustion(row: dict) -> bool:
    texts = [row.get("error") or "", *(a.get("error") or "" for a in row["addresses"])]
    return any("Too many open files" in t and "not probed" not in t for t in texts)


def test_1000_black_holed_targets_under_256_descriptors_are_timeouts_or_not_probed():
    hole = BlackHole()
    timeout = 1.0
    try:
        elapsed, rows = _probe_under_256_fds(
            {
                "defaults": {"timeout_s": timeout, "kind": "tcp"},
                "targets": [
                    {"endpoint_id": f"vpce-{i:04d}", "dns_name": LOOPBACK, "port": hole.port}
                    for i in range(1000)
                ],
            }
        )
    finally:
        hole.stop()
    assert len(rows) == 1000
    assert elapsed < timeout + 2.0
    assert not [r for r in rows if _mentions_fd_exhaustion(r)]
    outcomes = Counter((r["verdict"], r["reason"]) for r in rows)
    assert set(outcomes) <= {("down", "timeout"), ("not_probed", "not_probed")}, outcomes
    # as many as the descriptors allow were really probed (and timed out); the rest say why they were not
    assert 100 <= outcomes["down", "timeout"] < 256, outcomes
    not_probed = [r for r in rows if r["verdict"] == "not_probed"]
    assert not_probed and all("no socket free" in r["error"] for r in not_probed), not_probed[:1]
    assert all("file descriptor limit" in r["error"] for r in not_probed)


def test_under_256_descriptors_healthy_targets_all_get_a_slot_and_pass(serve):
    server = serve(reply(OK_REPLY), backlog=1024)
    hole = BlackHole()
    timeout = 2.0
    try:
        elapsed, rows = _probe_under_256_fds(
            {
                "defaults": {"timeout_s": timeout, "expected_body": "alive"},
                "targets": [
                    {
                        "endpoint_id": f"vpce-{i:04d}",
                        "dns_name": LOOPBACK,
                        "port": hole.port if i % 10 == 0 else server.port,
                    }
                    for i in range(600)
                ],
            }
        )
    finally:
        hole.stop()
    assert elapsed < timeout + 2.0
    assert not [r for r in rows if _mentions_fd_exhaustion(r)]
    for i, r in enumerate(rows):
        if i % 10 == 0:  # held a slot until its deadline, or never got one
            assert (r["verdict"], r["reason"]) in {("down", "timeout"), ("not_probed", "not_probed")}, r
        else:  # slots freed by finished probes go to the waiting ones: every healthy target is checked
            assert (r["verdict"], r["reason"]) == ("ok", None), r


def test_with_three_socket_slots_every_target_is_probed_in_turn(serve, monkeypatch):
    monkeypatch.setattr(slots_module, "socket_slots", lambda *_: 3)
    server = serve(reply(OK_REPLY), backlog=128)
    targets = [
        Target(endpoint_id=f"vpce-{i}", dns_name=LOOPBACK, port=server.port, timeout_s=3.0) for i in range(30)
    ]
    results = probe_targets(targets)
    assert [(r.verdict, r.reason) for r in results] == [("ok", None)] * 30


def test_an_address_kept_waiting_for_a_slot_gets_no_timeout_verdict(monkeypatch):
    """Two slots, four black holes: two really time out; the two that waited for a slot are not probed
    (a deadline they did not fully have proves nothing about the target)."""
    monkeypatch.setattr(slots_module, "socket_slots", lambda *_: 2)
    hole = BlackHole()
    try:
        results = probe_targets(
            [
                Target(endpoint_id=f"vpce-{i}", dns_name=LOOPBACK, port=hole.port, timeout_s=0.5)
                for i in range(4)
            ]
        )
    finally:
        hole.stop()
    assert [(r.verdict, r.reason) for r in results] == [("down", "timeout")] * 2 + [
        ("not_probed", "not_probed")
    ] * 2
    assert "no socket free" in (results[3].error or "")
    # the target summary: not down, not degraded; no ProbeSuccess for it, counted as not probed
    from linkpilot.probe.emf import emf_records

    *per_endpoint, aggregate = emf_records(results)
    assert [r["EndpointId"] for r in per_endpoint] == ["vpce-0", "vpce-1"]
    assert aggregate["ProbeTargetsNotProbed"] == [2.0] and aggregate["ProbeTargetsDown"] == [2.0]


def test_emfile_on_socket_is_waited_out_not_reported(serve, monkeypatch):
    server = serve(reply(OK_REPLY))
    real = socket.socket
    failures = {"left": 3}

    def scarce(*args: object, **kwargs: object) -> socket.socket:
        if (
            "fileno" not in kwargs
            and threading.current_thread() is threading.main_thread()
            and failures["left"]
        ):
            failures["left"] -= 1
            raise OSError(errno.EMFILE, "Too many open files")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "socket", scarce)
    start = time.monotonic()
    (r,) = probe_targets([Target(endpoint_id="vpce-1", dns_name=LOOPBACK, port=server.port, timeout_s=2.0)])
    assert (r.verdict, r.reason, r.attempts) == ("ok", None, 1), r
    assert failures["left"] == 0
    assert time.monotonic() - start < 1.0  # three pauses of 50 ms, not the deadline


def test_emfile_until_the_deadline_is_not_probed_not_down(monkeypatch):
    real = socket.socket

    def exhausted(*args: object, **kwargs: object) -> socket.socket:
        if "fileno" not in kwargs and threading.current_thread() is threading.main_thread():
            raise OSError(errno.EMFILE, "Too many open files")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "socket", exhausted)
    start = time.monotonic()
    (r,) = probe_targets([Target(endpoint_id="vpce-1", dns_name=LOOPBACK, port=9, timeout_s=0.4)])
    assert (r.verdict, r.reason) == ("not_probed", "not_probed"), r
    assert "Too many open files" in (r.error or "") and "not probed" in (r.error or "")
    assert 0.35 <= time.monotonic() - start < 1.0


def test_eaddrnotavail_on_connect_is_the_probers_not_the_targets(serve, monkeypatch):
    """connect(2): EADDRNOTAVAIL when every ephemeral port is in use. Retried after a pause; if it lasts to
    the deadline the target is not probed (it was "down/connect" before)."""
    server = serve(reply(OK_REPLY))
    real = socket.socket
    left = {"n": 2}

    class NoPorts(real):  # type: ignore[misc,valid-type]
        def connect_ex(self, address: object) -> int:
            if left["n"]:
                left["n"] -= 1
                return errno.EADDRNOTAVAIL
            return super().connect_ex(address)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "socket", NoPorts)
    (r,) = probe_targets([Target(endpoint_id="vpce-1", dns_name=LOOPBACK, port=server.port, timeout_s=2.0)])
    assert (r.verdict, r.reason, r.attempts) == ("ok", None, 1), r
    assert left["n"] == 0

    left["n"] = 1_000_000
    (r,) = probe_targets([Target(endpoint_id="vpce-1", dns_name=LOOPBACK, port=server.port, timeout_s=0.3)])
    assert (r.verdict, r.reason, r.attempts) == ("not_probed", "not_probed", 0), r
    assert "Cannot assign requested address" in (r.error or "")


def test_a_lookup_short_of_descriptors_is_retried_then_not_probed_never_dns(serve):
    server = serve(reply(OK_REPLY))
    calls: list[str] = []

    def flaky(name: str) -> list[str]:
        calls.append(name)
        if name.startswith("short") or len(calls) <= 2:
            raise OSError(errno.EMFILE, "Too many open files")
        return [LOOPBACK]

    results = probe_event(
        {
            "defaults": {"port": server.port, "timeout_s": 0.5},
            "targets": [
                {"endpoint_id": "vpce-retried", "dns_name": "ok.example.internal"},
                {"endpoint_id": "vpce-short", "dns_name": "short.example.internal"},
            ],
        },
        resolver=flaky,
    )
    assert [(r.target, r.verdict, r.reason) for r in results] == [
        ("vpce-retried", "ok", None),
        ("vpce-short", "not_probed", "not_probed"),
    ]
    assert "Too many open files" in (results[1].error or "")
