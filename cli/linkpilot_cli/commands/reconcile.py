"""``linkpilot reconcile --policy FILE [--dry-run]``: one reconcile from an operator's shell.

Same reconcile as the Lambda function, with standard AWS credentials and environment. Exit status: 0 all
done; 1 an action failed; 2 the policy, settings or an option is invalid (nothing changed); 3 reading AWS
failed (nothing changed); 4 another run held the account's lease (nothing read or changed).
"""

from __future__ import annotations

from typing import Any

import click

from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import InvalidInput, Table, short_id
from linkpilot_cli.registry import READ_FAILED, exit_codes

DESCRIPTION = """\
Run one reconcile, as the controller function does: read pending RAM invitations, the resource
configurations shared with this account and the endpoints Linkpilot manages; decide by the trust policy;
accept or reject invitations and create or delete resource endpoints. --dry-run only reads and prints the
plan. The report lists each decision and action, and every item it did not act on with the reason
(waiting, refused, awaiting grace, unmanaged, orphaned); json: the full report, as the function logs it.
The policy is YAML or JSON (linkpilot policy validate checks it). The controller's settings come from
LINKPILOT_* environment variables, as in the function."""


def report_tables(report: dict[str, Any]) -> list[Table]:
    decisions = Table(
        "decision",
        "Invitation decisions",
        ("INVITATION", "SHARE", "SENDER", "DECISION", "REASON"),
        tuple(
            (
                short_id(d["invitation_arn"]),
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
                short_id(
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
    return [decisions, actions, not_acted_on(report)]


def not_acted_on(report: dict[str, Any]) -> Table:
    """Every item the run left alone, and why: nothing here is hidden behind "Actions: 0"."""
    rows = [
        *(
            ("waiting", short_id(w.get("resource_configuration_arn") or w["share_arn"]), w["reason"])
            for w in report.get("waiting", [])
        ),
        *(
            ("refused", short_id(r["resource_configuration_arn"]), r["reason"])
            for r in report.get("refused_resources", [])
        ),
        *(
            (
                "awaiting-grace",
                g["endpoint_id"],
                f"configuration {short_id(g['resource_configuration_arn'])} missing since "
                f"{g['missing_since']}; deleted after {g['delete_after']}",
            )
            for g in report.get("awaiting_grace", [])
        ),
        *(("unmanaged", u["endpoint_id"], u["reason"]) for u in report.get("unmanaged_endpoints", [])),
        *(("orphaned", o["endpoint_id"], o["reason"]) for o in report.get("orphaned_endpoints", [])),
        *(
            ("unprobed", u["endpoint_id"], u["reason"])
            for u in report.get("probe_targets", {}).get("unprobed", [])
        ),
    ]
    return Table("not-acted-on", "Not acted on", ("STATE", "SUBJECT", "REASON"), tuple(rows))


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


@command(
    "reconcile",
    summary="reconcile shares, invitations and endpoints with the policy",
    description=DESCRIPTION,
    examples=(
        "linkpilot reconcile --policy policy.yaml --dry-run",
        "linkpilot reconcile --policy policy.json --output json | jq .actions",
        "LINKPILOT_STATE_TABLE=linkpilot-state linkpilot reconcile --policy policy.yaml",
    ),
    exit_codes=exit_codes(
        "every action done (or, with --dry-run, planned)",
        "the policy, the settings or an option is invalid; nothing changed",
        failed="an action failed (the report names it)",
        read=READ_FAILED,
        busy=True,
    ),
    aws=True,
    output=True,
)
@click.option("--policy", metavar="FILE", help="trust policy, YAML or JSON (see linkpilot policy validate)")
@click.option("--dry-run", is_flag=True, help="print the plan; change nothing")
@click.option("--print-schema", is_flag=True, help="print the policy's JSON schema and exit")
def COMMAND(call: Invocation, *, policy: str | None, dry_run: bool, print_schema: bool) -> int:
    from linkpilot.consumer.policy import PolicyError, policy_json_schema
    from linkpilot_cli.policy_files import load_policy

    out = call.out
    if print_schema:
        out.json(policy_json_schema())  # a schema has no table form
        return 0
    if not policy:
        raise InvalidInput("--policy FILE is required")
    try:
        trust = load_policy(policy)
    except PolicyError as exc:
        if out.format == "json":
            out.document({"ok": False, "error": "policy", "problems": list(exc.problems)}, [])
        raise InvalidInput(str(exc)) from None

    from dataclasses import replace

    from linkpilot.consumer.reconcile import reconcile
    from linkpilot.runtime.controller import ControllerSettings, SettingsError, build_controller
    from linkpilot_cli.outcome import Retry, attempt, exit_code, stopped

    try:
        settings = ControllerSettings.from_env()
    except SettingsError as exc:
        if out.format == "json":
            out.document({"ok": False, "error": "settings", "problems": [str(exc)]}, [])
        raise InvalidInput(f"settings: {exc}") from None
    if trust.service_networks is not None:
        # the policy takes service networks: read (and in association mode make) the VPC associations
        settings = replace(settings, service_network_associations="true")
    controller = build_controller(settings, call.session())
    out.progress(("planning" if dry_run else "reconciling") + f" with {policy}")
    report = attempt(lambda: reconcile(trust, controller, dry_run=dry_run, trigger="cli"))
    if isinstance(report, Retry):
        return stopped(out, report, failure="reading AWS failed, nothing changed", document=True)
    document = report.to_json()
    out.document(document, report_tables(document), summary=_summary(document))
    return exit_code(report.outcome)
