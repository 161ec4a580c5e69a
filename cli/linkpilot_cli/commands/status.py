"""``linkpilot status [--policy FILE] [--output table|json|text]``: managed endpoints, their state and last
probe verdict, and pending invitations the policy does not accept. Read-only.

The last probe verdict (ok, degraded, down) is the newest ``ProbeSuccess`` datapoint; which addresses failed
comes from the probe function's log (``--probe-log-group``, default the one
``/aws/lambda/STACK-ProbeFunction-*`` group), read with ``logs:FilterLogEvents``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_logs import CloudWatchLogsClient

    from linkpilot.consumer.models import InvitationDecision
    from linkpilot.consumer.policy import TrustPolicy
    from linkpilot_cli.status import InvitationRow, ProbeDetail, ProbeVerdict, StatusReport

from linkpilot_cli.output import EXIT_OK, InvalidInput, Output

DESCRIPTION = """\
Show the resource endpoints Linkpilot manages in this account and Region, with their state and the last
probe verdict (the newest ProbeSuccess datapoint within --window minutes), and the pending RAM invitations
that the trust policy (--policy) would not accept. Read-only: changes nothing."""
# GetMetricData takes at most 500 queries a call.
_QUERIES_PER_CALL = 500
# FilterLogEvents pages read at most (10,000 events or 1 MB each): a bound on what status reads.
_LOG_PAGES = 10


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
    parser.add_argument(
        "--probe-log-group",
        default=os.environ.get("LINKPILOT_PROBE_LOG_GROUP"),
        metavar="NAME",
        help="the probe function's log group, for the failed addresses (default: found by name; '' skips)",
    )


def run(args: argparse.Namespace) -> int:
    from linkpilot.consumer.policy import PolicyError, load_policy_file

    out: Output = args.out
    policy = None
    if args.policy:
        try:
            policy = load_policy_file(args.policy)
        except PolicyError as exc:
            raise InvalidInput(str(exc)) from None

    from linkpilot_cli.aws import session_from
    from linkpilot_cli.outcome import Retry, attempt, stopped
    from linkpilot_cli.status import status_tables

    session = session_from(args)
    report = attempt(
        lambda: collect_status(
            session,
            policy,
            namespace=args.namespace,
            probe_service=args.probe_service,
            window=timedelta(minutes=args.window),
            progress=out.progress,
            probe_log_group=args.probe_log_group,
        )
    )
    if isinstance(report, Retry):
        return stopped(out, report, failure="reading AWS failed")
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
    probe_log_group: str | None = None,
) -> StatusReport:
    """Reads endpoints, invitations, probe metrics and log lines through ``session``; assembles the report.
    With a policy that takes service networks, its managed service-network VPC associations are listed too.

    ``probe_log_group``: None finds the probe function's group by name, '' skips the log."""
    from linkpilot.aws.ec2_endpoints import Ec2Endpoints
    from linkpilot.aws.ram_consumer import RamConsumer
    from linkpilot.consumer.planning import compile_rules, decide_invitation
    from linkpilot_cli.status import InvitationRow, build_status

    progress("reading managed resource endpoints")
    ec2 = Ec2Endpoints(session.client("ec2"))
    endpoints = ec2.managed_endpoints()
    if policy is not None and policy.service_networks is not None:
        from linkpilot.aws.lattice_associations import LatticeAssociations

        progress("reading managed service-network VPC associations")
        lattice = LatticeAssociations(session.client("vpc-lattice"))
        endpoints = [*endpoints, *lattice.managed_associations(ec2.vpc_ids())]
    progress(f"{len(endpoints)} managed endpoint(s); reading probe metrics")
    verdicts = last_probe_verdicts(
        session.client("cloudwatch"),
        [e.endpoint_id for e in endpoints if not e.is_association],  # associations are not probed
        namespace=namespace,
        probe_service=probe_service,
        window=window,
        now=now or datetime.now(UTC),
        progress=progress,
    )
    details: dict[str, ProbeDetail] = {}
    if verdicts and probe_log_group != "":
        logs = session.client("logs")
        group = probe_log_group or find_probe_log_group(logs)
        if group:
            progress(f"reading the probe's failures from {group}")
            since = min(v.at for v in verdicts.values())
            details = last_probe_details(logs, group, since=since, now=now or datetime.now(UTC))
    progress("reading pending invitations")
    ram = RamConsumer(session.client("ram"))
    pending = [i for i in ram.invitations() if i.status == "PENDING"]
    rows: list[InvitationRow | InvitationDecision] = []
    shares = None if policy is None else compile_rules(policy).shares
    for inv in pending:
        if shares is None:
            rows.append(
                InvitationRow(inv.arn, inv.share_name, inv.sender_account_id, "unknown", "no --policy given")
            )
            continue
        decision = decide_invitation(shares, inv, ram.pending_resources(inv))
        if decision is not None and decision.refused_by_policy:
            rows.append(decision)
    return build_status(endpoints, verdicts, rows, details)


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
                    verdicts[endpoint_id] = ProbeVerdict(ok=value >= 1, at=at, health=value)
    return verdicts


def find_probe_log_group(logs: CloudWatchLogsClient) -> str | None:
    """The one ``/aws/lambda/STACK-ProbeFunction[-SUFFIX]`` log group (CloudFormation names a function
    STACK-LOGICALID-SUFFIX); None when there is none or several (then ``--probe-log-group`` says which)."""
    import re

    probe_group = re.compile(r"^/aws/lambda/.+-ProbeFunction(-[A-Za-z0-9]+)?$")
    found: list[str] = []
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/lambda/"):
        found.extend(
            g["logGroupName"] for g in page.get("logGroups", []) if probe_group.match(g["logGroupName"])
        )
    return found[0] if len(found) == 1 else None


def last_probe_details(
    logs: CloudWatchLogsClient, log_group: str, *, since: datetime, now: datetime
) -> dict[str, ProbeDetail]:
    """The newest "probe target failed" line per endpoint since ``since`` (a bounded number of pages)."""
    from linkpilot_cli.status import PROBE_FAILED_MESSAGE, probe_detail

    details: dict[str, ProbeDetail] = {}
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=log_group,
        startTime=int(since.timestamp() * 1000),
        endTime=int(now.timestamp() * 1000) + 60_000,  # the run of the newest minute may log a bit later
        filterPattern=f'"{PROBE_FAILED_MESSAGE}"',  # an exact phrase (CloudWatch Logs filter syntax)
    )
    for n, page in enumerate(pages):
        for event in page.get("events", []):
            found = probe_detail(event.get("message", ""), event.get("timestamp", 0))
            if found and (found[0] not in details or found[1].at >= details[found[0]].at):
                details[found[0]] = found[1]
        if n + 1 >= _LOG_PAGES:
            break
    return details
