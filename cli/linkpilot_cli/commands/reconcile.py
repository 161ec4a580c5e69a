"""``linkpilot reconcile --policy FILE [--dry-run]``: one reconcile from an operator's shell.

Same reconcile as the Lambda function, with standard AWS credentials and environment. Exit status: 0 all
done; 1 an action failed; 2 the policy, settings or an option is invalid (nothing changed); 3 reading AWS
failed (nothing changed); 4 another run held the account's lease (nothing read or changed).
"""

from __future__ import annotations

import argparse
from typing import Any

from linkpilot_cli.output import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_READ_FAILED,
    InvalidInput,
    Output,
    Table,
)

DESCRIPTION = """\
Run one reconcile, as the controller function does: read pending RAM invitations, the resource
configurations shared with this account and the endpoints Linkpilot manages; decide by the trust policy;
accept or reject invitations and create or delete resource endpoints. --dry-run only reads and prints the
plan. The report lists each decision and action (json: the full report, as the function logs it).
The controller's settings come from LINKPILOT_* environment variables, as in the function."""

EXIT_ACTION_FAILED = EXIT_FAILED  # kept for callers of the former name


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", metavar="FILE", help="trust policy JSON file (see --print-schema)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    parser.add_argument("--print-schema", action="store_true", help="print the policy's JSON schema and exit")


def report_tables(report: dict[str, Any]) -> list[Table]:
    decisions = Table(
        "decision",
        "Invitation decisions",
        ("INVITATION", "SHARE", "SENDER", "DECISION", "REASON"),
        tuple(
            (
                _short(d["invitation_arn"]),
                d["share_name"],
                d["sender_account_id"],
                d["verdict"],
                d["reason"],
            )
            for d in report.get("decisions", [])
        ),
    )
    actions = Table(
        "action",
        "Actions",
        ("ACTION", "OUTCOME", "SUBJECT", "DETAIL"),
        tuple(
            (
                a["action"],
                a["outcome"],
                _short(
                    a.get("endpoint_id")
                    or a.get("invitation_arn")
                    or a.get("resource_configuration_arn")
                    or ""
                ),
                a.get("error_code") or a.get("detail") or a.get("reason") or "",
            )
            for a in report.get("actions", [])
        ),
    )
    orphaned = Table(
        "orphaned",
        "Orphaned endpoints (kept)",
        ("ENDPOINT", "CONFIGURATION", "REASON"),
        tuple(
            (o["endpoint_id"], _short(o["resource_configuration_arn"]), o["reason"])
            for o in report.get("orphaned_endpoints", [])
        ),
    )
    return [decisions, actions, orphaned]


def _short(arn: str) -> str:
    return arn.rsplit("/", 1)[-1] if "/" in arn else arn


def _summary(report: dict[str, Any]) -> list[str]:
    """The lines under the tables; the renderer escapes each (an error can quote another account's text)."""
    probe = report.get("probe_targets", {})
    errors = report.get("errors", [])
    mode = "dry run" if report.get("dry_run") else "run"
    verdict = "ok" if report.get("ok") else f"{len(errors)} error(s)"
    lines = [
        f"Reconcile {mode} {report.get('run_id', '')}: {verdict}; probe targets: {probe.get('status', '-')} "
        f"({probe.get('targets', 0)} target(s), {probe.get('shards', 0)} shard(s))"
    ]
    lines.extend(f"  error: {e}" for e in errors)
    return lines


def run(args: argparse.Namespace) -> int:
    from linkpilot.consumer.policy import PolicyError, load_policy_file, policy_json_schema

    out: Output = args.out
    if args.print_schema:
        out.json(policy_json_schema())  # a schema has no table form
        return EXIT_OK
    if not args.policy:
        raise InvalidInput("--policy FILE is required")
    try:
        policy = load_policy_file(args.policy)
    except PolicyError as exc:
        if out.format == "json":
            out.document({"ok": False, "error": "policy", "problems": list(exc.problems)}, [])
        raise InvalidInput(str(exc)) from None

    from dataclasses import replace

    from linkpilot.consumer.reconcile import reconcile
    from linkpilot.runtime.controller import ControllerSettings, SettingsError, build_controller
    from linkpilot_cli.aws import session_from
    from linkpilot_cli.outcome import Retry, attempt, exit_code, stopped

    try:
        settings = ControllerSettings.from_env()
    except SettingsError as exc:
        if out.format == "json":
            out.document({"ok": False, "error": "settings", "problems": [str(exc)]}, [])
        raise InvalidInput(f"settings: {exc}") from None
    if policy.service_networks is not None:
        # the policy takes service networks: read (and in association mode make) the VPC associations
        settings = replace(settings, service_network_associations="true")
    session = session_from(args)
    controller = build_controller(settings, session)
    out.progress(("planning" if args.dry_run else "reconciling") + f" with {args.policy}")
    report = attempt(lambda: reconcile(policy, controller, dry_run=args.dry_run, trigger="cli"))
    if isinstance(report, Retry):
        return stopped(out, report, failure="reading AWS failed, nothing changed", document=True)
    document = report.to_json()
    out.document(document, report_tables(document), summary=_summary(document))
    return exit_code(report.outcome)


__all__ = [
    "EXIT_ACTION_FAILED",
    "EXIT_BUSY",
    "EXIT_FAILED",
    "EXIT_INVALID",
    "EXIT_OK",
    "EXIT_READ_FAILED",
    "register",
    "run",
]
