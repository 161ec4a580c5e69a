"""linkpilot status: the pure report, its rendering, and the CloudWatch read contract (Stubber)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
from botocore.stub import ANY, Stubber

from linkpilot.consumer.models import Endpoint, InvitationDecision, Verdict
from linkpilot_cli.commands.status import last_probe_verdicts
from linkpilot_cli.status import InvitationRow, ProbeVerdict, build_status, render_table

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
        ("vpce-b", "failing"),
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
    assert lines[1].split() == ["ENDPOINT", "STATE", "CONFIGURATION", "SHARE", "PROBE", "PROBED", "AT"]
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
        verdicts = last_probe_verdicts(
            cw,
            ["vpce-a", "vpce-b"],
            namespace="Linkpilot",
            probe_service="linkpilot-probe",
            window=timedelta(minutes=15),
            now=NOW,
        )
    assert verdicts == {"vpce-a": ProbeVerdict(ok=False, at=NOW - timedelta(minutes=1))}


def test_status_shows_the_names_the_controller_publishes():
    from dataclasses import replace

    from linkpilot.consumer.directory import records_from_endpoints

    ep = replace(
        endpoint("vpce-a"), dns_name="vpce-a.rcfg-0123456789abcdef0.x.vpc-lattice-rsc.us-east-1.on.aws"
    )
    report = build_status([ep, endpoint("vpce-p", state="pending")], {}, [])
    (published,) = records_from_endpoints([ep])
    by_id = {e.endpoint_id: e for e in report.endpoints}
    (name,) = by_id["vpce-a"].names
    assert (name.parameter, name.dns_name, name.state) == (published.parameter, ep.dns_name, "available")
    assert by_id["vpce-p"].names[0].parameter == "" and by_id["vpce-p"].names[0].state == "pending"
    text = render_table(report)
    assert "Names applications find" in text and published.parameter in text and ep.dns_name in text
    assert report.to_json()["endpoints"][0]["names"][0]["parameter"] == published.parameter
