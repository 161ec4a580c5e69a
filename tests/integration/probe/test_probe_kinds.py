"""Kinds of check (tcp, tls, https with a CA bundle and certificate expiry) and every address of a name
(degraded, down, IPv6), against real loopback servers."""

from __future__ import annotations

import errno
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from linkpilot.probe import Target, probe_event, probe_targets

from .conftest import LOOPBACK, BlackHole, ThreadedServer, free_port, make_certificate, reply, tls_handler

pytestmark = pytest.mark.network

HELLO = b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"
NAME = "vpce-0abc.rcfg-0def.vpc-lattice-rsc.us-east-1.on.aws"


def target(port: int, **kw: object) -> Target:
    fields: dict[str, object] = {"endpoint_id": "vpce-test", "dns_name": LOOPBACK, "port": port}
    fields.update(kw)
    return Target(**fields)  # type: ignore[arg-type]


def one(t: Target, **kw: object):
    (result,) = probe_targets([t], **kw)  # type: ignore[arg-type]
    return result


def hold_open(conn: socket.socket) -> None:
    conn.settimeout(5)
    conn.recv(1)


# -- tcp ----------------------------------------------------------------------------------------------------


def test_tcp_listener_up_is_ok_and_closed_is_down(serve):
    server = serve(hold_open)
    r = one(target(server.port, scheme="tcp", timeout_s=2.0))
    assert (r.verdict, r.reason, r.kind) == ("ok", None, "tcp"), r
    assert r.url == f"tcp://{LOOPBACK}:{server.port}"
    (address,) = r.addresses
    assert address.address == LOOPBACK and address.ok and address.timings.connect is not None
    assert r.cert_days_left is None and r.bytes_read == 0

    closed = free_port()
    r = one(target(closed, scheme="tcp", timeout_s=0.3))
    assert (r.verdict, r.reason) == ("down", "connect"), r
    assert "refused" in (r.error or "").lower()


def test_tcp_black_hole_is_a_timeout_within_the_deadline():
    hole = BlackHole()
    try:
        start = time.monotonic()
        r = one(target(hole.port, scheme="tcp", timeout_s=0.5))
        elapsed = time.monotonic() - start
    finally:
        hole.stop()
    assert (r.verdict, r.reason) == ("down", "timeout"), r
    assert 0.45 <= elapsed < 1.0


# -- tls ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    base = tmp_path_factory.mktemp("kinds-tls")
    return {
        "good": make_certificate(base / "good", "target.internal", days=90),
        "expiring": make_certificate(base / "expiring", "target.internal", days=3),
    }


@pytest.fixture
def tls_listener(serve, certs) -> Callable[..., ThreadedServer]:
    def start(which: str = "good", inner: Callable[[socket.socket], None] | None = None) -> ThreadedServer:
        return serve(tls_handler(*certs[which], inner))

    return start


def pem(certs: dict[str, tuple[Path, Path]], which: str = "good") -> str:
    return certs[which][0].read_text()


def test_tls_with_its_ca_bundle_is_ok_with_days_to_expiry(tls_listener, certs):
    server = tls_listener()
    t = target(server.port, scheme="tls", server_name="target.internal", ca_bundle=pem(certs), timeout_s=2.0)
    r = one(t)
    assert (r.verdict, r.reason, r.kind) == ("ok", None, "tls"), r
    assert r.cert_days_left is not None and 89.9 < r.cert_days_left <= 90.0
    assert r.addresses[0].cert_days_left == r.cert_days_left


def test_tls_without_its_ca_bundle_fails_verification(tls_listener):
    server = tls_listener()
    r = one(target(server.port, scheme="tls", server_name="target.internal", timeout_s=2.0))
    assert (r.verdict, r.reason) == ("down", "tls"), r
    assert "certificate" in (r.error or "").lower()
    assert r.attempts == 1  # a certificate problem is not retried


