"""``linkpilot provider status``'s reads through the provider's RAM adapter (``RamShareAdmin``): the share
found by its tag, the configurations on it (botocore's ``Stubber``), and ``collect_view`` refusing to guess
a share."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from linkpilot.aws.ram_provider import RamShareAdmin
from linkpilot.errors import Transient
from linkpilot_cli.commands.provider import CONFIGURATION_TYPE, NoShare, collect_view

SHARE = "arn:aws:ram:us-east-1:111111111111:resource-share/0c5f4a9e-1111-2222-3333-444455556666"
OTHER = "arn:aws:ram:us-east-1:111111111111:resource-share/0c5f4a9e-9999-2222-3333-444455556666"
CFG = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0"
TAGGED = {
    "resourceOwner": "SELF",
    "resourceShareStatus": "ACTIVE",
    "tagFilters": [{"tagKey": "linkpilot:role", "tagValues": ["provider-share"]}],
}


def ram() -> Any:
    return boto3.client("ram", region_name="us-east-1")


def test_the_shares_carrying_a_tag_are_read_from_every_page() -> None:
    client = ram()
    with Stubber(client) as stub:
        stub.add_response("get_resource_shares", {"resourceShares": [], "nextToken": "p2"}, TAGGED)
        stub.add_response(
            "get_resource_shares",
            {"resourceShares": [{"resourceShareArn": SHARE}]},
            {**TAGGED, "nextToken": "p2"},
        )
        assert RamShareAdmin(client).tagged_shares("linkpilot:role", "provider-share") == [SHARE]
        stub.assert_no_pending_responses()


def test_the_configurations_on_a_share_are_the_callers_own_sorted_once_each() -> None:
    client = ram()
    asked = {"resourceOwner": "SELF", "resourceShareArns": [SHARE], "resourceType": CONFIGURATION_TYPE}
    with Stubber(client) as stub:
        stub.add_response("list_resources", {"resources": [{"arn": CFG + "b"}], "nextToken": "p2"}, asked)
        stub.add_response(
            "list_resources",
            {"resources": [{"arn": CFG + "a"}, {"arn": CFG + "b"}]},
            {**asked, "nextToken": "p2"},
        )
        assert RamShareAdmin(client).shared_resources(SHARE, CONFIGURATION_TYPE) == [CFG + "a", CFG + "b"]
        stub.add_client_error("list_resources", "ServerInternalException", "oops", http_status_code=500)
        with pytest.raises(Transient):
            RamShareAdmin(client).shared_resources(SHARE, CONFIGURATION_TYPE)


class Session:
    """Hands out stubbed clients, as ``linkpilot_cli.aws.client`` asks a boto3 session for them."""

    def __init__(self, **clients: Any) -> None:
        self._clients = clients

    def client(self, name: str) -> Any:
        return self._clients[name]


@pytest.mark.parametrize("shares", [[], [SHARE, OTHER]])
def test_no_share_is_guessed_when_none_or_several_carry_the_tag(shares: list[str]) -> None:
    client = ram()
    with Stubber(client) as stub:
        stub.add_response(
            "get_resource_shares", {"resourceShares": [{"resourceShareArn": s} for s in shares]}
        )
        with pytest.raises(NoShare, match=f"{len(shares)} active shares carry the tag linkpilot:role="):
            collect_view(Session(ram=client))
        stub.assert_no_pending_responses()  # nothing else is read
