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
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkpilot.provider.connections import ProviderView

EXIT_OK, EXIT_INVALID, EXIT_READ_FAILED = 0, 2, 3
SHARE_TAG = ("linkpilot:role", "provider-share")
CONFIGURATION_TYPE = "vpc-lattice:ResourceConfiguration"


class NoShare(LookupError):
    """No share was named and none carries the provider stack's tag (or several do)."""


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    status = sub.add_parser("status", help="consumer endpoints on the provider's configurations")
    status.add_argument("--share-arn", help="the provider's resource share (default: found by its tag)")
    status.add_argument(
        "--consumer-list-parameter",
        default="/linkpilot/provider/consumers",
        help="SSM parameter with the declared consumers",
    )
    status.add_argument("--sharing-mode", choices=["accounts", "organization"], default="accounts")
    status.add_argument(
        "--overdue-hours",
        type=int,
        default=0,
        metavar="H",
        help="mark declared consumers on the share for more than H hours without an endpoint",
    )
    status.add_argument("--output", choices=["table", "json"], default="table")
    status.add_argument("--json", action="store_const", const="json", dest="output", help="= --output json")
    status.add_argument("--region", help="AWS region (default: the standard AWS configuration)")


def run(args: argparse.Namespace) -> int:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from linkpilot.errors import AwsError

    if args.overdue_hours < 0:
        print("linkpilot provider status: --overdue-hours must be 0 or more", file=sys.stderr)
        return EXIT_INVALID
    session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
    try:
        view = collect_view(
            session,
            share_arn=args.share_arn,
            consumer_list_parameter=args.consumer_list_parameter,
            sharing_mode=args.sharing_mode,
            overdue_hours=args.overdue_hours,
        )
    except NoShare as exc:
        print(f"linkpilot provider status: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except (AwsError, ClientError, BotoCoreError) as exc:
        print(f"linkpilot provider status: reading AWS failed: {exc}", file=sys.stderr)
        return EXIT_READ_FAILED
    if args.output == "json":
        print(json.dumps(view.to_json(), indent=2))
    else:
        print(render_table(view))
    return EXIT_OK


def _find_share(ram: Any) -> str:
    key, value = SHARE_TAG
    found: list[str] = []
    for page in ram.get_paginator("get_resource_shares").paginate(
        resourceOwner="SELF",
        resourceShareStatus="ACTIVE",
        tagFilters=[{"tagKey": key, "tagValues": [value]}],
    ):
        found.extend(s["resourceShareArn"] for s in page.get("resourceShares", []))
    if len(found) != 1:
        raise NoShare(
            f"{len(found)} active shares carry the tag {key}={value}: name one with --share-arn"
            + (f" ({', '.join(sorted(found))})" if found else "")
        )
    return found[0]


def _configurations(ram: Any, share_arn: str) -> list[str]:
    arns: list[str] = []
    for page in ram.get_paginator("list_resources").paginate(
        resourceOwner="SELF", resourceShareArns=[share_arn], resourceType=CONFIGURATION_TYPE
    ):
        arns.extend(r["arn"] for r in page.get("resources", []))
    return sorted(set(arns))


def collect_view(
    session: Any,
    *,
    share_arn: str | None = None,
    consumer_list_parameter: str = "/linkpilot/provider/consumers",
    sharing_mode: str = "accounts",
    overdue_hours: int = 0,
    now: datetime | None = None,
) -> ProviderView:
    """Reads the share, its configurations, the declared list and the consumer endpoints; builds the view.

    A consumer list that is missing or malformed does not stop the view: every account is then shown as
    not declared (``linkpilot provider status`` is how an operator finds out what is connected anyway)."""
    from linkpilot.aws.lattice_provider import LatticeConsumerEndpoints
    from linkpilot.aws.ram_provider import RamShareAdmin
    from linkpilot.aws.ssm_parameters import SsmParameter
    from linkpilot.provider.connections import build_view
    from linkpilot.provider.plan import ConsumerListError, SharingMode, account_of_arn, parse_consumer_list
    from linkpilot.provider.ports import ConsumerListUnavailable

    ram = session.client("ram")
    share = share_arn or _find_share(ram)
    configurations = _configurations(ram, share)
    declared = None
    try:
        raw = SsmParameter(session.client("ssm"), consumer_list_parameter).read()
        declared = parse_consumer_list(
            raw, mode=SharingMode(sharing_mode), provider_account_id=account_of_arn(share)
        )
    except (ConsumerListUnavailable, ConsumerListError) as exc:
        print(f"linkpilot provider status: consumer list ignored: {exc}", file=sys.stderr)
    lattice = LatticeConsumerEndpoints(session.client("vpc-lattice"))
    endpoints = [e for arn in configurations for e in lattice.consumer_endpoints(arn)]
    return build_view(
        share_arn=share,
        configurations=configurations,
        declared=declared,
        associations=RamShareAdmin(ram).principal_associations(share),
        endpoints=endpoints,
        now=now or datetime.now(UTC),
        overdue_hours=overdue_hours,
    )


def render_table(view: ProviderView) -> str:
    lines = [f"Share {view.share_arn} ({view.mode} mode)"]
    if view.declared_principals:
        lines.append("Declared organization / OU principals: " + ", ".join(view.declared_principals))
    for arn in view.configurations:
        lines.append("")
        lines.append(f"Configuration {arn}")
        rows = [(r, e) for r in view.rows for e in r.endpoints if e.configuration_arn == arn]
        if not rows:
            lines.append("  no consumer endpoints")
        for row, endpoint in rows:
            created = endpoint.created_at.isoformat(timespec="seconds") if endpoint.created_at else "-"
            flag = "" if row.declared else "  (not declared)"
            lines.append(f"  {row.account}  {endpoint.endpoint_id}  since {created}{flag}")
    lines.append("")
    header = ("ACCOUNT", "STATE", "ON SHARE", "SINCE", "EXTERNAL", "ENDPOINTS")
    table = [header]
    for r in view.rows:
        since = r.associated_since.isoformat(timespec="seconds") if r.associated_since else "-"
        external = "-" if r.external is None else ("yes" if r.external else "no")
        table.append(
            (r.account, r.state, r.association_status or "-", since, external, str(len(r.endpoints)))
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines.extend(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in table
    )
    waiting = [r.account for r in view.without_endpoint]
    lines.append("")
    lines.append("Declared without an endpoint: " + (", ".join(waiting) if waiting else "none"))
    lines.append("Invitation state: not visible to the provider (the consumer's GetResourceShareInvitations)")
    return "\n".join(lines)
