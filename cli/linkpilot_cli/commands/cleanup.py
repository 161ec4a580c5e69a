"""``linkpilot cleanup [--dry-run]``: list, then delete, the resource endpoints Linkpilot manages (uninstall).

Only endpoints carrying the ``linkpilot:managed`` tag are listed or deleted. With ``LINKPILOT_STATE_TABLE``
set, it holds the stack's lease meanwhile (no reconcile acts at the same time). A controller still deployed
creates the endpoints again on its next run while the policy allows them: delete the stack first (or deploy
it with ``DeleteEndpointsOnStackDelete=true`` and delete it, which does this for you).
"""

from __future__ import annotations

import argparse

from linkpilot_cli.output import (
    InvalidInput,
    Output,
    Table,
)

DESCRIPTION = """\
List, then delete, the resource endpoints Linkpilot manages in this account and Region (those carrying the
linkpilot:managed tag; nothing else is touched). --dry-run only lists them. Delete the consumer stack first:
a controller still deployed creates the endpoints again while its policy allows them."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list the managed endpoints; delete nothing")
    parser.add_argument(
        "--associations",
        action="store_true",
        help=(
            "also the managed service-network VPC associations (a service network in association mode); "
            "on by itself when LINKPILOT_SERVICE_NETWORK_ASSOCIATIONS is true"
        ),
    )


def run(args: argparse.Namespace) -> int:
    import time
    from dataclasses import replace

    from linkpilot.consumer.uninstall import cleanup_under_lease
    from linkpilot.runtime.controller import ControllerSettings, SettingsError, build_controller
    from linkpilot_cli.aws import session_from
    from linkpilot_cli.outcome import Retry, attempt, exit_code, stopped

    out: Output = args.out
    try:
        settings = ControllerSettings.from_env()
    except SettingsError as exc:
        raise InvalidInput(f"settings: {exc}") from None
    if args.associations:
        settings = replace(settings, service_network_associations="true")
    controller = build_controller(settings, session_from(args))
    out.progress("listing managed endpoints" if args.dry_run else "deleting managed endpoints")
    report = attempt(
        lambda: cleanup_under_lease(
            controller.ports.ec2,
            controller.ports.lease,
            dry_run=args.dry_run,
            hold=False,
            shared=controller.clock.shared_time,
            sleep=time.sleep,
            associations=controller.ports.associations,
        )
    )
    if isinstance(report, Retry):
        return stopped(out, report, failure="AWS failed")
    document = report.to_json()
    deleted, refused = set(document["deleted"]), document["refused"]
    rows = tuple(
        (
            e["endpoint_id"],
            e["vpc_id"],
            e["state"],
            e["resource_configuration_arn"],
            "refused: " + refused[e["endpoint_id"]]
            if e["endpoint_id"] in refused
            else ("deleted" if e["endpoint_id"] in deleted else "listed"),
        )
        for e in document["managed_endpoints"]
    )
    table = Table(
        "endpoint", "Managed endpoints", ("endpoint", "vpc", "state", "configuration", "outcome"), rows
    )
    out.document(document, [table], summary=f"{len(rows)} managed endpoint(s)")
    return exit_code(report.outcome)
