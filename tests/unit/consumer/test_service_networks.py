"""Issue 15 D: shared service networks (RAM type vpc-lattice:ServiceNetwork) in the policy, the planner and
the adapters. One managed ServiceNetwork endpoint per allowed network; its association rows (one per
configuration in the network) are the probe targets; the policy refuses what it does not allow.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber
from consumer_fakes import NOW, TRUSTED, VPC, make_policy

from linkpilot.aws.ec2_endpoints import Ec2Endpoints
from linkpilot.aws.ram_consumer import RamConsumer
from linkpilot.consumer.models import (
    ActionKind,
    Endpoint,
    EndpointAssociation,
    Invitation,
    ObservedState,
    ShareResource,
    Verdict,
)
from linkpilot.consumer.planning import compile_rules, decide_invitation, plan_actions
from linkpilot.consumer.policy import EndpointPlacement, PolicyError

REGION = "us-east-1"
SN_TYPE = "vpc-lattice:ServiceNetwork"
RCFG = "vpc-lattice:ResourceConfiguration"
NETWORK = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:servicenetwork/sn-0101abcd5432abcd0"
OTHER_NETWORK = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:servicenetwork/sn-0202abcd5432abcd0"
DB = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:resourceconfiguration/rcfg-0000000000000000d"
CACHE = f"arn:aws:vpc-lattice:{REGION}:{TRUSTED}:resourceconfiguration/rcfg-0000000000000000c"
SHARE = f"arn:aws:ram:{REGION}:{TRUSTED}:resource-share/0a1b2c3d-0000-0000-0000-000000000001"
ALLOW_NETWORK = {"service_networks": {"allowed_arns": [NETWORK]}}


def sn_endpoint(eid: str = "vpce-0f00567fa8example", state: str = "available", rows=()) -> Endpoint:
    return Endpoint(
        endpoint_id=eid,
        vpc_id=VPC,
        state=state,
        resource_configuration_arn="",
        service_network_arn=NETWORK,
        tags={"linkpilot:managed": "true", "linkpilot:service-network-arn": NETWORK},
        associations=tuple(rows),
    )


def row(eid: str, arn: str, accessibility: str = "accessible") -> EndpointAssociation:
    rcfg = arn.rsplit("/", 1)[-1]
    return EndpointAssociation(
        association_id=f"vpce-sn-asc-{rcfg}",
        endpoint_id=eid,
        associated_resource_arn=arn,
        dns_name=f"{eid}-snra-0123456789abcdef0.{rcfg}.4232ccc.vpc-lattice-rsc.{REGION}.on.aws",
        accessibility=accessibility,
    )


# --- the policy section ---------------------------------------------------------------------------------
def test_service_networks_are_refused_unless_the_policy_names_them() -> None:
    assert make_policy().service_networks is None
    assert not compile_rules(make_policy()).shares.allows_type(SN_TYPE)
    assert compile_rules(make_policy()).shares.listed_types == (RCFG,)
    policy = make_policy(**ALLOW_NETWORK)
    shares = compile_rules(policy).shares
    assert shares.allows_type(SN_TYPE) and policy.service_networks is not None
    assert policy.service_networks.mode == "endpoint"
    assert shares.listed_types == (RCFG, SN_TYPE)
    assert shares.allows_service_network(NETWORK) and not shares.allows_service_network(OTHER_NETWORK)
    # configuration globs never admit a network, and network globs never a configuration
    configurations_only = compile_rules(make_policy(allowed_resource_configuration_arns=["arn:*"]))
    assert not configurations_only.shares.allows_service_network(NETWORK)


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ({"allowed_arns": [NETWORK], "mode": "associate"}, "service_networks.mode"),
        ({"allowed_arns": []}, "service_networks.allowed_arns"),
        ({"allowed_arns": ["not-an-arn"]}, "service_networks.allowed_arns.0"),
        ({"allowed_arns": [NETWORK], "extra": 1}, "service_networks.extra"),
        ({}, "service_networks.allowed_arns"),
    ],
)
def test_bad_service_network_sections_are_refused_by_field(section: dict, problem: str) -> None:
    with pytest.raises(PolicyError) as refused:
        make_policy(service_networks=section)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


# --- invitations ----------------------------------------------------------------------------------------
def _invitation() -> Invitation:
    return Invitation(
        f"arn:aws:ram:{REGION}:{TRUSTED}:resource-share-invitation/i-1", SHARE, "net", TRUSTED, "PENDING"
    )


def test_an_invitation_holding_an_allowed_network_is_accepted_and_a_disallowed_one_refused() -> None:
    offered = [ShareResource(NETWORK, SN_TYPE, SHARE)]
    accepted = decide_invitation(compile_rules(make_policy(**ALLOW_NETWORK)).shares, _invitation(), offered)
    assert accepted is not None and accepted.verdict is Verdict.ACCEPT
    for policy in (make_policy(), make_policy(service_networks={"allowed_arns": [OTHER_NETWORK]})):
        refused = decide_invitation(compile_rules(policy).shares, _invitation(), offered)
        assert refused is not None and refused.verdict is Verdict.IGNORE and refused.refused_by_policy
        assert NETWORK in refused.reason
    no_section = decide_invitation(
        compile_rules(make_policy(allowed_resource_types=[RCFG, SN_TYPE])).shares, _invitation(), offered
    )
    assert no_section is not None and "no service_networks section" in no_section.reason


def test_a_network_owned_by_another_account_than_the_sharing_one_is_refused() -> None:
    foreign = NETWORK.replace(TRUSTED, "999999999999")
    policy = make_policy(service_networks={"allowed_arns": ["arn:aws:vpc-lattice:*:*:servicenetwork/*"]})
    decision = decide_invitation(
        compile_rules(policy).shares, _invitation(), [ShareResource(foreign, SN_TYPE, SHARE)]
    )
    assert decision is not None and decision.verdict is Verdict.IGNORE
    assert "owned by account 999999999999" in decision.reason


# --- the plan -------------------------------------------------------------------------------------------
def test_an_available_shared_network_gets_one_create_of_its_own() -> None:
    state = ObservedState(
        shared_resources=(
            ShareResource(NETWORK, SN_TYPE, SHARE, "AVAILABLE"),
            ShareResource(DB, RCFG, SHARE, "AVAILABLE"),
        )
    )
    plan = plan_actions(compile_rules(make_policy(**ALLOW_NETWORK)), state, NOW)
    creates = plan.of_kind(ActionKind.CREATE_ENDPOINT)
    assert sorted(a.resource_configuration_arn for a in creates) == sorted([NETWORK, DB])
    (network_create,) = [a for a in creates if a.resource_configuration_arn == NETWORK]
    assert "service network" in network_create.reason and network_create.placement is not None


def test_a_network_not_allowed_is_a_refused_resource_and_gets_nothing() -> None:
    state = ObservedState(shared_resources=(ShareResource(NETWORK, SN_TYPE, SHARE, "AVAILABLE"),))
    plan = plan_actions(
        compile_rules(make_policy(service_networks={"allowed_arns": [OTHER_NETWORK]})), state, NOW
    )
    assert plan.actions == ()
    assert [(arn, why) for arn, _share, why in plan.refused_resources] == [
        (NETWORK, f"{NETWORK} matches no service_networks.allowed_arns pattern")
    ]


def test_each_row_of_the_network_endpoint_is_a_target_with_its_own_override() -> None:
    eid = "vpce-0f00567fa8example"
    endpoint = sn_endpoint(eid, rows=[row(eid, DB), row(eid, CACHE)])
    policy = make_policy(
        **ALLOW_NETWORK,
        probe={"overrides": [{"match": DB, "kind": "tcp", "port": 5432}, {"match": NETWORK, "port": 6379}]},
    )
    state = ObservedState(
        shared_resources=(ShareResource(NETWORK, SN_TYPE, SHARE, "AVAILABLE"),), endpoints=(endpoint,)
    )
    plan = plan_actions(compile_rules(policy), state, NOW)
    assert plan.actions == ()
    targets = {t.child_arn: t for t in plan.probe_targets}
    assert set(targets) == {DB, CACHE}
    assert {t.resource_configuration_arn for t in targets.values()} == {NETWORK}
    assert dict(targets[DB].overrides) == {"kind": "tcp", "port": 5432}  # the row's configuration glob first
    assert dict(targets[CACHE].overrides) == {"port": 6379}  # else the network's


def test_an_inaccessible_row_is_unprobed_not_dropped() -> None:
    eid = "vpce-0f00567fa8example"
    endpoint = sn_endpoint(eid, rows=[row(eid, DB, "inaccessible")])
    state = ObservedState(
        shared_resources=(ShareResource(NETWORK, SN_TYPE, SHARE, "AVAILABLE"),), endpoints=(endpoint,)
    )
    plan = plan_actions(compile_rules(make_policy(**ALLOW_NETWORK)), state, NOW)
    assert plan.probe_targets == () and [u.associated_resource_arn for u in plan.unprobed] == [DB]


def test_an_unshared_network_keeps_its_endpoint_for_the_grace_then_deletes_it() -> None:
    endpoint = sn_endpoint()
    policy = make_policy(**ALLOW_NETWORK)
    first = plan_actions(compile_rules(policy), ObservedState(endpoints=(endpoint,)), NOW)
    assert first.of_kind(ActionKind.DELETE_ENDPOINT) == () and len(first.awaiting_grace) == 1
    later = NOW.replace(hour=NOW.hour + 1)
    state = ObservedState(endpoints=(endpoint,), missing_since={endpoint.endpoint_id: NOW})
    (delete,) = plan_actions(compile_rules(policy), state, later).of_kind(ActionKind.DELETE_ENDPOINT)
    assert (delete.endpoint_id, delete.resource_configuration_arn) == (endpoint.endpoint_id, NETWORK)


def test_a_network_the_policy_stops_allowing_loses_its_endpoint_at_once() -> None:
    endpoint = sn_endpoint()
    state = ObservedState(
        shared_resources=(ShareResource(NETWORK, SN_TYPE, SHARE, "AVAILABLE"),), endpoints=(endpoint,)
    )
    (delete,) = plan_actions(compile_rules(make_policy()), state, NOW).of_kind(ActionKind.DELETE_ENDPOINT)
    assert delete.endpoint_id == endpoint.endpoint_id


# --- the adapters (botocore Stubber: requests and responses checked against the model) -------------------
def test_the_ec2_adapter_creates_a_service_network_endpoint_tagged_with_the_network() -> None:
    client = boto3.client("ec2", region_name=REGION)
    placement = EndpointPlacement(vpc_id=VPC, subnet_ids=("subnet-0011aabbcc2233445",))
    stub = Stubber(client)
    stub.add_response(
        "create_vpc_endpoint",
        {"VpcEndpoint": {"VpcEndpointId": "vpce-0f00567fa8example", "VpcEndpointType": "ServiceNetwork"}},
        {
            "VpcEndpointType": "ServiceNetwork",
            "ServiceNetworkArn": NETWORK,
            "VpcId": VPC,
            "SubnetIds": ["subnet-0011aabbcc2233445"],
            "SecurityGroupIds": [],
            "IpAddressType": "ipv4",
            "PrivateDnsEnabled": False,
            "ClientToken": "token-1",
            "TagSpecifications": [
                {
                    "ResourceType": "vpc-endpoint",
                    "Tags": [
                        {"Key": "linkpilot:managed", "Value": "true"},
                        {"Key": "linkpilot:service-network-arn", "Value": NETWORK},
                        {"Key": "linkpilot:resource-share-arn", "Value": SHARE},
                    ],
                }
            ],
        },
    )
    with stub:
        assert Ec2Endpoints(client).create(placement, NETWORK, SHARE, "token-1") == "vpce-0f00567fa8example"
    stub.assert_no_pending_responses()


def test_the_ec2_adapter_reads_service_network_endpoints_and_their_rows() -> None:
    client = boto3.client("ec2", region_name=REGION)
    eid = "vpce-0f00567fa8example"
    stub = Stubber(client)
    stub.add_response(
        "describe_vpc_endpoints",
        {
            "VpcEndpoints": [
                {
                    "VpcEndpointId": eid,
                    "VpcEndpointType": "ServiceNetwork",
                    "VpcId": VPC,
                    "State": "Available",
                    "ServiceNetworkArn": NETWORK,
                    "Tags": [
                        {"Key": "linkpilot:managed", "Value": "true"},
                        {"Key": "linkpilot:service-network-arn", "Value": NETWORK},
                    ],
                }
            ]
        },
        {"Filters": [{"Name": "tag:linkpilot:managed", "Values": ["true"]}], "MaxResults": 1000},
    )
    stub.add_response(
        "describe_vpc_endpoint_associations",
        {
            "VpcEndpointAssociations": [
                {
                    "Id": "vpce-sn-asc-1",
                    "VpcEndpointId": eid,
                    "ServiceNetworkArn": NETWORK,
                    "ServiceNetworkName": "shared-net",
                    "AssociatedResourceAccessibility": "Accessible",
                    "DnsEntry": {"DnsName": "db.example", "HostedZoneId": "Z1"},
                    "AssociatedResourceArn": DB,
                }
            ]
        },
        {"VpcEndpointIds": [eid], "MaxResults": 100},
    )
    with stub:
        (endpoint,) = Ec2Endpoints(client).managed_endpoints()
    assert (endpoint.service_network_arn, endpoint.managed_configuration_arn) == (NETWORK, NETWORK)
    assert [(r.associated_resource_arn, r.dns_name) for r in endpoint.associations] == [(DB, "db.example")]


def test_the_ram_adapter_lists_each_resource_type_it_is_asked_for() -> None:
    client = boto3.client("ram", region_name=REGION)
    stub = Stubber(client)
    for rtype, arn in ((RCFG, DB), (SN_TYPE, NETWORK)):
        stub.add_response(
            "list_resources",
            {"resources": [{"arn": arn, "type": rtype, "resourceShareArn": SHARE, "status": "AVAILABLE"}]},
            {"resourceOwner": "OTHER-ACCOUNTS", "resourceType": rtype, "maxResults": 500},
        )
    with stub:
        found = RamConsumer(client).shared_resources((RCFG, SN_TYPE))
    assert [(r.arn, r.type) for r in found] == [(DB, RCFG), (NETWORK, SN_TYPE)]
    stub.assert_no_pending_responses()
