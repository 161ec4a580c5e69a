"""The provider's view (pure), its Lattice adapter (Stubber contract) and ``linkpilot provider status``'s
table."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from linkpilot.aws.lattice_provider import LatticeConsumerEndpoints
from linkpilot.errors import Transient
from linkpilot.provider.connections import ConsumerEndpoint, build_view
from linkpilot.provider.plan import PrincipalAssociation, SharingMode, parse_consumer_list
from linkpilot.provider.ports import ConfigurationNotFound
from linkpilot_cli.commands.provider import render_table

SHARE = "arn:aws:ram:us-east-1:111111111111:resource-share/0c5f4a9e-1111-2222-3333-444455556666"
CFG = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-07129f3acded87625"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
V1, V2 = "vpce-019b90d6f16d4f951", "vpce-019b90d6f16d4f952"
A, B, C, D = "222222222222", "333333333333", "444444444444", "555555555555"


def assoc(account: str, status: str, hours_ago: float) -> PrincipalAssociation:
    return PrincipalAssociation(
        account, status, (NOW - timedelta(hours=hours_ago)).isoformat(), external=True
    )


def endpoint(owner: str, vpce: str = "vpce-0a") -> ConsumerEndpoint:
    return ConsumerEndpoint(CFG, vpce, owner, NOW - timedelta(hours=1), "rea-1")


def view(
    declared: str, associations: list[PrincipalAssociation], endpoints: list[ConsumerEndpoint], hours: int = 0
):  # type: ignore[no-untyped-def]
    return build_view(
        share_arn=SHARE,
        configurations=[CFG],
        declared=parse_consumer_list(declared, mode=SharingMode.ACCOUNTS, provider_account_id="111111111111"),
        associations=associations,
        endpoints=endpoints,
        now=NOW,
        overdue_hours=hours,
    )


def test_each_account_gets_a_state() -> None:
    v = view(
        f"{A},{B},{C}",
        [
            assoc(A, "ASSOCIATED", 5),
            assoc(B, "ASSOCIATED", 5),
            assoc(C, "FAILED", 5),
            assoc(D, "ASSOCIATED", 9),
        ],
        [endpoint(A), endpoint(D, "vpce-0d")],
        hours=4,
    )
    assert {r.account: r.state for r in v.rows} == {
        A: "connected",
        B: "overdue",
        C: "not-shared",
        D: "connected-not-declared",
    }
    assert v.metrics() == {
        "ConnectedConsumers": 2,
        "ConsumersWithoutEndpoint": 2,
        "ConsumersWithoutEndpointOverdue": 1,
    }
    assert [r.account for r in v.without_endpoint] == [B, C]


def test_overdue_is_measured_from_the_association_and_only_when_asked() -> None:
    waiting = [assoc(B, "ASSOCIATED", 3)]
    assert view(B, waiting, [], hours=4).rows[0].state == "waiting-for-endpoint"
    assert view(B, waiting, [], hours=2).rows[0].state == "overdue"
    assert "ConsumersWithoutEndpointOverdue" not in view(B, waiting, [], hours=0).metrics()
    # ASSOCIATING (e.g. just added) is never overdue: the consumer may not see the share yet.
    assert view(B, [assoc(B, "ASSOCIATING", 30)], [], hours=2).rows[0].state == "waiting-for-endpoint"


def test_an_old_disassociated_row_next_to_a_new_association_uses_the_new_one() -> None:
    rows = [assoc(B, "DISASSOCIATED", 48), assoc(B, "ASSOCIATED", 1)]
    (row,) = view(B, rows, [], hours=2).rows
    assert row.association_status == "ASSOCIATED" and row.overdue is False


def test_organization_mode_counts_endpoint_owners_only() -> None:
    org = "arn:aws:organizations::999999999999:organization/o-abcdefghij"
    v = build_view(
        share_arn=SHARE,
        configurations=[CFG],
        declared=parse_consumer_list(org, mode=SharingMode.ORGANIZATION, provider_account_id="111111111111"),
        associations=[PrincipalAssociation(org, "ASSOCIATED", NOW.isoformat())],
        endpoints=[endpoint(A)],
        now=NOW,
        overdue_hours=2,
    )
    assert v.metrics() == {"ConnectedConsumers": 1}
    assert v.declared_principals == (org,)
    assert [(r.account, r.state) for r in v.rows] == [(A, "connected")]


def test_json_groups_endpoints_by_configuration_and_marks_the_invitation_unverified() -> None:
    data = view(f"{A},{B}", [assoc(A, "ASSOCIATED", 2), assoc(B, "ASSOCIATED", 2)], [endpoint(A)]).to_json()
    (cfg,) = data["configurations"]
    assert [(e["account"], e["vpc_endpoint_id"], e["declared"]) for e in cfg["consumer_endpoints"]] == [
        (A, "vpce-0a", True)
    ]
    assert data["declared_without_endpoint"] == [B]
    assert all(c["invitation_status"].startswith("UNVERIFIED") for c in data["consumers"])


def test_table_names_every_account_and_the_waiting_ones() -> None:
    text = render_table(
        view(f"{A},{B}", [assoc(A, "ASSOCIATED", 2), assoc(B, "ASSOCIATED", 2)], [endpoint(A)])
    )
    assert "vpce-0a" in text and A in text
    assert "Declared without an endpoint: " + B in text
    assert "waiting-for-endpoint" in text


# --- the Lattice adapter ---------------------------------------------------------------------------
@pytest.fixture
def stubbed() -> Iterator[tuple[LatticeConsumerEndpoints, Stubber]]:
    client = boto3.client("vpc-lattice", region_name="us-east-1")
    with Stubber(client) as stub:
        yield LatticeConsumerEndpoints(client), stub
        stub.assert_no_pending_responses()


def item(vpce: str, owner: str) -> dict[str, object]:
    return {
        "id": "rea-0956a7435baf89326",
        "resourceConfigurationArn": CFG,
        "vpcEndpointId": vpce,
        "vpcEndpointOwner": owner,
        "createdAt": NOW,
    }


def test_adapter_reads_every_page(stubbed: tuple[LatticeConsumerEndpoints, Stubber]) -> None:
    adapter, stub = stubbed
    base = {"resourceConfigurationIdentifier": CFG}
    stub.add_response(
        "list_resource_endpoint_associations", {"items": [item(V1, A)], "nextToken": "t1"}, base
    )
    stub.add_response(
        "list_resource_endpoint_associations", {"items": [], "nextToken": "t2"}, base | {"nextToken": "t1"}
    )
    stub.add_response(
        "list_resource_endpoint_associations", {"items": [item(V2, B)]}, base | {"nextToken": "t2"}
    )
    found = adapter.consumer_endpoints(CFG)
    assert [(e.endpoint_id, e.owner, e.created_at) for e in found] == [(V1, A, NOW), (V2, B, NOW)]


@pytest.mark.parametrize("code", ["AccessDeniedException", "ValidationException"])
def test_adapter_refuses_a_configuration_it_cannot_read(
    stubbed: tuple[LatticeConsumerEndpoints, Stubber], code: str
) -> None:
    adapter, stub = stubbed
    stub.add_client_error("list_resource_endpoint_associations", code, "no", 403)
    with pytest.raises(ConfigurationNotFound):
        adapter.consumer_endpoints(CFG)


def test_adapter_throttling_is_transient(stubbed: tuple[LatticeConsumerEndpoints, Stubber]) -> None:
    adapter, stub = stubbed
    stub.add_client_error("list_resource_endpoint_associations", "ThrottlingException", "slow down", 429)
    with pytest.raises(Transient):
        adapter.consumer_endpoints(CFG)