def test_tls_for_the_wrong_name_fails(tls_listener, certs):
    server = tls_listener()
    r = one(
        target(server.port, scheme="tls", server_name="other.internal", ca_bundle=pem(certs), timeout_s=2.0)
    )
    assert (r.verdict, r.reason) == ("down", "tls"), r
    assert "other.internal" in (r.error or "") or "mismatch" in (r.error or "").lower()


def test_a_certificate_within_the_threshold_is_cert_expiring(tls_listener, certs):
    server = tls_listener("expiring")
    base = {"scheme": "tls", "server_name": "target.internal", "ca_bundle": pem(certs, "expiring")}
    r = one(target(server.port, timeout_s=2.0, **base))  # default threshold: 14 days
    assert (r.verdict, r.reason) == ("cert_expiring", "cert_expiring"), r
    assert r.cert_days_left is not None and 2.9 < r.cert_days_left <= 3.0
    assert "expires in 3.0 days (threshold 14)" in (r.error or "")
    assert not r.ok
    r = one(target(server.port, timeout_s=2.0, cert_expiry_days=2, **base))
    assert (r.verdict, r.reason) == ("ok", None), r


def test_https_with_a_ca_bundle_reports_days_to_expiry_and_the_http_verdict(tls_listener, certs):
    server = tls_listener("expiring", reply(HELLO))
    r = one(
        target(
            server.port,
            scheme="https",
            dns_name="target.internal",
            ca_bundle=pem(certs, "expiring"),
            expected_body="Hello",
        ),
        resolver=lambda name: [LOOPBACK],
    )
    assert (r.verdict, r.status_code) == ("cert_expiring", 200), r
    assert r.cert_days_left is not None and r.cert_days_left < 14
    # an HTTP failure matters more than the certificate's age
    server = tls_listener("expiring", reply(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"))
    r = one(
        target(server.port, scheme="https", dns_name="target.internal", ca_bundle=pem(certs, "expiring")),
        resolver=lambda name: [LOOPBACK],
    )
    assert (r.verdict, r.reason, r.status_code) == ("down", "status", 503), r


def test_with_verification_off_the_expiry_is_unknown(tls_listener):
    server = tls_listener()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    r = one(target(server.port, scheme="tls", timeout_s=2.0), ssl_context=context)
    assert (r.verdict, r.cert_days_left) == ("ok", None), r


def test_an_unusable_ca_bundle_is_a_tls_failure_without_a_connection():
    bogus = "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n"
    r = one(target(free_port(), scheme="tls", ca_bundle=bogus, timeout_s=1.0))
    assert (r.verdict, r.reason, r.attempts) == ("down", "tls", 0), r
    assert "ca_bundle cannot be loaded" in (r.error or "")


# -- every address ------------------------------------------------------------------------------------------

ADDRESSES = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]


@pytest.fixture
def same_port() -> Iterator[Callable[[list[bool]], int]]:
    """Listeners on 127.0.0.1-3 on one port: answering (True) or black-holed (False)."""
    started: list[ThreadedServer | BlackHole] = []

    def start(answering: list[bool]) -> int:
        for _ in range(20):
            port = free_port()
            try:
                for host, up in zip(ADDRESSES, answering, strict=True):
                    server = (
                        ThreadedServer(reply(HELLO), host=host, port=port) if up else BlackHole(host, port)
                    )
                    started.append(server)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE:
                    raise
                while started:
                    started.pop().stop()
                continue
            return port
        raise RuntimeError("no port free on all of 127.0.0.1-3")

    yield start
    for s in started:
        s.stop()


def resolver_of(addresses: list[str]) -> Callable[[str], list[str]]:
    def resolve(name: str) -> list[str]:
        assert name == NAME
        return addresses

    return resolve


def test_every_address_answering_is_ok(same_port):
    port = same_port([True, True, True])
    r = one(target(port, dns_name=NAME, expected_body="Hello"), resolver=resolver_of(ADDRESSES))
    assert r.verdict == "ok", r
    assert [(a.address, a.ok) for a in r.addresses] == [(ip, True) for ip in ADDRESSES]
    assert r.healthy_fraction == 1.0


def test_one_black_holed_address_of_three_is_degraded_within_the_deadline(same_port):
    port = same_port([True, False, True])
    start = time.monotonic()
    r = one(
        target(port, dns_name=NAME, expected_body="Hello", timeout_s=0.6), resolver=resolver_of(ADDRESSES)
    )
    elapsed = time.monotonic() - start
    assert (r.verdict, r.reason) == ("degraded", "timeout"), r
    assert [(a.address, a.reason) for a in r.addresses] == [
        ("127.0.0.1", None),
        ("127.0.0.2", "timeout"),
        ("127.0.0.3", None),
    ]
    assert r.error is not None and r.error.startswith("127.0.0.2: ") and "1 of 3 addresses" in r.error
    assert abs(r.healthy_fraction - 2 / 3) < 1e-9
    assert elapsed < 0.6 + 0.3  # the addresses ran concurrently, under the one deadline
    # the healthy addresses did not wait for the black hole
    assert all((a.timings.total or 0) < 300 for a in r.addresses if a.ok)


def test_every_address_black_holed_is_down(same_port):
    port = same_port([False, False, False])
    start = time.monotonic()
    r = one(target(port, dns_name=NAME, timeout_s=0.5), resolver=resolver_of(ADDRESSES))
    assert time.monotonic() - start < 0.5 + 0.3
    assert (r.verdict, r.reason) == ("down", "timeout"), r
    assert [a.reason for a in r.addresses] == ["timeout"] * 3
    assert r.healthy_fraction == 0.0


def test_address_family_preference_selects_the_addresses(serve):
    v4 = serve(reply(HELLO))
    v6 = ThreadedServer(reply(HELLO), host="::1", port=v4.port)
    try:
        answer = ["127.0.0.1", "::1"]
        rows = probe_event(
            {
                "defaults": {"port": v4.port, "dns_name": NAME, "timeout_s": 2.0},
                "targets": [
                    {"endpoint_id": "v4", "address_family": "ipv4"},
                    {"endpoint_id": "v6", "address_family": "ipv6"},
                    {"endpoint_id": "both", "address_family": "dualstack"},
                    {"endpoint_id": "default"},
                ],
            },
            resolver=resolver_of(answer),
        )
    finally:
        v6.stop()
    assert {r.target: [a.address for a in r.addresses] for r in rows} == {
        "v4": ["127.0.0.1"],
        "v6": ["::1"],
        "both": ["127.0.0.1", "::1"],
        "default": ["127.0.0.1"],  # an endpoint's IpAddressType defaults to ipv4
    }
    assert all(r.verdict == "ok" for r in rows), rows


def test_a_family_without_addresses_is_a_dns_failure():
    r = one(target(80, dns_name=NAME, address_family="ipv6"), resolver=resolver_of(["127.0.0.1"]))
    assert (r.verdict, r.reason, r.addresses) == ("down", "dns", []), r
    assert "no ipv6 address" in (r.error or "")


def test_ipv6_loopback_tcp_tls_and_http(serve, certs):
    servers = [
        ThreadedServer(hold_open, host="::1"),
        ThreadedServer(tls_handler(*certs["good"]), host="::1"),
        ThreadedServer(reply(HELLO), host="::1"),
    ]
    try:
        tcp, tls, http = (s.port for s in servers)
        results = probe_targets(
            [
                target(tcp, dns_name="::1", scheme="tcp"),
                target(
                    tls, dns_name="::1", scheme="tls", server_name="target.internal", ca_bundle=pem(certs)
                ),
                target(http, dns_name="::1", expected_body="Hello"),
            ]
        )
    finally:
        for s in servers:
            s.stop()
    assert [(r.verdict, r.addresses[0].address) for r in results] == [("ok", "::1")] * 3, results
    assert results[2].url == f"http://[::1]:{http}/"
