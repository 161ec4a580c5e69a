"""``linkpilot reconcile``'s table says why nothing happened (issue 26 item 5): every item the run left alone
(waiting, refused, awaiting grace, unmanaged, orphaned, unprobed) is a row with its reason, built from the
report the controller logs. Against the local AWS, the waiting row: tests/integration/controller/
test_cli_conventions_local_aws.py."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from linkpilot.consumer.models import (
    GraceEndpoint,
    OrphanedEndpoint,
    Plan,
    UnmanagedEndpoint,
    UnprobedAssociation,
    Waiting,
)
from linkpilot.consumer.report import ProbeRefresh, ProbeStatus, ReconcileReport
from linkpilot_cli.commands.reconcile import report_tables
from linkpilot_cli.output import Output

RCFG = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0aa11bb22cc33dd44"
SHARE = "arn:aws:ram:us-east-1:111111111111:resource-share/5c3f0000-0000-0000-0000-000000000001"
SINCE = datetime(2026, 12, 5, 4, 0, tzinfo=UTC)


def _report(plan: Plan) -> dict:
    report = ReconcileReport(
        run_id="r",
        trigger="cli",
        dry_run=True,
        started_at=SINCE,
        plan=plan,
        results=(),
        probe=ProbeRefresh(ProbeStatus.PLANNED),
    )
    return report.to_json()


def _table_rows(document: dict) -> list[list[str]]:
    out = io.StringIO()
    Output("reconcile", "text", stdout=out, stderr=io.StringIO(), env={}).document(
        document, report_tables(document)
    )
    return [line.split("\t") for line in out.getvalue().splitlines()]


def test_every_item_left_alone_is_a_row_with_its_reason():
    plan = Plan(
        waiting=(Waiting(SHARE, RCFG, "accepted; RAM does not list its resources yet"),),
        refused_resources=((RCFG, SHARE, "not in allowed_resource_configuration_arns"),),
        awaiting_grace=(GraceEndpoint("vpce-0000000000000000a", RCFG, SINCE, SINCE.replace(hour=5)),),
        unmanaged=(UnmanagedEndpoint("vpce-0000000000000000b", RCFG, "no linkpilot:managed tag"),),
        orphaned=(OrphanedEndpoint("vpce-0000000000000000c", RCFG, "kept: delete_endpoints_on_unshare"),),
        unprobed=(UnprobedAssociation("vpce-0000000000000000d", "arn:child", "no address"),),
    )
    rows = [row[1:] for row in _table_rows(_report(plan)) if row[0] == "not-acted-on"]
    assert rows == [
        ["waiting", "rcfg-0aa11bb22cc33dd44", "accepted; RAM does not list its resources yet"],
        ["refused", "rcfg-0aa11bb22cc33dd44", "not in allowed_resource_configuration_arns"],
        [
            "awaiting-grace",
            "vpce-0000000000000000a",
            "configuration rcfg-0aa11bb22cc33dd44 missing since 2026-12-05T04:00:00+00:00; "
            "deleted after 2026-12-05T05:00:00+00:00",
        ],
        ["unmanaged", "vpce-0000000000000000b", "no linkpilot:managed tag"],
        ["orphaned", "vpce-0000000000000000c", "kept: delete_endpoints_on_unshare"],
        ["unprobed", "vpce-0000000000000000d", "no address"],
    ]


def test_a_share_waiting_with_unknown_contents_is_named_by_the_share():
    plan = Plan(waiting=(Waiting(SHARE, "", "accepted earlier; contents not known yet"),))
    rows = [row[1:] for row in _table_rows(_report(plan)) if row[0] == "not-acted-on"]
    assert rows == [
        ["waiting", "5c3f0000-0000-0000-0000-000000000001", "accepted earlier; contents not known yet"]
    ]


def test_the_table_titles_the_section_with_its_count():
    out = io.StringIO()
    plan = Plan(unmanaged=(UnmanagedEndpoint("vpce-0000000000000000b", RCFG, "no linkpilot:managed tag"),))
    document = _report(plan)
    Output("reconcile", "table", stdout=out, stderr=io.StringIO(), env={}).document(
        document, report_tables(document)
    )
    section = out.getvalue().split("Not acted on: ", 1)[1].splitlines()
    assert section[0].strip() == "1"
    assert section[1].split() == ["STATE", "SUBJECT", "REASON"]
    assert section[2].split()[:2] == ["unmanaged", "vpce-0000000000000000b"]
