"""EMF records, the probe handler and the CLI's argument handling (no sockets: invalid and empty inputs)."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from linkpilot.probe import AddressResult, ProbeResult, Timings
from linkpilot.probe.emf import AGGREGATE_METRICS, emf_records
from linkpilot_cli import main as cli
from linkpilot_cli.commands import probe as probe_cmd

ROOT = Path(__file__).resolve().parents[3]


def _result(endpoint: str, verdict: str, total: float | None = 12.5) -> ProbeResult:
    return ProbeResult(target=endpoint, verdict=verdict, timings=Timings(total=total))


def test_emf_per_endpoint_and_aggregate():
    records = emf_records(
        [_result("vpce-a", "ok"), _result("vpce-b", "timeout", 5000.0), ProbeResult(None, "invalid")],
        namespace="Linkpilot",
        service="linkpilot-probe",
        timestamp_ms=1_750_000_000_000,
    )
    assert len(records) == 3
    a, b, agg = records
    assert a["_aws"]["Timestamp"] == 1_750_000_000_000
    (directive,) = a["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Linkpilot"
    assert sorted(directive["Dimensions"][0]) == ["EndpointId", "service"]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "ProbeSuccess": "Count",
        "ProbeLatency": "Milliseconds",
    }
    assert (a["EndpointId"], a["ProbeSuccess"], a["ProbeLatency"]) == ("vpce-a", [1.0], [12.5])
    # a failed probe reports success 0 and no latency (a timeout's duration is not the target's latency)
    assert (b["EndpointId"], b["ProbeSuccess"], "ProbeLatency" in b) == ("vpce-b", [0.0], False)
    assert agg["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert (agg["ProbeTargetsFailed"], agg["ProbeTargetsInvalid"]) == ([2.0], [1.0])


def test_emf_aggregate_is_emitted_with_no_targets(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "svc-from-env")
    (agg,) = emf_records([])
    assert agg["service"] == "svc-from-env"
    assert agg["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Linkpilot"
    assert (agg["ProbeTargetsFailed"], agg["ProbeTargetsInvalid"]) == ([0.0], [0.0])


@dataclass
class FakeContext:
    function_name: str = "ProbeFunction"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:111122223333:function:ProbeFunction"
    aws_request_id: str = "req-1"


def _multi(endpoint: str, reasons: list[str | None]) -> ProbeResult:
    addresses = [AddressResult(f"127.0.0.{i + 1}", reason) for i, reason in enumerate(reasons)]
    serving = sum(a.serving for a in addresses)
    verdict = "down" if serving == 0 else "degraded" if serving < len(addresses) else "ok"
    if verdict == "ok" and any(a.reason for a in addresses):
        verdict = "cert_expiring"
    return ProbeResult(endpoint, verdict, timings=Timings(total=3.0), addresses=addresses)


def test_two_metrics_per_endpoint_tell_degraded_from_down():
    records = emf_records(
        [
            _multi("vpce-ok", [None, None, None]),
            _multi("vpce-degraded", [None, "timeout", None]),
            _multi("vpce-down", ["timeout", "connect", "timeout"]),
            _multi("vpce-cert", ["cert_expiring", None]),
            ProbeResult(None, "invalid"),
            # the prober ran out of descriptors: no verdict on the endpoint, so no ProbeSuccess either
            ProbeResult(
                "vpce-not-probed", "not_probed", addresses=[AddressResult("127.0.0.9", "not_probed")]
            ),
        ],
        service="linkpilot-probe",
    )
    *endpoints, aggregate = records
    assert [(r["EndpointId"], r["ProbeSuccess"], r.get("ProbeLatency")) for r in endpoints] == [
        ("vpce-ok", [1.0], [3.0]),
        ("vpce-degraded", [0.6667], [3.0]),
        ("vpce-down", [0.0], None),
        ("vpce-cert", [1.0], [3.0]),  # an expiring certificate still serves: counted in its own metric
    ]
    for r in endpoints:  # never more than two metrics per endpoint (the cost that scales)
        (directive,) = r["_aws"]["CloudWatchMetrics"]
        assert {m["Name"] for m in directive["Metrics"]} <= {"ProbeSuccess", "ProbeLatency"}
    assert {k: aggregate[k] for k in AGGREGATE_METRICS} == {
        "ProbeTargetsFailed": [5.0],
        "ProbeTargetsDown": [1.0],
        "ProbeTargetsDegraded": [1.0],
        "ProbeCertsExpiring": [1.0],
        "ProbeTargetsInvalid": [1.0],
        "ProbeTargetsNotProbed": [1.0],
    }


@pytest.fixture
def probe_app(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "linkpilot-probe")
    spec = importlib.util.spec_from_file_location("probe_app", ROOT / "functions/probe/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _emf_lines(out: str) -> list[dict]:
    return [r for r in (json.loads(line) for line in out.splitlines() if line.startswith("{")) if "_aws" in r]


def test_handler_reports_invalid_entries_and_emits_metrics(probe_app, capsys):
    event = json.loads((ROOT / "events/probe-invalid-target.json").read_text())
    response = probe_app.handler(event, FakeContext())
    assert response["targets"] == 2 and response["failed"] == 2
    assert [r["verdict"] for r in response["results"]] == ["invalid", "invalid"]
    (agg,) = _emf_lines(capsys.readouterr().out)
    assert (agg["ProbeTargetsFailed"], agg["ProbeTargetsInvalid"]) == ([2.0], [2.0])
    assert agg["service"] == "linkpilot-probe"


def test_handler_with_no_targets_still_emits_the_alarm_metric(probe_app, capsys):
    response = probe_app.handler({"targets": []}, FakeContext())
    assert response == {"targets": 0, "failed": 0, "verdicts": {}, "results": []}
    (agg,) = _emf_lines(capsys.readouterr().out)
    assert agg["ProbeTargetsFailed"] == [0.0]


def test_handler_rejects_a_malformed_input_loudly(probe_app, capsys):
    from linkpilot.probe import InvalidEvent

    with pytest.raises(InvalidEvent):
        probe_app.handler({"targets": "vpce-1"}, FakeContext())
    # one metric says why, by name; no target metric, so the failing-targets alarm sees missing data
    (emf,) = _emf_lines(capsys.readouterr().out)
    (metric_set,) = emf["_aws"]["CloudWatchMetrics"]
    assert [m["Name"] for m in metric_set["Metrics"]] == ["ProbeInputRejected"]
    assert emf["ProbeInputRejected"] == [1.0]


def test_probe_path_imports_neither_boto3_nor_pydantic():
    import subprocess

    code = (
        "import sys, linkpilot.probe, linkpilot_cli.commands.probe; "
        "print(sorted(m for m in ('boto3','botocore','pydantic','asyncio') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- CLI --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api.example:127.0.0.1", ("api.example", "127.0.0.1")),
        ("API.example:8080:127.0.0.2", ("api.example", "127.0.0.2")),
        ("v6.example:::1", ("v6.example", "::1")),
        ("v6.example:443:[::1]", ("v6.example", "::1")),
    ],
)
def test_resolve_entries(text, expected):
    assert probe_cmd._resolve_entry(text) == expected


@pytest.mark.parametrize("text", ["api.example", ":127.0.0.1", "api.example:nothere", "a:80:b"])
def test_bad_resolve_entries(text):
    with pytest.raises(Exception, match="HOST:IP"):
        probe_cmd._resolve_entry(text)


def test_url_targets():
    assert probe_cmd.url_target("http://vpce-1.example:8080/health?x=1") == {
        "endpoint_id": "http://vpce-1.example:8080/health?x=1",
        "dns_name": "vpce-1.example",
        "kind": "http",
        "port": 8080,
        "path": "/health?x=1",
    }
    assert probe_cmd.url_target("https://a.example")["port"] == 443
    assert probe_cmd.url_target("http://a.example")["port"] == 80
    assert probe_cmd.url_target("tcp://a.example:5432") == {
        "endpoint_id": "tcp://a.example:5432",
        "dns_name": "a.example",
        "kind": "tcp",
        "port": 5432,
    }
    assert probe_cmd.url_target("tls://[::1]:443/")["dns_name"] == "::1"


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://127.0.0.1:70000/", "port 70000 is out of range (1-65535)"),
        ("http://127.0.0.1:0/", "port 0 is out of range"),
        ("notaurl", "'notaurl' is not a URL"),
        ("not a url", "'not a url' is not a URL"),
        ("ftp://a.example/", "unsupported scheme 'ftp'"),
        ("tcp://a.example", "a tcp:// URL needs a port"),
        ("tls://a.example:443/path", "a tls:// URL takes no path"),
        ("http://a.example:8o/", "port '8o' is not a number"),
        ("http:///x", "has no host"),
        ("http://a_b..c/", "dns_name is not a host name"),
    ],
)
def test_cli_refuses_a_bad_url_in_one_line_probing_nothing(url, says, capsys):
    assert cli.main(["probe", "http://127.0.0.1:9/", url, "--timeout", "1"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("linkpilot probe: ") and says in err, err
    assert repr(url) in err and "Traceback" not in err


def test_cli_options_become_defaults():
    from linkpilot_cli.framework import parse

    args = parse(
        probe_cmd.COMMAND,
        [
            "http://a.example/",
            "--expect-status",
            "204",
            "--expect-body",
            "ok",
            "--timeout",
            "2.5",
            "--host-header",
            "app.internal",
            "--resolve",
            "a.example:127.0.0.1",
        ],
    )
    event = probe_cmd.build_event(args)
    assert event["defaults"] == {
        "address_family": "dualstack",
        "expected_status": 204,
        "timeout_s": 2.5,
        "expected_body": "ok",
        "host_header": "app.internal",
    }
    resolve = probe_cmd.mapped_resolver(args.resolve)
    assert resolve("A.example.") == ["127.0.0.1"]
    several = probe_cmd.mapped_resolver([("a.example", "127.0.0.2"), ("a.example", "::1")])
    assert several("a.example") == ["127.0.0.2", "::1"]
