"""``linkpilot reconcile --policy FILE [--dry-run] [--yes]``: one reconcile from an operator's shell.

Same reconcile as the Lambda function, with standard AWS credentials and environment. A run that would
delete asks first (``linkpilot_cli.confirm``, as ``cleanup`` does): it plans (reads only), lists the deletes
and asks; the run then deletes only what was confirmed (the layer's ``confirmed_deletes``: a delete planned
after the question is skipped, never done). ``--yes`` runs as the function does, without a limit.

Exit status: 0 all done; 1 an action failed, or the deletes were declined (nothing changed); 2 the policy,
settings or an option is invalid, or deletes need a yes and there is no terminal (nothing changed); 3
reading AWS failed (nothing changed); 4 another run held the account's lease (nothing read or changed).
"""

from __future__ import annotations

from typing import Any

import click

from linkpilot_cli.confirm import can_ask, confirmed, must_ask, yes_option
from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import EXIT_FAILED, InvalidInput, Output, Table, short_id
from linkpilot_cli.registry import READ_FAILED, exit_codes

DESCRIPTION = """\
Run one reconcile, as the controller function does: read pending RAM invitations, the resource
configurations shared with this account and the endpoints Linkpilot manages; decide by the trust policy;
accept or reject invitations and create or delete resource endpoints. --dry-run only reads and prints the
plan. The report lists each decision and action, and every item it did not act on with the reason
(waiting, refused, awaiting grace, unmanaged, orphaned); json: the full report, as the function logs it.
The policy is YAML or JSON (linkpilot policy validate checks it). The controller's settings come from
LINKPILOT_* environment variables, as in the function.

A run that would delete endpoints (a share gone after its grace, a failed endpoint, a duplicate) asks first,
as sam delete and terraform apply do: it plans (AWS is read, nothing written), lists what it would delete and
asks; only what was confirmed is deleted (a delete planned after the question is skipped and reported). A plan
that deletes nothing runs without a question. --yes (-y) skips the question. Without a terminal and without
--yes, a plan that deletes stops the command (exit 2) after those reads, before any write."""

NO_TERMINAL = (
    "would delete {count} endpoint(s) ({ids}) and there is no terminal to ask on; AWS was read, nothing "
    "was changed; pass --yes to allow it, or --dry-run to see the plan"
)


def deletes_table(deletes: list[Any]) -> Table:
    """What the run would delete (the plan's delete actions), for the question."""
    return Table(
        "delete",
        "Would delete",
        ("ENDPOINT", "ACTION", "CONFIGURATION", "REASON"),
        tuple(
            (a.endpoint_id, a.kind.value, short_id(a.resource_configuration_arn), a.reason) for a in deletes
        ),
    )


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
        "linkpilot reconcile --policy policy.yaml",
        "linkpilot reconcile --policy policy.yaml --yes    # no question: its deletes allowed (scripts, CI)",
        "linkpilot reconcile --policy policy.json --output json | jq .actions",
        "LINKPILOT_STATE_TABLE=linkpilot-state linkpilot reconcile --policy policy.yaml",
    ),
    exit_codes=exit_codes(
        "every action done (or, with --dry-run, planned)",
        "the policy, the settings or an option is invalid, or the plan deletes and there is no terminal to "
        "ask on and no --yes (AWS read, nothing changed)",
        failed="an action failed (the report names it), or the deletes were declined (nothing changed)",
        read=READ_FAILED,
        busy=True,
    ),
    aws=True,
    output=True,
)
@click.option("--policy", metavar="FILE", help="trust policy, YAML or JSON (see linkpilot policy validate)")
@click.option("--dry-run", is_flag=True, help="print the plan; change nothing")
@yes_option("allow the run's deletes without asking (what scripts and CI pass)")
@click.option("--print-schema", is_flag=True, help="print the policy's JSON schema and exit")
def COMMAND(call: Invocation, *, policy: str | None, dry_run: bool, yes: bool, print_schema: bool) -> int:
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

    from linkpilot.consumer.models import DELETE_KINDS
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
    allowed: frozenset[str] | None = None  # the deletes the run may do (None: no limit)
    if must_ask(dry_run=dry_run, yes=yes):
        out.progress(f"planning with {policy}")
        plan = attempt(lambda: reconcile(trust, controller, dry_run=True, trigger="cli"))
        if isinstance(plan, Retry):
            return stopped(out, plan, failure="reading AWS failed, nothing changed", document=True)
        deletes = [r.action for r in plan.results if r.action.kind in DELETE_KINDS]
        if deletes and not _confirmed(out, deletes):
            return EXIT_FAILED
        allowed = frozenset(a.endpoint_id for a in deletes)
    out.progress(("planning" if dry_run else "reconciling") + f" with {policy}")
    report = attempt(
        lambda: reconcile(trust, controller, dry_run=dry_run, trigger="cli", confirmed_deletes=allowed)
    )
    if isinstance(report, Retry):
        return stopped(out, report, failure="reading AWS failed, nothing changed", document=True)
    document = report.to_json()
    out.document(document, report_tables(document), summary=_summary(document))
    return exit_code(report.outcome)


def _confirmed(out: Output, deletes: list[Any]) -> bool:
    """A person's yes to the plan's deletes (``linkpilot_cli.confirm``); without a terminal, exit 2."""
    if not can_ask():
        ids = ", ".join(a.endpoint_id for a in deletes)
        if out.format == "json":
            out.document(
                {"ok": False, "error": "confirmation", "would_delete": [a.endpoint_id for a in deletes]}, []
            )
        raise InvalidInput(NO_TERMINAL.format(count=len(deletes), ids=ids))
    question = f"Delete these {len(deletes)} endpoint(s) and run the reconcile?"
    return confirmed(out, deletes_table(deletes), question, declined="nothing changed")
