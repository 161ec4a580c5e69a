"""Every verdict against real loopback servers, the netcat reference target above all."""

from __future__ import annotations

import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from linkpilot.probe import Target, probe_event, probe_targets

from .conftest import LOOPBACK, free_port, never_reply, reply

pytestmark = pytest.mark.network


def target(port: int, **kw: object) -> Target:
    fields: dict[str, object] = {"endpoint_id": "vpce-test", "dns_name": LOOPBACK, "port": port}
    fields.update(kw)
    return Target(**fields)  # type: ignore[arg-type]


def one(t: Target, **kw: object):
    (result,) = probe_targets([t], **kw)  # type: ignore[arg-type]
    return result


# -- the reference target ---------------------------------------------------------------------------------


def test_netcat_target_is_ok_and_judged_without_waiting_for_close(netcat_target):
    r = one(target(netcat_target.port, expected_body="Hello, World!", timeout_s=5.0))
    assert r.verdict == "ok", r
    assert r.status_code == 200
    assert r.bytes_read == len(b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!")
    # plain nc keeps the connection open after the reply: the verdict must not wait for a close
    assert r.timings.total is not None and r.timings.total < 1000
    assert r.timings.connect is not None and r.timings.first_byte is not None


def test_netcat_target_status_only(netcat_keeps_open):
    r = one(target(netcat_keeps_open.port, timeout_s=2.0))
    assert (r.verdict, r.status_code) == ("ok", 200)


def test_netcat_target_wrong_expectations_are_judged(netcat_keeps_open):
    r = one(target(netcat_keeps_open.port, expected_status=204, timeout_s=2.0))
    assert (r.reason, r.status_code) == ("status", 200)
    r = one(target(netcat_keeps_open.port, expected_body="Goodbye", timeout_s=1.0))
    # plain nc never closes: the body cannot be proven wrong before the deadline, only not found in time
    assert r.reason == "timeout"
    assert r.status_code == 200


def test_hammering_netcat_sequentially_never_reports_it_down(netcat_target):
    results = [
        one(target(netcat_target.port, expected_body="Hello, World!", timeout_s=5.0)) for _ in range(150)
    ]
    bad = [r for r in results if not r.ok]
    assert not bad, bad[:3]
    # some probes land while nc restarts; they must have been retried, not reported
    assert sum(r.attempts for r in results) >= len(results)


def test_hammering_netcat_concurrently_never_reports_it_down(netcat_target):
    """Probes racing for a one-connection-at-a-time responder: refused, or accepted into the backlog of an
    nc that is about to exit and reset — none of that is the target being down."""

    def burst(_: int):
        return probe_targets(
            [target(netcat_target.port, expected_body="Hello, World!", timeout_s=5.0) for _ in range(8)]
        )

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = [r for batch in pool.map(burst, range(6)) for r in batch]
    assert len(results) == 48
    bad = [r for r in results if not r.ok]
    assert not bad, bad[:3]
    assert max(r.attempts for r in results) > 1  # contention really happened


# -- failure verdicts -------------------------------------------------------------------------------------


def test_refused_port_is_connect_after_retries():
    r = one(target(free_port(), timeout_s=0.4))
    assert r.reason == "connect"
    assert "refused" in (r.error or "").lower()
    assert r.attempts > 1
    assert r.timings.total is not None and r.timings.total <= 450


def test_black_hole_that_never_accepts_is_timeout(serve):
    hole = serve(never_reply, accept=False, backlog=1)
    start = time.monotonic()
    r = one(target(hole.port, timeout_s=0.5))
    elapsed = time.monotonic() - start
    assert r.reason == "timeout"
    assert 0.5 <= elapsed < 0.7
    assert r.timings.total is not None and 500 <= r.timings.total < 600


def test_black_hole_that_accepts_and_never_replies_is_timeout(serve):
    hole = serve(never_reply)
    r = one(target(hole.port, timeout_s=0.5))
    assert r.reason == "timeout"
    assert "first response byte" in (r.error or "")
    assert r.timings.connect is not None and r.timings.first_byte is None


def test_server_that_stalls_mid_body_is_timeout_with_status_known(serve):
    payload = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHello, Wor"
    server = serve(reply(payload, close=False, then_sleep=10))
    r = one(target(server.port, expected_body="Hello, World!", timeout_s=0.5))
    assert r.reason == "timeout"
    assert r.status_code == 200
    assert r.bytes_read == len(payload)
    assert "reading the response" in (r.error or "")


def test_stall_after_the_expected_text_is_ok(serve):
    server = serve(
        reply(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHello, World!", close=False, then_sleep=10)
    )
    r = one(target(server.port, expected_body="Hello, World!", timeout_s=2.0))
    assert r.verdict == "ok"
    assert r.timings.total is not None and r.timings.total < 1000


def test_wrong_status(serve):
    server = serve(reply(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"))
    r = one(target(server.port, timeout_s=2.0))
    assert (r.reason, r.status_code) == ("status", 503)
    assert "expected status 200, got 503" in (r.error or "")


def test_redirect_is_not_followed(serve):
    server = serve(reply(b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere/\r\nContent-Length: 0\r\n\r\n"))
    r = one(target(server.port, timeout_s=2.0))
    assert (r.reason, r.status_code) == ("status", 302)


def test_wrong_body(serve):
    server = serve(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nGoodbye"))
    r = one(target(server.port, expected_body="Hello", timeout_s=2.0))
    assert (r.reason, r.status_code) == ("body", 200)
    assert "not found in the 7-byte body" in (r.error or "")


def test_body_past_the_read_limit_is_not_found(serve):
    payload = b"HTTP/1.1 200 OK\r\n\r\n" + b"x" * 100_000 + b"needle"
    server = serve(reply(payload))
    r = one(target(server.port, expected_body="needle", timeout_s=2.0))
    assert r.reason == "body"
    assert r.bytes_read == 64 * 1024
    assert "read limit" in (r.error or "")


def test_host_header_and_request_line_reach_the_server(serve):
    seen: list[bytes] = []

    def handle(conn: socket.socket) -> None:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        seen.append(data)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        conn.close()

    server = serve(handle)
    r = one(
        target(server.port, dns_name="vpce-1.rcfg-1.x.vpc-lattice-rsc.us-east-1.on.aws", path="/health?x=1"),
        resolver=lambda name: LOOPBACK,
    )
    assert r.verdict == "ok"
    head = seen[0].decode()
    assert head.startswith("GET /health?x=1 HTTP/1.1\r\n")
    assert f"\r\nHost: vpce-1.rcfg-1.x.vpc-lattice-rsc.us-east-1.on.aws:{server.port}\r\n" in head


def test_dns_failure_and_resolver_mapping():
    def resolver(name: str) -> str:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    r = one(target(80, dns_name="nowhere.invalid"), resolver=resolver)
    assert r.reason == "dns"
    assert "nowhere.invalid" in (r.error or "")
    assert r.timings.dns is not None


def test_slow_resolver_is_a_timeout_and_delays_nobody(serve):
    server = serve(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    release = threading.Event()

    def resolver(name: str) -> str:
        if name == "slow.example":
            release.wait(5)
        return LOOPBACK

    start = time.monotonic()
    slow, fast = probe_targets(
        [
            target(server.port, dns_name="slow.example", timeout_s=0.5),
            target(server.port, dns_name="fast.example"),
        ],
        resolver=resolver,
    )
    release.set()
    assert slow.reason == "timeout" and "resolving slow.example" in (slow.error or "")
    assert fast.verdict == "ok"
    assert fast.timings.total is not None and fast.timings.total < 300
    assert time.monotonic() - start < 0.7


def test_reset_after_the_response_is_still_ok(serve):
    """A responder that answers and closes without reading the request makes its kernel send RST."""

    def handle(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        conn.close()  # linger 0: RST right behind the data

    server = serve(handle)
    for _ in range(20):
        r = one(target(server.port, expected_body="Hello, World!", timeout_s=2.0))
        assert r.verdict == "ok", r


# -- TLS --------------------------------------------------------------------------------------------------


def test_tls_with_server_name_override_is_ok(tls_server, client_tls_context):
    t = target(
        tls_server.port,
        scheme="https",
        dns_name="vpce-9.example",
        server_name="target.internal",
        expected_body="Hello",
    )
    r = one(t, resolver=lambda name: LOOPBACK, ssl_context=client_tls_context)
    assert (r.verdict, r.status_code) == ("ok", 200), r


def test_tls_with_mismatched_name_is_tls(tls_server, client_tls_context):
    t = target(tls_server.port, scheme="https", dns_name="vpce-9.example")
    r = one(t, resolver=lambda name: LOOPBACK, ssl_context=client_tls_context)
    assert r.reason == "tls"
    assert "vpce-9.example" in (r.error or "") or "mismatch" in (r.error or "").lower()
    assert r.attempts == 1  # a certificate problem is not retried


def test_tls_to_a_plain_http_server_is_tls(serve, client_tls_context):
    def handle(conn: socket.socket) -> None:  # a plain HTTP server answers a ClientHello with a 400
        conn.recv(4096)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()

    server = serve(handle)
    r = one(
        target(server.port, scheme="https", server_name="target.internal", timeout_s=2.0),
        ssl_context=client_tls_context,
    )
    assert r.reason == "tls"


# -- fan-out ----------------------------------------------------------------------------------------------


def test_200_targets_with_10_percent_black_holed_finish_within_timeout_plus_1s(serve):
    ok_server = serve(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalive"), backlog=1024)
    hole = serve(never_reply, accept=False, backlog=0)
    timeout = 1.0
    event = {
        "defaults": {"timeout_s": timeout, "expected_body": "alive"},
        "targets": [
            {
                "endpoint_id": f"vpce-{i:03d}",
                "dns_name": LOOPBACK,
                "port": hole.port if i % 10 == 0 else ok_server.port,
            }
            for i in range(200)
        ],
    }
    start = time.monotonic()
    results = probe_event(event)
    elapsed = time.monotonic() - start
    assert elapsed < timeout + 1.0
    assert [r.target for r in results] == [f"vpce-{i:03d}" for i in range(200)]
    for i, r in enumerate(results):
        assert (r.verdict, r.reason) == (("down", "timeout") if i % 10 == 0 else ("ok", None)), r
    # the good ones did not wait for the bad ones
    assert max(r.timings.total or 0 for r in results if r.ok) < 500


def test_invalid_entries_are_reported_and_the_rest_probed(serve):
    server = serve(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
    results = probe_event(
        {
            "targets": [
                {"endpoint_id": "vpce-a", "dns_name": LOOPBACK, "port": server.port},
                {"endpoint_id": "vpce-b", "dns_name": LOOPBACK, "port": 0},
                "not an object",
                {"endpoint_id": "vpce-d", "dns_name": LOOPBACK, "port": server.port, "expected_staus": 200},
            ]
        }
    )
    assert [(r.index, r.target, r.verdict) for r in results] == [
        (0, "vpce-a", "ok"),
        (1, "vpce-b", "invalid"),
        (2, None, "invalid"),
        (3, "vpce-d", "invalid"),
    ]
    assert "expected_staus" in (results[3].error or "")


# -- the same path from the CLI and the handler -----------------------------------------------------------


def test_cli_probes_the_netcat_target_through_a_resolved_endpoint_name(netcat_keeps_open, capsys):
    import json

    from linkpilot_cli import main as cli

    name = "vpce-0abc-12345.rcfg-0def.4232ccc.vpc-lattice-rsc.us-east-1.on.aws"
    argv = [
        "probe",
        f"http://{name}:{netcat_keeps_open.port}/",
        "--expect-body",
        "Hello, World!",
        "--resolve",
        f"{name}:{LOOPBACK}",
    ]
    assert cli.main(argv) == 0
    (row,) = json.loads(capsys.readouterr().out)["results"]
    assert (row["target"], row["verdict"], row["status_code"]) == (argv[1], "ok", 200)
    down = f"http://{LOOPBACK}:{free_port()}/"
    assert cli.main([argv[0], down, *argv[1:], "--timeout", "1"]) == 1
    rows = json.loads(capsys.readouterr().out)["results"]
    assert [(r["target"], r["verdict"], r["reason"]) for r in rows] == [
        (down, "down", "connect"),
        (argv[1], "ok", None),
    ]


def test_handler_probes_and_emits_per_endpoint_metrics(serve, capsys, monkeypatch):
    import importlib.util
    import json
    from pathlib import Path

    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "linkpilot-probe")
    spec = importlib.util.spec_from_file_location(
        "probe_app_it", Path(__file__).resolve().parents[3] / "functions/probe/app.py"
    )
    assert spec and spec.loader
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)

    server = serve(reply(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"))

    class Ctx:
        function_name, memory_limit_in_mb, aws_request_id = "probe", 256, "r-1"
        invoked_function_arn = "arn:aws:lambda:us-east-1:111122223333:function:probe"

    event = {
        "defaults": {"port": server.port, "expected_body": "Hello, World!", "timeout_s": 1.0},
        "targets": [
            {"endpoint_id": "vpce-up", "dns_name": "up.example"},
            {"endpoint_id": "vpce-down", "dns_name": "down.example", "port": free_port()},
        ],
    }
    response = app.handler(event, Ctx(), resolver=lambda name: LOOPBACK)
    assert [(r["target"], r["verdict"], r["reason"]) for r in response["results"]] == [
        ("vpce-up", "ok", None),
        ("vpce-down", "down", "connect"),
    ]
    records = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith('{"_aws"')]
    assert [(r.get("EndpointId"), r.get("ProbeSuccess")) for r in records] == [
        ("vpce-up", [1.0]),
        ("vpce-down", [0.0]),
        (None, None),
    ]
    assert records[-1]["ProbeTargetsFailed"] == [1.0]
