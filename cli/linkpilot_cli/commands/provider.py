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
Read-only; each read is announced on stderr as it starts (progress, like the other commands; --quiet
silences it). Exit status: 0; 2 bad arguments (a --share-arn that is not a RAM share ARN: before any call)
or no share found; 3 reading AWS failed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from linkpilot_cli import validate
from linkpilot_cli.framework import Invocation, command, group
from linkpilot_cli.output import EXIT_OK, InvalidInput, Table, short_id
from linkpilot_cli.output import render_table as render_rows
from linkpilot_cli.registry import READ_FAILED, exit_codes

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


CODES = exit_codes(
    "the view was read (whatever it says)",
    "an option is invalid, or no single share was found (name one with --share-arn)",
    read=READ_FAILED,
)
COMMAND = group(
    "provider",
    summary="the provider's view: consumer endpoints on its shared configurations",
    description=DESCRIPTION,
    examples=(
        "linkpilot provider status",
        "linkpilot provider status --share-arn \\\n"
        "      arn:aws:ram:us-east-1:111111111111:resource-share/7ab63972-b505-7e2a-420d-6f5d3EXAMPLE",
    ),
    exit_codes=CODES,
)


@command(
    "status",
    summary="consumer endpoints on the provider's configurations",
    description=DESCRIPTION,
    examples=(
        "linkpilot provider status",
        "linkpilot provider status --overdue-hours 24",
        "linkpilot provider status --output json \\\n"
        "      --share-arn arn:aws:ram:us-east-1:111111111111:resource-share/EXAMPLE",
    ),
    exit_codes=CODES,
    aws=True,
    output=True,
)
@click.option(
    "--share-arn",
    metavar="ARN",
    callback=validate.arn_of("ram", "resource-share"),
    help="the provider's resource share (default: found by its tag)",
)
@click.option(
    "--consumer-list-parameter",
    default="/linkpilot/provider/consumers",
    help="SSM parameter with the declared consumers",
)
@click.option(
    "--sharing-mode",
    type=click.Choice(["accounts", "organization"]),
    default="accounts",
    help="what the consumer list names: account ids (default) or organization / OU ARNs",
)
@click.option(
    "--overdue-hours",
    type=click.IntRange(0),
    default=0,
    metavar="H",
    help="mark declared consumers on the share for more than H hours without an endpoint",
)
@click.option("--json", "as_json", is_flag=True, help="same as --output json")
def status(
    call: Invocation,
    *,
    share_arn: str | None,
    consumer_list_parameter: str,
    sharing_mode: str,
    overdue_hours: int,
    as_json: bool,
) -> int:
    from linkpilot_cli.outcome import Retry, attempt, stopped

    out = call.out
    if as_json:
        out.format = "json"
    session = call.session()
    try:
        view = attempt(
            lambda: collect_view(
                session,
                share_arn=share_arn,
                consumer_list_parameter=consumer_list_parameter,
                sharing_mode=sharing_mode,
                overdue_hours=overdue_hours,
                warn=out.warning,
                progress=out.progress,
            )
        )
    except NoShare as exc:
        raise InvalidInput(str(exc)) from None
    if isinstance(view, Retry):
        return stopped(out, view, failure="reading AWS failed")
    out.document(view.to_json(), provider_tables(view))
    return EXIT_OK


COMMAND.add_command(status)


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
    progress: Callable[[str], None] = lambda _: None,
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
    if not share_arn:
        progress(f"finding the provider's share (tag {SHARE_TAG[0]}={SHARE_TAG[1]})")
    share = share_arn or _find_share(ram)
    progress(f"reading the configurations on {short_id(share)}")
    configurations = ram.shared_resources(share, CONFIGURATION_TYPE)
    declared = None
    progress(f"reading the declared consumers ({consumer_list_parameter})")
    try:
        raw = SsmParameter(client(session, "ssm"), consumer_list_parameter).read()
        declared = parse_consumer_list(
            raw, mode=SharingMode(sharing_mode), provider_account_id=account_of_arn(share)
        )
    except (ConsumerListUnavailable, ConsumerListError) as exc:
        warn(f"consumer list ignored: {exc}")
    lattice = LatticeConsumerEndpoints(client(session, "vpc-lattice"))
    progress(f"reading the consumer endpoints of {len(configurations)} configuration(s)")
    endpoints = [e for arn in configurations for e in lattice.consumer_endpoints(arn)]
    progress("reading the share's principal associations")
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
        f"Consumer endpoints on the share's configurations ({short_id(view.share_arn)})",
        ("CONFIGURATION", "ACCOUNT", "ENDPOINT", "SINCE", "DECLARED"),
        tuple(
            (
                short_id(arn),
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
