"""linkpilot status: the pure report, its rendering, and the CloudWatch and Logs adapters (Stubber)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
from botocore.stub import ANY, Stubber

from linkpilot.consumer.models import Endpoint, EndpointAssociation, InvitationDecision, Verdict
from linkpilot.probe.model import AddressResult, ProbeResult
from linkpilot_cli.adapters.probe_logs import ProbeLogs
from linkpilot_cli.adapters.probe_metrics import ProbeMetrics
from linkpilot_cli.commands.status import InvitationRow, build_status, render_table
from linkpilot_cli.probe_verdicts import ProbeDetail, ProbeVerdict, probe_detail

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
CFG = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0123456789abcdef0"
SHARE = "arn:aws:ram:us-east-1:111111111111:resource-share/7ab63972-b505-4e2a-9b5e-6ae1e3a1d5ce"


def endpoint(endpoint_id: str, managed: bool = True, state: str = "available") -> Endpoint:
    tags = {"linkpilot:resource-configuration-arn": CFG, "linkpilot:resource-share-arn": SHARE}
    if managed:
        tags["linkpilot:managed"] = "true"
    return Endpoint(
        endpoint_id=endpoint_id, vpc_id="vpc-1", state=state, resource_configuration_arn=CFG, tags=tags
    )


def test_report_lists_only_managed_endpoints_with_their_verdicts():
    report = build_status(
        [
            endpoint("vpce-b"),
            endpoint("vpce-a"),
            endpoint("vpce-unmanaged", managed=False),
            endpoint("vpce-c"),
        ],
        {"vpce-a": ProbeVerdict(ok=True, at=NOW), "vpce-b": ProbeVerdict(ok=False, at=NOW)},
        [],
    )
    assert [(e.endpoint_id, e.probe) for e in report.endpoints] == [
        ("vpce-a", "ok"),
        ("vpce-b", "down"),
        ("vpce-c", "no data"),
    ]
    assert report.endpoints[0].share_arn == SHARE
    summary = report.to_json()["summary"]
    assert summary == {
        "managed_endpoints": 3,
        "probing_ok": 1,
        "probing_failing": 1,
        "pending_invitations": 0,
    }


def test_refused_invitations_show_what_the_policy_would_do_and_why():
    decision = InvitationDecision(
        invitation_arn="arn:aws:ram:us-east-1:333333333333:resource-share-invitation/inv-1",
        share_arn=SHARE,
        share_name="rogue",
        sender_account_id="333333333333",
        verdict=Verdict.IGNORE,
        reason="sender 333333333333 is not in trusted_accounts",
        trusted_sender=False,
        refused_by_policy=True,
    )
    unknown = InvitationRow(
        "arn:aws:ram:us-east-1:1:resource-share-invitation/inv-0",
        "x",
        "444444444444",
        "unknown",
        "no --policy given",
    )
    report = build_status([], {}, [decision, unknown])
    rows = report.to_json()["pending_invitations"]
    assert [(r["sender_account_id"], r["decision"]) for r in rows] == [
        ("444444444444", "unknown"),
        ("333333333333", "ignore"),
    ]
    text = render_table(report)
    assert "Managed resource endpoints: 0" in text
    assert "not in trusted_accounts" in text and "inv-1" in text
    json.dumps(report.to_json())  # machine output is plain JSON


def test_table_has_one_line_per_endpoint_under_a_header():
    report = build_status([endpoint("vpce-a")], {"vpce-a": ProbeVerdict(ok=True, at=NOW)}, [])
    lines = render_table(report).splitlines()
    assert lines[1].split() == [
        *("ENDPOINT", "STATE", "CONFIGURATION", "SHARE", "PROBE", "PROBED", "AT", "FAILED", "ADDRESSES")
    ]
    assert lines[2].split()[:5] == [
        "vpce-a",
        "available",
        "rcfg-0123456789abcdef0",
        "7ab63972-b505-4e2a-9b5e-6ae1e3a1d5ce",
        "ok",
    ]


def test_last_verdict_is_the_newest_minimum_of_probe_success():
    cw = boto3.client("cloudwatch", region_name="us-east-1")
    with Stubber(cw) as stub:
        stub.add_response(
            "get_metric_data",
            {
                "MetricDataResults": [
                    {
                        "Id": "e0",
                        "Timestamps": [NOW - timedelta(minutes=2), NOW - timedelta(minutes=1)],
                        "Values": [1.0, 0.0],
                        "StatusCode": "Complete",
                    },
                    {"Id": "e1", "Timestamps": [], "Values": [], "StatusCode": "Complete"},
                ]
            },
            {
                "MetricDataQueries": ANY,
                "StartTime": NOW - timedelta(minutes=15),
                "EndTime": NOW,
                "ScanBy": "TimestampDescending",
            },
        )
        verdicts = ProbeMetrics(cw, namespace="Linkpilot", probe_service="linkpilot-probe").last_verdicts(
            ["vpce-a", "vpce-b"],
            window=timedelta(minutes=15),
            now=NOW,
        )
    assert verdicts == {"vpce-a": ProbeVerdict(ok=False, at=NOW - timedelta(minutes=1), health=0.0)}


# -- which addresses failed (the probe function's log line of the run) -------------------------------------


def failed_line(endpoint_id: str, verdict: str, *addresses: tuple[str, str | None]) -> str:
    """A probe function log line as Powertools writes it (the handler logs ``{"probe": row}``)."""
    result = ProbeResult(
        target=endpoint_id,
        verdict=verdict,
        kind="tcp",
        error="10.0.2.7: timed out (1 of 3 addresses failing)",
        addresses=[AddressResult(address=a, reason=r) for a, r in addresses],
    )
    record = {"level": "WARNING", "message": "probe target failed", "service": "linkpilot-probe"}
    return json.dumps({**record, "probe": result.to_dict()})


def test_a_probe_log_line_names_the_failed_addresses_with_their_reasons():
    line = failed_line(
        "vpce-a", "degraded", ("10.0.1.5", None), ("10.0.2.7", "timeout"), ("10.0.3.9", "connect")
    )
    endpoint_id, detail = probe_detail(line, int(NOW.timestamp() * 1000))
    assert endpoint_id == "vpce-a"
    assert detail == ProbeDetail(
        "degraded",
        NOW,
        ("10.0.2.7 timeout", "10.0.3.9 connect"),
        "10.0.2.7: timed out (1 of 3 addresses failing)",
    )
    for other in ('{"message": "probe run", "targets": 3}', "START RequestId: 1", "[1, 2]", '{"message": 1}'):
        assert probe_detail(other, 0) is None


def test_status_shows_degraded_down_and_the_failed_addresses_of_the_same_run():
    at = NOW - timedelta(minutes=1)
    verdicts = {
        "vpce-a": ProbeVerdict(ok=False, at=at, health=2 / 3),
        "vpce-b": ProbeVerdict(ok=False, at=at, health=0.0),
        "vpce-c": ProbeVerdict(ok=True, at=at, health=1.0),
        "vpce-d": ProbeVerdict(ok=True, at=at, health=1.0),
    }
    details = {
        "vpce-a": ProbeDetail("degraded", at + timedelta(seconds=3), ("10.0.2.7 timeout",)),
        # an older run's line: not this verdict's
        "vpce-b": ProbeDetail("degraded", at - timedelta(minutes=5), ("10.0.9.9 connect",)),
        # serving, but a certificate within the policy's threshold: the metric says 1, the log says why
        "vpce-c": ProbeDetail("cert_expiring", at + timedelta(seconds=2), ("10.0.1.5 cert_expiring",)),
        # an old failure of an endpoint that is ok now
        "vpce-d": ProbeDetail("down", at - timedelta(minutes=3), ("10.0.1.6 connect",)),
    }
    eps = [endpoint(e) for e in ("vpce-a", "vpce-b", "vpce-c", "vpce-d")]
    report = build_status(eps, verdicts, [], details)
    rows = {e.endpoint_id: (e.probe, e.failed_addresses) for e in report.endpoints}
    assert rows == {
        "vpce-a": ("degraded", ("10.0.2.7 timeout",)),
        "vpce-b": ("down", ()),
        "vpce-c": ("cert_expiring", ("10.0.1.5 cert_expiring",)),
        "vpce-d": ("ok", ()),
    }
    assert report.to_json()["summary"]["probing_failing"] == 2
    text = render_table(report)
    assert "10.0.2.7 timeout" in text and "10.0.9.9" not in text and "10.0.1.6" not in text


def test_the_log_read_asks_for_the_failed_lines_since_the_oldest_verdict_and_keeps_the_newest():
    logs = boto3.client("logs", region_name="us-east-1")
    group = "/aws/lambda/linkpilot-ProbeFunction-AbC123"
    older = failed_line("vpce-a", "down", ("10.0.1.5", "connect"))
    newer = failed_line("vpce-a", "degraded", ("10.0.1.5", None), ("10.0.2.7", "timeout"))
    ms = int(NOW.timestamp() * 1000)
    with Stubber(logs) as stub:
        stub.add_response(
            "describe_log_groups",
            {
                "logGroups": [
                    {"logGroupName": group},
                    {"logGroupName": "/aws/lambda/linkpilot-ControllerFunction-X"},
                ]
            },
            {"logGroupNamePrefix": "/aws/lambda/"},
        )
        stub.add_response(
            "filter_log_events",
            {"events": [{"timestamp": ms - 60_000, "message": newer}], "nextToken": "t"},
            {
                "logGroupName": group,
                "startTime": ms - 120_000,
                "endTime": ms + 60_000,
                "filterPattern": '"probe target failed"',
            },
        )
        stub.add_response(
            "filter_log_events",
            {"events": [{"timestamp": ms - 110_000, "message": older}]},
            {
                "logGroupName": group,
                "startTime": ms - 120_000,
                "endTime": ms + 60_000,
                "filterPattern": '"probe target failed"',
                "nextToken": "t",
            },
        )
        assert ProbeLogs(logs).find_probe_log_group() == group
        details = ProbeLogs(logs).last_probe_details(group, since=NOW - timedelta(minutes=2), now=NOW)
    assert details["vpce-a"].verdict == "degraded" and details["vpce-a"].failed_addresses == (
        "10.0.2.7 timeout",
    )


def test_no_probe_log_group_is_guessed_among_several():
    logs = boto3.client("logs", region_name="us-east-1")
    groups = [{"logGroupName": f"/aws/lambda/stack{n}-ProbeFunction-{n}"} for n in (1, 2)]
    groups.append({"logGroupName": "/aws/lambda/stack3-ProbeFunctionality"})  # not a probe's
    with Stubber(logs) as stub:
        stub.add_response(
            "describe_log_groups", {"logGroups": groups}, {"logGroupNamePrefix": "/aws/lambda/"}
        )
        assert ProbeLogs(logs).find_probe_log_group() is None


def test_status_shows_the_names_the_controller_publishes():
    from dataclasses import replace

    from linkpilot.consumer.directory import records_from_endpoints

    row = EndpointAssociation(
        association_id="vpce-rsc-asc-0123456789abcdef0",
        endpoint_id="vpce-a",
        associated_resource_arn=CFG,
        dns_name="vpce-a.rcfg-0123456789abcdef0.x.vpc-lattice-rsc.us-east-1.on.aws",
        accessibility="accessible",
    )
    ep = replace(endpoint("vpce-a"), associations=(row,))
    report = build_status([ep, endpoint("vpce-p", state="pending")], {}, [])
    (published,) = records_from_endpoints([ep])
    by_id = {e.endpoint_id: e for e in report.endpoints}
    (name,) = by_id["vpce-a"].names
    assert (name.parameter, name.dns_name, name.state) == (published.parameter, ep.dns_name, "available")
    assert by_id["vpce-p"].names[0].parameter == "" and by_id["vpce-p"].names[0].state == "pending"
    text = render_table(report)
    assert "Names applications find" in text and published.parameter in text and ep.dns_name in text
    assert report.to_json()["endpoints"][0]["names"][0]["parameter"] == published.parameter


def test_status_marks_the_parameters_it_did_not_find_and_claims_none_it_did_not_read():
    from dataclasses import replace

    from linkpilot.consumer.directory import records_from_endpoints

    def with_name(endpoint_id: str) -> Endpoint:
        row = EndpointAssociation(
            association_id=f"{endpoint_id}-asc-0123456789abcdef0",
            endpoint_id=endpoint_id,
            associated_resource_arn=CFG,
            dns_name=f"{endpoint_id}.x.vpc-lattice-rsc.us-east-1.on.aws",
            accessibility="accessible",
        )
        return replace(endpoint(endpoint_id), associations=(row,))

    found, lost = with_name("vpce-a"), with_name("vpce-b")
    (found_name,) = (r.parameter for r in records_from_endpoints([found]))
    report = build_status([found, lost], {}, [], published={found_name})
    names = {e.endpoint_id: e.names[0] for e in report.endpoints}
    assert (names["vpce-a"].published, names["vpce-b"].published) == (True, False)
    rows = {
        line.split()[0]: line.split() for line in render_table(report).splitlines() if "/linkpilot/" in line
    }
    assert rows["vpce-a"][2] == "yes" and rows["vpce-b"][2] == "missing"
    unread = build_status([found], {}, [])  # nothing read from SSM: nothing claimed
    assert unread.endpoints[0].names[0].published is None
    assert "not read" in render_table(unread)


def test_status_reads_the_endpoint_directory_from_ssm():
    from linkpilot_cli.commands import status

    class Session:
        def __init__(self) -> None:
            self.clients: dict[str, object] = {}

        def client(self, service: str) -> object:
            return self.clients.setdefault(service, boto3.client(service, region_name="us-east-1"))

    session = Session()
    ec2, ssm, ram, cw = (session.client(s) for s in ("ec2", "ssm", "ram", "cloudwatch"))
    said: list[str] = []
    with Stubber(ec2) as e, Stubber(ssm) as s, Stubber(ram) as r, Stubber(cw) as c:
        c.add_response("get_metric_data", {"MetricDataResults": []}, None)
        tags = [
            {"Key": "linkpilot:managed", "Value": "true"},
            {"Key": "linkpilot:resource-configuration-arn", "Value": CFG},
        ]
        found = {
            "VpcEndpointId": "vpce-a",
            "VpcEndpointType": "Resource",
            "VpcId": "vpc-1",
            "State": "available",
            "ResourceConfigurationArn": CFG,
            "Tags": tags,
        }
        e.add_response("describe_vpc_endpoints", {"VpcEndpoints": [found]}, None)
        e.add_response("describe_vpc_endpoint_associations", {"VpcEndpointAssociations": []}, None)
        s.add_response(
            "get_parameters_by_path",
            {"Parameters": [{"Name": "/linkpilot/endpoints/vpce-a/x", "Value": "{}"}]},
            {"Path": "/linkpilot/endpoints", "Recursive": True},
        )
        r.add_response("get_resource_share_invitations", {"resourceShareInvitations": []}, None)
        report = status.collect_status(session, None, now=NOW, progress=said.append, probe_log_group="")
    assert "reading the endpoint directory (SSM parameters)" in said
    assert [e.endpoint_id for e in report.endpoints] == ["vpce-a"]
