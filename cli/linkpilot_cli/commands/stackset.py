"""``linkpilot stackset deploy``: roll the consumer stack out to every account of one or more OUs.

Creates or updates a SERVICE_MANAGED CloudFormation StackSet with automatic deployment (accounts that join a
target OU later get the stack too), then makes sure stack instances exist for every requested OU and Region,
waiting for each StackSet operation in turn (StackSets run one operation at a time).

Input is the consumer stack as plain CloudFormation JSON: ``sam build`` + ``sam package`` give a template
that still declares ``Transform: AWS::Serverless-2016-10-31``, and service-managed StackSets cannot run that
macro with the default execution role, so ``scripts/stackset_translate.py`` expands it offline first
(see docs/deploy.md#roll-the-consumer-stack-out-with-a-stackset). OUs that are no longer requested are
reported, never deleted: removing stacks from accounts is a deliberate, separate step.

The command parses and checks its input (``linkpilot_cli.rollout_input``), hands the request to the StackSet
adapter (``linkpilot_cli.adapters.stacksets``, which follows the plan of ``linkpilot_cli.rollout``; a large
template goes to S3 first, ``linkpilot_cli.adapters.s3_templates``) and renders the report.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from linkpilot_cli.output import EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_READ_FAILED, Output, Table
from linkpilot_cli.rollout import RolloutError, RolloutReport, RolloutRequest


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


DESCRIPTION = """\
Roll the consumer stack out to every account of one or more organizational units (OUs) with a
service-managed CloudFormation StackSet (automatic deployment: accounts that join a target OU later get the
stack too). Run from the organization's management account or a delegated administrator
(--call-as DELEGATED_ADMIN)."""

DEPLOY_DESCRIPTION = """\
Create the StackSet, or update it (the update reaches every existing stack instance), then create stack
instances for every requested OU and Region, waiting for each StackSet operation in turn; progress
(operation status, instances succeeded/failed) goes to stderr while it waits. The template is plain
CloudFormation JSON: expand the SAM transform first with scripts/stackset_translate.py (see
docs/deploy.md#package-expand-deploy). OUs no longer requested are reported, never deleted. The result
(stdout) lists each operation and, for a failed one, every failed stack instance with its reason."""


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    deploy = sub.add_parser(
        "deploy",
        help="create or update the StackSet and its instances for OUs",
        description=DEPLOY_DESCRIPTION,
    )
    deploy.add_argument(
        "--template", type=Path, required=True, help="plain CloudFormation JSON (translated), FILE"
    )
    deploy.add_argument("--name", required=True, help="StackSet name (letters, digits, hyphens)")
    deploy.add_argument(
        "--ou-ids", type=_csv, required=True, help="target OU ids (or root id), comma separated"
    )
    deploy.add_argument("--regions", type=_csv, required=True, help="Regions, comma separated")
    deploy.add_argument("--parameters", type=Path, help="JSON file of stack parameter values")
    deploy.add_argument("--template-bucket", default="", help="upload the template to this S3 bucket")
    deploy.add_argument(
        "--retain-stacks-on-account-removal",
        action="store_true",
        help="keep an account's stack when it leaves a target OU (default: delete it)",
    )
    deploy.add_argument(
        "--call-as",
        choices=["SELF", "DELEGATED_ADMIN"],
        default="SELF",
        help="SELF in the management account, DELEGATED_ADMIN in a delegated administrator (SELF)",
    )
    deploy.add_argument(
        "--max-concurrent-percentage",
        type=int,
        default=25,
        metavar="PCT",
        help="share of accounts per Region deployed at the same time (25)",
    )
    deploy.add_argument(
        "--failure-tolerance-percentage",
        type=int,
        default=0,
        metavar="PCT",
        help="share of accounts per Region that may fail before the operation stops (0)",
    )
    deploy.add_argument(
        "--poll-seconds",
        type=float,
        default=15.0,
        metavar="S",
        help="seconds between two reads of a running operation's status (15)",
    )
    deploy.add_argument(
        "--timeout-seconds",
        type=float,
        default=3600.0,
        metavar="S",
        help="stop waiting for one operation after this long; it goes on in AWS (3600)",
    )
    deploy.add_argument("--dry-run", action="store_true", help="print what would be done; change nothing")


def build_request(args: argparse.Namespace) -> RolloutRequest:
    from linkpilot_cli.rollout_input import load_template, new_request

    return new_request(
        load_template(args.template),
        args.parameters,
        name=args.name,
        ou_ids=args.ou_ids,
        regions=args.regions,
        retain_stacks_on_account_removal=args.retain_stacks_on_account_removal,
        call_as=args.call_as,
        max_concurrent_percentage=args.max_concurrent_percentage,
        failure_tolerance_percentage=args.failure_tolerance_percentage,
    )


def report_tables(report: RolloutReport) -> list[Table]:
    summary = Table(
        "stackset",
        "StackSet",
        ("NAME", "ACTION", "STACK SET ID", "OK"),
        ((report.stack_set_name, report.action, report.stack_set_id, "ok" if report.ok else "failed"),),
    )
    operations = Table(
        "operation",
        "Operations",
        ("ACTION", "OPERATION", "STATUS", "FAILED INSTANCES"),
        tuple(
            (op["action"], op["operation_id"], op["status"], str(len(op.get("failures", []))))
            for op in report.operations
        ),
    )
    failures = Table(
        "failure",
        "Failed stack instances",
        ("OPERATION", "ACCOUNT", "REGION", "STATUS", "REASON"),
        tuple(
            (op["operation_id"], f["account"], f["region"], f["status"], f["reason"])
            for op in report.operations
            for f in op.get("failures", [])
        ),
    )
    untargeted = Table(
        "untargeted-ou",
        "OUs no longer requested (kept)",
        ("OU",),
        tuple((ou,) for ou in report.untargeted_ous),
    )
    return [summary, operations, failures, untargeted]


def run(args: argparse.Namespace, *, session: Any = None) -> int:
    from linkpilot.aws.errors import ANY_AWS_FAILURE
    from linkpilot_cli.adapters.s3_templates import TemplateBucket
    from linkpilot_cli.adapters.stacksets import StackSetRollout
    from linkpilot_cli.aws import client, session_from
    from linkpilot_cli.rollout import template_key, with_template_url

    out: Output = getattr(args, "out", None) or Output("stackset", getattr(args, "output", None))
    try:
        request = build_request(args)
    except RolloutError as exc:
        out.error(str(exc))
        return EXIT_INVALID
    if session is None:
        session = session_from(args)
    rollout = StackSetRollout(
        client(session, "cloudformation"),
        poll_seconds=args.poll_seconds,
        timeout_seconds=args.timeout_seconds,
        progress=out.progress,
    )
    uploaded = False  # an upload is a change too
    try:
        if args.template_bucket and not args.dry_run:
            uploaded = True
            bucket = TemplateBucket(client(session, "s3"), args.template_bucket)
            request = with_template_url(request, bucket.upload(template_key(request), request.template_body))
        report = rollout.deploy(request, dry_run=args.dry_run)
    except RolloutError as exc:
        out.error(str(exc))
        return EXIT_INVALID
    except ANY_AWS_FAILURE as exc:  # an unparseable answer too
        if uploaded or rollout.changed:
            out.error(f"a StackSet change failed: {exc}")
            return EXIT_FAILED
        out.error(f"reading the StackSet failed, nothing changed: {exc}")
        return EXIT_READ_FAILED
    out.document(report.as_dict(), report_tables(report))
    return EXIT_OK if report.ok else EXIT_FAILED
