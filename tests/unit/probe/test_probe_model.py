"""Parsing and validating the probe input: defaults, required fields, and every way an entry is invalid."""

from __future__ import annotations

import pytest

from linkpilot.probe import InvalidEvent, InvalidTarget, Target, parse_event, parse_target
from linkpilot.probe.http import build_request, host_header

ARN = "arn:aws:vpc-lattice:us-east-1:111122223333:resourceconfiguration/rcfg-0123456789abcdef0"
DNS = "vpce-0abc.rcfg-0123.4x5y.vpc-lattice-rsc.us-east-1.on.aws"


def test_defaults_fill_only_what_the_entry_lacks():
    t = parse_target({"endpoint_id": "vpce-1", "dns_name": DNS})
    assert t == Target(endpoint_id="vpce-1", dns_name=DNS)
    assert (t.port, t.path, t.scheme, t.expected_status, t.timeout_s) == (8080, "/", "http", 200, 5.0)
    t = parse_target(
        {"endpoint_id": "vpce-1", "dns_name": DNS, "port": 443, "resource_configuration_arn": ARN},
        {"scheme": "https", "port": 8443, "expected_body": "Hello", "timeout_s": 2},
    )
    assert (t.port, t.scheme, t.expected_body, t.timeout_s) == (443, "https", "Hello", 2.0)
    assert t.resource_configuration_arn == ARN


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"dns_name": DNS}, "missing required field(s) endpoint_id"),
        ({"endpoint_id": "vpce-1"}, "missing required field(s) dns_name"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "port": 0}, "port must be an integer from 1 to 65535"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "port": "80"}, "port must be an integer"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "port": True}, "port must be an integer"),
        ({"endpoint_id": "vpce-1", "dns_name": "bad host"}, "dns_name is not a host name"),
        ({"endpoint_id": "vpce-1", "dns_name": "a/b"}, "dns_name is not a host name"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "path": "x"}, "path must start with '/'"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "path": "/a b"}, "path must start with '/'"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "path": "/\r\nX: y"}, "path must start with '/'"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "scheme": "ftp"}, "scheme must be"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "expected_status": 99}, "expected_status must be"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "expected_body": ""}, "expected_body must be"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "timeout_s": 0}, "timeout_s must be"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "timeout_s": 61}, "timeout_s must be"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "timeout_s": "5"}, "timeout_s must be"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "server_name": "x y"}, "server_name is not a host name"),
        ({"endpoint_id": "vpce-1", "dns_name": DNS, "host_header": "a b"}, "host_header must be"),
        (
            {"endpoint_id": "vpce-1", "dns_name": DNS, "resource_configuration_arn": "rcfg-1"},
            "must be an ARN",
        ),
        ({"endpoint_id": "", "dns_name": DNS}, "endpoint_id must be"),
        (
            {"endpoint_id": "vpce-1", "dns_name": DNS, "expected_staus": 200},
            "unknown field(s) expected_staus",
        ),
        (["vpce-1"], "a target must be an object"),
    ],
)
def test_invalid_entries_say_why(entry, message):
    with pytest.raises(InvalidTarget) as excinfo:
        parse_target(entry)
    assert message in str(excinfo.value)


def test_ip_literals_are_accepted():
    assert parse_target({"endpoint_id": "x", "dns_name": "10.0.0.1"}).dns_name == "10.0.0.1"
    t = parse_target({"endpoint_id": "x", "dns_name": "::1", "port": 80})
    assert t.url == "http://[::1]:80/"
    assert host_header(t) == "[::1]"


def test_event_keeps_positions_and_reports_invalid_entries():
    batch = parse_event(
        {
            "defaults": {"port": 8080},
            "targets": [
                {"endpoint_id": "vpce-a", "dns_name": DNS},
                {"endpoint_id": "vpce-b", "dns_name": DNS, "port": 70000},
                42,
                {"endpoint_id": "vpce-d", "dns_name": DNS},
            ],
        }
    )
    assert [(i, t.endpoint_id) for i, t in batch.targets] == [(0, "vpce-a"), (3, "vpce-d")]
    assert [(r.index, r.target, r.verdict) for r in batch.invalid] == [
        (1, "vpce-b", "invalid"),
        (2, None, "invalid"),
    ]


def test_bad_defaults_make_every_entry_invalid_not_the_run():
    batch = parse_event({"defaults": {"port": -1}, "targets": [{"endpoint_id": "a", "dns_name": DNS}]})
    assert not batch.targets and batch.invalid[0].error is not None


@pytest.mark.parametrize(
    "event",
    [[], "x", {"targets": {}}, {"defaults": [], "targets": []}, {"target": []}, {}],
)
def test_malformed_events_raise(event):
    with pytest.raises(InvalidEvent):
        parse_event(event)


def test_empty_target_list_is_fine():
    batch = parse_event({"targets": []})
    assert batch.targets == [] and batch.invalid == []


def test_request_has_host_with_port_and_no_keepalive():
    t = parse_target({"endpoint_id": "x", "dns_name": DNS, "path": "/health?deep=1"})
    req = build_request(t).decode()
    assert req.startswith("GET /health?deep=1 HTTP/1.1\r\n")
    assert f"\r\nHost: {DNS}:8080\r\n" in req
    assert "\r\nConnection: close\r\n" in req and req.endswith("\r\n\r\n")
    assert (
        host_header(parse_target({"endpoint_id": "x", "dns_name": DNS, "port": 443, "scheme": "https"}))
        == DNS
    )
    assert host_header(
        parse_target({"endpoint_id": "x", "dns_name": DNS, "host_header": "app.internal"})
    ) == ("app.internal")


def test_result_json_shape():
    batch = parse_event({"targets": [{"endpoint_id": "vpce-b"}]})
    row = batch.invalid[0].to_dict()
    assert set(row) == {
        "target",
        "index",
        "url",
        "kind",
        "child_arn",
        "ok",
        "verdict",
        "reason",
        "error",
        "status_code",
        "cert_days_left",
        "addresses",
        "bytes_read",
        "attempts",
        "timings_ms",
    }
    assert row["ok"] is False and set(row["timings_ms"]) == {"dns", "connect", "first_byte", "total"}
