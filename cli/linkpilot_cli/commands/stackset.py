"""``linkpilot stackset deploy``: roll the consumer stack out to every account of one or more OUs.

Creates or updates a SERVICE_MANAGED CloudFormation StackSet with automatic deployment (accounts that join a
target OU later get the stack too), then makes sure stack instances exist for every requested OU and Region,
waiting for each StackSet operation in turn (StackSets run one operation at a time).

Input is the consumer stack as plain CloudFormation JSON: ``sam build`` + ``sam package`` give a template
that still declares ``Transform: AWS::Serverless-2016-10-31``, and service-managed StackSets cannot run that
macro with the default execution role, so ``scripts/stackset_translate.py`` expands it offline first
(see docs/deploy.md#roll-the-consumer-stack-out-with-a-stackset). OUs that are no longer requested are
reported, never deleted: removing stacks from accounts is a deliberate, separate step.

The command checks every value before any call (``linkpilot_cli.validate``: the StackSet name, the OU ids,
the Regions, the bucket; ``linkpilot_cli.rollout_input``: the template and parameters files), hands the
request to the StackSet adapter (``linkpilot_cli.adapters.stacksets``, which follows the plan of
``linkpilot_cli.rollout``; a large template goes to S3 first, ``linkpilot_cli.adapters.s3_templates``) and
renders the report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import click

from linkpilot_cli import framework, validate
from linkpilot_cli.framework import Invocation, command, group
from linkpilot_cli.output import EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_READ_FAILED, Output, Table
from linkpilot_cli.registry import exit_codes
from linkpilot_cli.rollout import RolloutError, RolloutReport, RolloutRequest

# S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules"): 3-63 characters
BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

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


CODES = exit_codes(
    "every StackSet operation succeeded (or, with --dry-run, the plan was read)",
    "the template, the parameters or an option is invalid; nothing changed",
    failed="a StackSet operation failed or timed out, or a change was refused",
    read="reading the StackSet failed; nothing changed",
)
EXAMPLES = (
    "linkpilot stackset deploy --template consumer.json --parameters params.json \\\n"
    "      --name linkpilot-consumer --ou-ids ou-ab12-cdef3456 --regions us-east-1,eu-west-1 --dry-run",
    "linkpilot stackset deploy --template consumer.json --name linkpilot-consumer --ou-ids r-ab12 \\\n"
    "      --regions us-east-1 --template-bucket my-templates --call-as DELEGATED_ADMIN",
)
COMMAND = group(
    "stackset",
    summary="roll the consumer stack out to OUs with a service-managed StackSet",
    description=DESCRIPTION,
    examples=EXAMPLES,
    exit_codes=CODES,
)


def _bucket(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if value and not BUCKET.match(value):
        raise click.BadParameter(
            f"{value!r} is not an S3 bucket name (3-63 lower-case letters, digits, . and -)"
        )
    return value


@command(
    "deploy",
    summary="create or update the StackSet and its instances for OUs",
    description=DEPLOY_DESCRIPTION,
    examples=EXAMPLES,
    exit_codes=CODES,
    aws=True,
    output=True,
)
@click.option(
    "--template",
    type=click.Path(path_type=Path),
    required=True,
    help="plain CloudFormation JSON (translated), FILE",
)
@click.option(
    "--name", required=True, callback=validate.stack_set_name, help="StackSet name (letters, digits, hyphens)"
)
@click.option(
    "--ou-ids",
    required=True,
    callback=validate.ou_ids,
    metavar="IDS",
    help="target OU ids (ou-xxxx-xxxxxxxx) or the root id (r-xxxx), comma separated",
)
@click.option(
    "--regions", required=True, callback=validate.regions, metavar="REGIONS", help="Regions, comma separated"
)
@click.option("--parameters", type=click.Path(path_type=Path), help="JSON file of stack parameter values")
@click.option("--template-bucket", default="", callback=_bucket, help="upload the template to this S3 bucket")
@click.option(
    "--retain-stacks-on-account-removal",
    is_flag=True,
    help="keep an account's stack when it leaves a target OU (default: delete it)",
)
@click.option(
    "--call-as",
    type=click.Choice(["SELF", "DELEGATED_ADMIN"]),
    default="SELF",
    help="SELF in the management account, DELEGATED_ADMIN in a delegated administrator (SELF)",
)
@click.option(
    "--max-concurrent-percentage",
    type=click.IntRange(1, 100),
    default=25,
    metavar="PCT",
    help="share of accounts per Region deployed at the same time (25)",
)
@click.option(
    "--failure-tolerance-percentage",
    type=click.IntRange(0, 100),
    default=0,
    metavar="PCT",
    help="share of accounts per Region that may fail before the operation stops (0)",
)
@click.option(
    "--poll-seconds",
    type=click.FloatRange(0),
    default=15.0,
    metavar="S",
    help="seconds between two reads of a running operation's status (15)",
)
@click.option(
    "--timeout-seconds",
    type=click.FloatRange(0, min_open=True),
    default=3600.0,
    metavar="S",
    help="stop waiting for one operation after this long; it goes on in AWS (3600)",
)
@click.option("--dry-run", is_flag=True, help="print what would be done; change nothing")
def deploy(call: Invocation, **options: Any) -> int:
    return run(SimpleNamespace(**options), session=call.session(), out=call.out)


COMMAND.add_command(deploy)


def parse(argv: Sequence[str]) -> SimpleNamespace:
    """``stackset deploy ...``'s options, checked (``linkpilot_cli.framework.parse``)."""
    assert argv[0] == "deploy", "parse() takes `deploy ...`"
    return framework.parse(deploy, argv[1:])


def build_request(args: Any) -> RolloutRequest:
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


def run(args: Any, *, session: Any = None, out: Output | None = None) -> int:
    from linkpilot.aws.errors import ANY_AWS_FAILURE
    from linkpilot_cli.adapters.s3_templates import TemplateBucket
    from linkpilot_cli.adapters.stacksets import StackSetRollout
    from linkpilot_cli.aws import client, session_from
    from linkpilot_cli.rollout import template_key, with_template_url

    out = out or Output("stackset deploy", getattr(args, "output", None))
    try:
        request = build_request(args)
    except RolloutError as exc:
        out.error(str(exc))
        return EXIT_INVALID
    if session is None:
        session = session_from(args)  # after every value was checked: a bad one created nothing
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
