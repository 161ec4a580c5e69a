"""``linkpilot cleanup [--dry-run] [--yes]``: list, then delete, the resource endpoints Linkpilot manages
(uninstall).

Only endpoints carrying the ``linkpilot:managed`` tag are listed or deleted. Deleting asks first, as ``sam
delete`` and ``terraform destroy`` do: the list of what will be deleted goes to stderr, then the question;
only the endpoints listed and confirmed are deleted (one created since the listing is left alone).
``--yes`` skips the question; without a terminal and without ``--yes`` the command stops (exit 2) before any
AWS call. With ``LINKPILOT_STATE_TABLE`` set, the deletion holds the stack's lease (no reconcile acts at the
same time). A controller still deployed creates the endpoints again on its next run while the policy allows
them: delete the stack first (or deploy it with ``DeleteEndpointsOnStackDelete=true`` and delete it, which
does this for you).
"""

from __future__ import annotations

from typing import Any

import click

from linkpilot_cli.confirm import can_ask, confirmed, must_ask, yes_option
from linkpilot_cli.framework import Invocation, command
from linkpilot_cli.output import EXIT_FAILED, InvalidInput, Output, Table, short_id
from linkpilot_cli.registry import exit_codes

DESCRIPTION = """\
List, then delete, the resource endpoints Linkpilot manages in this account and Region (those carrying the
linkpilot:managed tag; nothing else is touched). It lists what it will delete and asks first; --yes skips
the question (needed without a terminal), --dry-run only lists. Delete the consumer stack first: a
controller still deployed creates the endpoints again while its policy allows them."""

NEEDS_CONFIRMATION = (
    "deleting asks for confirmation and there is no terminal to ask on: pass --yes to delete without asking "
    "(--dry-run lists what would be deleted); nothing was read or deleted"
)


@command(
    "cleanup",
    summary="list and delete the managed endpoints (uninstall)",
    description=DESCRIPTION,
    examples=(
        "linkpilot cleanup --dry-run",
        "linkpilot cleanup",
        "linkpilot cleanup --yes --output json",
    ),
    exit_codes=exit_codes(
        "every managed endpoint deleted (or, with --dry-run, listed)",
        "the settings or an option is invalid, or no terminal to confirm on and no --yes; nothing changed",
        failed="EC2 refused to delete some (the report names them), or the deletion was declined",
        read="AWS failed; nothing changed",
        busy=True,
    ),
    aws=True,
    output=True,
)
@click.option("--dry-run", is_flag=True, help="list the managed endpoints; delete nothing")
@yes_option("delete without asking (what scripts and CI pass)")
@click.option(
    "--associations",
    is_flag=True,
    help=(
        "also the managed service-network VPC associations (a service network in association mode); "
        "on by itself when LINKPILOT_SERVICE_NETWORK_ASSOCIATIONS is true"
    ),
)
def COMMAND(call: Invocation, *, dry_run: bool, yes: bool, associations: bool) -> int:
    import time
    from dataclasses import replace

    from linkpilot.consumer.uninstall import cleanup_under_lease
    from linkpilot.runtime.controller import ControllerSettings, SettingsError, build_controller
    from linkpilot_cli.outcome import Retry, attempt, stopped

    out = call.out
    ask = must_ask(dry_run=dry_run, yes=yes)
    if ask and not can_ask():
        raise InvalidInput(NEEDS_CONFIRMATION)
    try:
        settings = ControllerSettings.from_env()
    except SettingsError as exc:
        raise InvalidInput(f"settings: {exc}") from None
    if associations:
        settings = replace(settings, service_network_associations="true")
    controller = build_controller(settings, call.session())

    def run(*, listing: bool, only: frozenset[str] | None = None) -> Any:
        return attempt(
            lambda: cleanup_under_lease(
                controller.ports.ec2,
                controller.ports.lease,
                dry_run=listing,
                hold=False,
                shared=controller.clock.shared_time,
                sleep=time.sleep,
                associations=controller.ports.associations,
                only=only,
            )
        )

    only = None
    if ask:
        out.progress("listing managed endpoints")
        listed = run(listing=True)
        if isinstance(listed, Retry):
            return stopped(out, listed, failure="AWS failed, nothing deleted")
        if not listed.endpoints:
            return _render(out, listed)
        question = f"Delete these {len(listed.endpoints)} managed endpoint(s)?"
        if not confirmed(out, cleanup_table(listed.to_json()), question, declined="nothing deleted"):
            return EXIT_FAILED
        only = frozenset(e.endpoint_id for e in listed.endpoints)
    out.progress("listing managed endpoints" if dry_run else "deleting managed endpoints")
    report = run(listing=dry_run, only=only)
    if isinstance(report, Retry):
        return stopped(out, report, failure="AWS failed")
    return _render(out, report)


def cleanup_table(document: dict[str, Any]) -> Table:
    deleted, refused = set(document["deleted"]), document["refused"]
    rows = tuple(
        (
            e["endpoint_id"],
            e["vpc_id"],
            e["state"],
            short_id(e["resource_configuration_arn"]),
            "refused: " + refused[e["endpoint_id"]]
            if e["endpoint_id"] in refused
            else ("deleted" if e["endpoint_id"] in deleted else "listed"),
        )
        for e in document["managed_endpoints"]
    )
    return Table(
        "endpoint", "Managed endpoints", ("ENDPOINT", "VPC", "STATE", "CONFIGURATION", "OUTCOME"), rows
    )


def _render(out: Output, report: Any) -> int:
    from linkpilot_cli.outcome import exit_code

    document = report.to_json()
    table = cleanup_table(document)
    out.document(document, [table], summary=f"{len(table.rows)} managed endpoint(s)")
    return exit_code(report.outcome)
