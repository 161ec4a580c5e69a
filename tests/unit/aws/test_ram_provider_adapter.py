"""Contract of the provider-side RAM adapter, checked against the botocore model with Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber

from linkpilot.aws.ram_provider import RamShareAdmin
from linkpilot.errors import Transient
from linkpilot.provider.plan import PrincipalAssociation
from linkpilot.provider.ports import PrincipalChangeRefused, ShareNotFound

SHARE = "arn:aws:ram:us-east-1:111111111111:resource-share/0c5f4a9e-1111-2222-3333-444455556666"
TOKEN = "6f1c1b8e-0000-4000-8000-000000000001"


@pytest.fixture
def stubbed() -> Iterator[tuple[RamShareAdmin, Stubber]]:
    client = boto3.client("ram", region_name="us-east-1")
    with Stubber(client) as stub:
        yield RamShareAdmin(client), stub
        stub.assert_no_pending_responses()


def association(principal: str, status: str) -> dict[str, object]:
    return {
        "resourceShareArn": SHARE,
        "associatedEntity": principal,
        "associationType": "PRINCIPAL",
        "status": status,
        "lastUpdatedTime": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "external": True,
    }


def test_reads_every_page_including_empty_ones(stubbed: tuple[RamShareAdmin, Stubber]) -> None:
    admin, stub = stubbed
    base = {"associationType": "PRINCIPAL", "resourceShareArns": [SHARE]}
    stub.add_response(
        "get_resource_share_associations",
        {"resourceShareAssociations": [association("222222222222", "ASSOCIATED")], "nextToken": "t1"},
        base,
    )
    stub.add_response(
        "get_resource_share_associations",
        {"resourceShareAssociations": [], "nextToken": "t2"},
        base | {"nextToken": "t1"},
    )
    stub.add_response(
        "get_resource_share_associations",
        {"resourceShareAssociations": [association("333333333333", "FAILED")]},
        base | {"nextToken": "t2"},
    )
    assert admin.principal_associations(SHARE) == [
        PrincipalAssociation("222222222222", "ASSOCIATED", "2026-01-02T03:04:05+00:00", external=True),
        PrincipalAssociation("333333333333", "FAILED", "2026-01-02T03:04:05+00:00", external=True),
    ]


def test_statuses_are_read_case_insensitively(stubbed: tuple[RamShareAdmin, Stubber]) -> None:
    """The planner compares RAM's upper-case statuses; an answer in another letter case reads the same."""
    admin, stub = stubbed
    stub.add_response(
        "get_resource_share_associations",
        {"resourceShareAssociations": [association("222222222222", "Associating")]},
        {"associationType": "PRINCIPAL", "resourceShareArns": [SHARE]},
    )
    assert [a.status for a in admin.principal_associations(SHARE)] == ["ASSOCIATING"]


def test_missing_share_is_named(stubbed: tuple[RamShareAdmin, Stubber]) -> None:
    admin, stub = stubbed
    stub.add_client_error("get_resource_share_associations", "UnknownResourceException", "no such share")
    with pytest.raises(ShareNotFound, match="not found"):
        admin.principal_associations(SHARE)


def test_associate_and_disassociate_send_one_principal_with_the_token(
    stubbed: tuple[RamShareAdmin, Stubber],
) -> None:
    admin, stub = stubbed
    expected = {"resourceShareArn": SHARE, "principals": ["222222222222"], "clientToken": TOKEN}
    stub.add_response("associate_resource_share", {"clientToken": TOKEN}, expected)
    stub.add_response("disassociate_resource_share", {"clientToken": TOKEN}, expected)
    admin.associate(SHARE, "222222222222", TOKEN)
    admin.disassociate(SHARE, "222222222222", TOKEN)


@pytest.mark.parametrize(
    "code", ["OperationNotPermittedException", "InvalidParameterException", "UnknownResourceException"]
)
def test_per_principal_refusals_become_values(stubbed: tuple[RamShareAdmin, Stubber], code: str) -> None:
    admin, stub = stubbed
    stub.add_client_error("associate_resource_share", code, "refused for a reason")
    with pytest.raises(PrincipalChangeRefused) as caught:
        admin.associate(SHARE, "222222222222", TOKEN)
    assert caught.value.code == code
    assert "refused for a reason" in str(caught.value)


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ServiceUnavailableException", "ServerInternalException"]
)
def test_transient_errors_propagate_for_a_retry(stubbed: tuple[RamShareAdmin, Stubber], code: str) -> None:
    admin, stub = stubbed
    stub.add_client_error("disassociate_resource_share", code, "try later")
    with pytest.raises(Transient):
        admin.disassociate(SHARE, "222222222222", TOKEN)
