"""``linkpilot provider status``: the provider's view of its consumers, run with the provider account's
credentials.

Per resource configuration on the provider's share: the consumer accounts with an endpoint on it (VPC Lattice
``ListResourceEndpointAssociations``: endpoint id, owner, creation time), each declared consumer's principal
association on the share (RAM ``GetResourceShareAssociations``: status, since when, whether it is outside the
organization), and the declared consumers with no endpoint yet. The consumer's invitation itself is not
visible to the provider (``GetResourceShareInvitations`` lists invitations the caller received): the view
says so instead of guessing it from the association status.

The share is ``--share-arn``, or the provider stack's share found by its tag (``linkpilot:role =
provider-share``); the configurations are the share's resources (RAM ``ListResources``, resourceOwner SELF).
Read-only. Exit status: 0; 2 bad arguments or no share found; 3 reading AWS failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from linkpilot_cli.output import EXIT_OK, Table
from linkpilot_cli.output import render_table as render_rows

if TYPE_CHECKING:
    from linkpilot.aws.ram_provider import RamShareAdmin
    from linkpilot.provider.connections import ProviderView

SHARE_TAG = ("linkpilot:role", "provider-share")
CONFIGURATION_TYPE = "vpc-lattice:ResourceConfiguration"


class NoShare(LookupError):
    """No share was named and none carries the provider stack's tag (or several do)."""


DESCRIPTION = """\
The provider's view of its consumers (provider credentials): per resource configuration on the provider's
share, the consumer accounts with an endpoint on it, each account's share association, and the declared
consumers with no endpoint yet. Read-only: changes nothing."""


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="consumer endpoints on the provider's configurations")
    status.add_argument("--share-arn", help="the provider's resource share (default: found by its tag)")
    status.add_argument(
        "--consumer-list-parameter",
        default="/linkpilot/provider/consumers",
        help="SSM parameter with the declared consumers",
    )
    status.add_argument(
        "--sharing-mode",
        choices=["accounts", "organization"],
        default="accounts",
        help="what the consumer list names: account ids (default) or organization / OU ARNs",
    )
    status.add_argument(
        "--overdue-hours",
        type=int,
        default=0,
        metavar="H",
        help="mark declared consumers on the share for more than H hours without an endpoint",
    )
    status.add_argument(
        "--json", dest="output", action="store_const", const="json", help="same as --output json"
    )


def run(args: argparse.Namespace) -> int:
    from linkpilot_cli.aws import session_from
    from linkpilot_cli.outcome import Retry, attempt, stopped
    from linkpilot_cli.output import InvalidInput, Output

    out: Output = args.out
    if args.overdue_hours < 0:
        raise InvalidInput("--overdue-hours must be 0 or more")
    session = session_from(args)
    try:
        view = attempt(
            lambda: collect_view(
                session,
                share_arn=args.share_arn,
                consumer_list_parameter=args.consumer_list_parameter,
                sharing_mode=args.sharing_mode,
                overdue_hours=args.overdue_hours,
                warn=out.progress,
            )
        )
    except NoShare as exc:
        raise InvalidInput(str(exc)) from None
    if isinstance(view, Retry):
        return stopped(out, view, failure="reading AWS failed")
    out.document(view.to_json(), provider_tables(view))
    return EXIT_OK


def _find_share(ram: RamShareAdmin) -> str:
    key, value = SHARE_TAG
    found = ram.tagged_shares(key, value)
    if len(found) != 1:
        raise NoShare(
            f"{len(found)} active shares carry the tag {key}={value}: name one with --share-arn"
            + (f" ({', '.join(sorted(found))})" if found else "")
        )
    return found[0]


def collect_view(
    session: Any,
    *,
    share_arn: str | None = None,
    consumer_list_parameter: str = "/linkpilot/provider/consumers",
    sharing_mode: str = "accounts",
    overdue_hours: int = 0,
    now: datetime | None = None,
    warn: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> ProviderView:
    """Reads the share, its configurations, the declared list and the consumer endpoints through the adapters
    (RAM, SSM, VPC Lattice); builds the view.

    A consumer list that is missing or malformed does not stop the view: every account is then shown as
    not declared (``linkpilot provider status`` is how an operator finds out what is connected anyway)."""
    from linkpilot.aws.lattice_provider import LatticeConsumerEndpoints
    from linkpilot.aws.ram_provider import RamShareAdmin
    from linkpilot.aws.ssm_parameters import SsmParameter
    from linkpilot.provider.connections import build_view
    from linkpilot.provider.plan import ConsumerListError, SharingMode, account_of_arn, parse_consumer_list
    from linkpilot.provider.ports import ConsumerListUnavailable
    from linkpilot_cli.aws import client

    ram = RamShareAdmin(client(session, "ram"))
    share = share_arn or _find_share(ram)
    configurations = ram.shared_resources(share, CONFIGURATION_TYPE)
    declared = None
    try:
        raw = SsmParameter(client(session, "ssm"), consumer_list_parameter).read()
        declared = parse_consumer_list(
            raw, mode=SharingMode(sharing_mode), provider_account_id=account_of_arn(share)
        )
    except (ConsumerListUnavailable, ConsumerListError) as exc:
        warn(f"consumer list ignored: {exc}")
    lattice = LatticeConsumerEndpoints(client(session, "vpc-lattice"))
    endpoints = [e for arn in configurations for e in lattice.consumer_endpoints(arn)]
    return build_view(
        share_arn=share,
        configurations=configurations,
        declared=declared,
        associations=ram.principal_associations(share),
        endpoints=endpoints,
        now=now or datetime.now(UTC),
        overdue_hours=overdue_hours,
    )


def provider_tables(view: ProviderView) -> list[Table]:
    """The view as rows: consumer endpoints per configuration, then one row per account."""
    endpoints = Table(
        "endpoint",
        f"Consumer endpoints on the share's configurations ({view.share_arn})",
        ("CONFIGURATION", "ACCOUNT", "ENDPOINT", "SINCE", "DECLARED"),
        tuple(
            (
                arn.rsplit("/", 1)[-1],
                row.account,
                e.endpoint_id,
                e.created_at.isoformat(timespec="seconds") if e.created_at else "-",
                "yes" if row.declared else "no",
            )
            for arn in view.configurations
            for row in view.rows
            for e in row.endpoints
            if e.configuration_arn == arn
        ),
    )
    accounts = Table(
        "consumer",
        "Consumers (invitation state: not visible to the provider)",
        ("ACCOUNT", "STATE", "ON SHARE", "SINCE", "EXTERNAL", "ENDPOINTS"),
        tuple(
            (
                r.account,
                r.state,
                r.association_status or "-",
                r.associated_since.isoformat(timespec="seconds") if r.associated_since else "-",
                "-" if r.external is None else ("yes" if r.external else "no"),
                str(len(r.endpoints)),
            )
            for r in view.rows
        ),
    )
    return [endpoints, accounts]


def render_table(view: ProviderView) -> str:
    """The view for people (the demo prints it)."""
    lines: list[str] = []
    for table in provider_tables(view):
        if lines:
            lines.append("")
        lines.extend(render_rows(table))
    waiting = [r.account for r in view.without_endpoint]
    lines.append("")
    lines.append("Declared without an endpoint: " + (", ".join(waiting) if waiting else "none"))
    return "\n".join(lines)
