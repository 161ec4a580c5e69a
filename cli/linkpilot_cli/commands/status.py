"""``linkpilot status [--policy FILE] [--output table|json|text]``: managed endpoints, their state and last
probe verdict, and pending invitations the policy does not accept. Read-only.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient

    from linkpilot.consumer.models import InvitationDecision
    from linkpilot.consumer.policy import TrustPolicy
    from linkpilot_cli.status import InvitationRow, ProbeVerdict, StatusReport

from linkpilot_cli.output import EXIT_OK, EXIT_READ_FAILED, InvalidInput, Output

DESCRIPTION = """\
Show the resource endpoints Linkpilot manages in this account and Region, with their state and the last
probe verdict (the newest ProbeSuccess datapoint within --window minutes), and the pending RAM invitations
that the trust policy (--policy) would not accept. Read-only: changes nothing."""
# GetMetricData takes at most 500 queries a call.
_QUERIES_PER_CALL = 500


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FILE", help="trust policy: judge pending invitations by it")
    parser.add_argument(
        "--json",
        dest="output",
        action="store_const",
        const="json",
        help="same as --output json (kept for compatibility)",
    )
    parser.add_argument("--window", type=int, default=15, metavar="MIN", help="probe verdict look-back (15)")
    parser.add_argument(
        "--namespace",
        default=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Linkpilot"),
        help="CloudWatch namespace of the probe metrics (default: POWERTOOLS_METRICS_NAMESPACE or Linkpilot)",
    )
    parser.add_argument("--probe-service", default="linkpilot-probe", help="the probe's service dimension")


def run(args: argparse.Namespace) -> int:
    from linkpilot.consumer.policy import PolicyError, load_policy_file

    out: Output = args.out
    policy = None
    if args.policy:
        try:
            policy = load_policy_file(args.policy)
        except PolicyError as exc:
            raise InvalidInput(str(exc)) from None

    from botocore.exceptions import BotoCoreError, ClientError

    from linkpilot.errors import AwsError
    from linkpilot_cli.aws import session_from
    from linkpilot_cli.status import status_tables

    session = session_from(args)
    try:
        report = collect_status(
            session,
            policy,
            namespace=args.namespace,
            probe_service=args.probe_service,
            window=timedelta(minutes=args.window),
            progress=out.progress,
        )
    except (AwsError, ClientError, BotoCoreError) as exc:
        out.error(f"reading AWS failed: {exc}")
        return EXIT_READ_FAILED
    out.document(report.to_json(), status_tables(report))
    return EXIT_OK


def collect_status(
    session: Any,
    policy: TrustPolicy | None,
    *,
    namespace: str = "Linkpilot",
    probe_service: str = "linkpilot-probe",
    window: timedelta = timedelta(minutes=15),
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> StatusReport:
    """Reads endpoints, invitations and probe metrics through ``session`` and assembles the report."""
    from linkpilot.aws.ec2_endpoints import Ec2Endpoints
    from linkpilot.aws.ram_consumer import RamConsumer
    from linkpilot.consumer.plan import decide_invitation
    from linkpilot_cli.status import InvitationRow, build_status

    progress("reading managed resource endpoints")
    endpoints = Ec2Endpoints(session.client("ec2")).managed_endpoints()
    progress(f"{len(endpoints)} managed endpoint(s); reading probe metrics")
    verdicts = last_probe_verdicts(
        session.client("cloudwatch"),
        [e.endpoint_id for e in endpoints],
        namespace=namespace,
        probe_service=probe_service,
        window=window,
        now=now or datetime.now(UTC),
        progress=progress,
    )
    progress("reading pending invitations")
    ram = RamConsumer(session.client("ram"))
    pending = [i for i in ram.invitations() if i.status == "PENDING"]
    rows: list[InvitationRow | InvitationDecision] = []
    for inv in pending:
        if policy is None:
            rows.append(
                InvitationRow(inv.arn, inv.share_name, inv.sender_account_id, "unknown", "no --policy given")
            )
            continue
        decision = decide_invitation(policy, inv, ram.pending_resources(inv))
        if decision is not None and decision.refused_by_policy:
            rows.append(decision)
    return build_status(endpoints, verdicts, rows)


def last_probe_verdicts(
    cloudwatch: CloudWatchClient,
    endpoint_ids: Sequence[str],
    *,
    namespace: str,
    probe_service: str,
    window: timedelta,
    now: datetime,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, ProbeVerdict]:
    """The newest ProbeSuccess datapoint per endpoint (minimum over each minute: any failure counts)."""
    from linkpilot_cli.status import ProbeVerdict

    verdicts: dict[str, ProbeVerdict] = {}
    batches = [
        endpoint_ids[i : i + _QUERIES_PER_CALL] for i in range(0, len(endpoint_ids), _QUERIES_PER_CALL)
    ]
    for n, batch in enumerate(batches, start=1):
        if len(batches) > 1:
            progress(f"probe metrics batch {n}/{len(batches)}")
        queries: list[Any] = [
            {
                "Id": f"e{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": "ProbeSuccess",
                        # CloudWatch matches dimensions as a set; sorted by name suits order-sensitive fakes
                        "Dimensions": [
                            {"Name": "EndpointId", "Value": endpoint_id},
                            {"Name": "service", "Value": probe_service},
                        ],
                    },
                    "Period": 60,
                    "Stat": "Minimum",
                },
                "ReturnData": True,
            }
            for i, endpoint_id in enumerate(batch)
        ]
        paginator = cloudwatch.get_paginator("get_metric_data")
        for page in paginator.paginate(
            MetricDataQueries=queries, StartTime=now - window, EndTime=now, ScanBy="TimestampDescending"
        ):
            for result in page["MetricDataResults"]:
                endpoint_id = batch[int(result["Id"][1:])]
                pairs = sorted(zip(result["Timestamps"], result["Values"], strict=True), reverse=True)
                if pairs and endpoint_id not in verdicts:
                    at, value = pairs[0]
                    verdicts[endpoint_id] = ProbeVerdict(ok=value >= 1, at=at)
    return verdicts
