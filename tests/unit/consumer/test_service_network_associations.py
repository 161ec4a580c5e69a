"""Issue 15 D, association mode: a shared service network taken by ONE service-network VPC association of the
policy's VPC (a VPC is associated with one service network only). The planner (pure) and the VPC Lattice
adapter (botocore Stubber: requests and responses checked against the model).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import boto3
import pytest
from botocore.stub import Stubber
from consumer_fakes import NOW, VPC, make_policy
from test_service_networks import DB, NETWORK, OTHER_NETWORK, RCFG, REGION, SHARE, SN_TYPE, sn_endpoint

from linkpilot.aws.lattice_associations import LatticeAssociations
from linkpilot.consumer.audit import notification
from linkpilot.consumer.models import (
    ActionKind,
    ActionResult,
    Endpoint,
    ObservedState,
    Outcome,
    ShareResource,
)
from linkpilot.consumer.planning import compile_rules, create_token, plan_actions
from linkpilot.consumer.policy import EndpointPlacement
from linkpilot.consumer.report import ProbeRefresh, ReconcileReport
from linkpilot.errors import Refused, Transient

OTHER_VPC = "vpc-0fedcba9876543210"
MANAGED = {"linkpilot:managed": "true"}


def association_policy(*networks: str, **overrides):
    allowed = list(networks) or [NETWORK]
    return make_policy(service_networks={"allowed_arns": allowed, "mode": "association"}, **overrides)


def shared(*arns: str, status: str = "AVAILABLE") -> tuple[ShareResource, ...]:
    return tuple(ShareResource(a, SN_TYPE if ":servicenetwork/" in a else RCFG, SHARE, status) for a in arns)


def association(
    aid: str = "snva-0123456789abcdef0",
    network: str = NETWORK,
    state: str = "available",
    vpc: str = VPC,
    tags: dict[str, str] | None = None,
) -> Endpoint:
    return Endpoint(
        endpoint_id=aid,
        vpc_id=vpc,
        state=state,
        resource_configuration_arn="",
        service_network_arn=network,
        tags={**MANAGED, "linkpilot:service-network-arn": network} if tags is None else tags,
        created_at=NOW - timedelta(days=1),
        kind="association",
    )


def observed(*endpoints: Endpoint, resources=(), unmanaged=(), **kw) -> ObservedState:
    return ObservedState(
        shared_resources=tuple(resources),
        endpoints=endpoints,
        unmanaged_endpoints=tuple(unmanaged),
        associations_observed=kw.pop("associations_observed", True),
        **kw,
    )


# --- the policy -----------------------------------------------------------------------------------------
def test_the_policy_takes_association_mode() -> None:
    policy = association_policy()
    assert compile_rules(policy).associations.by_association and policy.service_networks is not None
    assert not compile_rules(
        make_policy(service_networks={"allowed_arns": [NETWORK]})
    ).associations.by_association
    assert not compile_rules(make_policy()).associations.by_association


# --- the plan -------------------------------------------------------------------------------------------
def test_an_allowed_network_gets_one_association_and_configurations_keep_their_endpoints() -> None:
    plan = plan_actions(compile_rules(association_policy()), observed(resources=shared(NETWORK, DB)), NOW)
    (create,) = plan.of_kind(ActionKind.CREATE_ASSOCIATION)
    assert create.resource_configuration_arn == NETWORK and create.share_arn == SHARE
    assert create.placement is not None and create.placement.vpc_id == VPC
    assert "VPC association" in create.reason
    assert [a.resource_configuration_arn for a in plan.of_kind(ActionKind.CREATE_ENDPOINT)] == [DB]
    # its own token: never EC2's for the same network
    assert create.client_token == create_token(association_policy().endpoint, NETWORK, NOW, association=True)
    assert create.client_token != create_token(association_policy().endpoint, NETWORK, NOW)


def test_of_two_allowed_networks_the_lowest_arn_is_taken_and_the_other_refused() -> None:
    policy = association_policy(NETWORK, OTHER_NETWORK)
    plan = plan_actions(compile_rules(policy), observed(resources=shared(OTHER_NETWORK, NETWORK)), NOW)
    assert [a.resource_configuration_arn for a in plan.actions] == [NETWORK]
    ((arn, share, why),) = plan.refused_resources
    assert (arn, share) == (OTHER_NETWORK, SHARE)
    assert "one service network only" in why and NETWORK in why


def test_the_network_already_associated_stays_the_one_even_with_a_lower_arn_shared() -> None:
    policy = association_policy(NETWORK, OTHER_NETWORK)
    ours = association(network=OTHER_NETWORK)
    plan = plan_actions(compile_rules(policy), observed(ours, resources=shared(NETWORK, OTHER_NETWORK)), NOW)
    assert plan.actions == ()
    assert [arn for arn, _s, _w in plan.refused_resources] == [NETWORK]


def test_without_vpc_lattice_access_the_network_is_refused_and_nothing_is_made() -> None:
    state = observed(resources=shared(NETWORK), associations_observed=False)
    plan = plan_actions(compile_rules(association_policy()), state, NOW)
    assert plan.actions == ()
    ((arn, _share, why),) = plan.refused_resources
    assert arn == NETWORK and "VPC Lattice access" in why
    # an endpoint made for it in endpoint mode is kept (never replaced by nothing), and still probed
    endpoint = sn_endpoint()
    state = observed(endpoint, resources=shared(NETWORK), associations_observed=False)
    plan = plan_actions(compile_rules(association_policy()), state, NOW)
    assert plan.actions == () and [u.endpoint_id for u in plan.unprobed] == [endpoint.endpoint_id]


def test_no_network_shared_in_association_mode_still_removes_ours_after_the_grace() -> None:
    ours = association()
    later = NOW + timedelta(minutes=15)
    plan = plan_actions(
        compile_rules(association_policy()), observed(ours, missing_since={ours.endpoint_id: NOW}), later
    )
    assert [(a.kind, a.endpoint_id) for a in plan.actions] == [
        (ActionKind.DELETE_ASSOCIATION, ours.endpoint_id)
    ]


def test_switching_modes_removes_what_the_other_mode_made() -> None:
    ours = association()
    endpoint_mode = make_policy(service_networks={"allowed_arns": [NETWORK]})
    plan = plan_actions(compile_rules(endpoint_mode), observed(ours, resources=shared(NETWORK)), NOW)
    (delete,) = plan.of_kind(ActionKind.DELETE_ASSOCIATION)
    assert delete.endpoint_id == ours.endpoint_id and "mode is 'endpoint'" in delete.reason
    assert [a.resource_configuration_arn for a in plan.of_kind(ActionKind.CREATE_ENDPOINT)] == [NETWORK]

    endpoint = sn_endpoint()
    plan = plan_actions(
        compile_rules(association_policy()), observed(endpoint, resources=shared(NETWORK)), NOW
    )
    (delete,) = plan.of_kind(ActionKind.DELETE_ENDPOINT)
    assert delete.endpoint_id == endpoint.endpoint_id and "mode is 'association'" in delete.reason
    assert len(plan.of_kind(ActionKind.CREATE_ASSOCIATION)) == 1
    # creates come before deletes
    assert [a.kind for a in plan.actions] == [ActionKind.CREATE_ASSOCIATION, ActionKind.DELETE_ENDPOINT]


def test_an_unshared_network_keeps_its_association_for_the_grace_and_blocks_the_next_one() -> None:
    ours = association()
    policy = association_policy(NETWORK, OTHER_NETWORK)
    first = plan_actions(compile_rules(policy), observed(ours, resources=shared(OTHER_NETWORK)), NOW)
    assert first.actions == ()  # OTHER_NETWORK must wait: the VPC takes one network
    assert [g.endpoint_id for g in first.awaiting_grace] == [ours.endpoint_id]
    (waiting,) = [w for w in first.waiting if w.resource_configuration_arn == OTHER_NETWORK]
    assert ours.endpoint_id in waiting.reason and "must be gone first" in waiting.reason

    later = NOW + timedelta(minutes=policy.unshare_grace_minutes)
    state = observed(ours, resources=shared(OTHER_NETWORK), missing_since={ours.endpoint_id: NOW})
    second = plan_actions(compile_rules(policy), state, later)
    (delete,) = second.of_kind(ActionKind.DELETE_ASSOCIATION)
    assert delete.endpoint_id == ours.endpoint_id and "no longer shared" in delete.reason
    assert second.of_kind(ActionKind.CREATE_ASSOCIATION) == ()  # the next run, once it is gone

    gone = observed(replace(ours, state="deleting"), resources=shared(OTHER_NETWORK))
    assert plan_actions(compile_rules(policy), gone, later).of_kind(ActionKind.CREATE_ASSOCIATION) == ()
    (create,) = plan_actions(compile_rules(policy), observed(resources=shared(OTHER_NETWORK)), later).actions
    assert create.kind is ActionKind.CREATE_ASSOCIATION and create.resource_configuration_arn == OTHER_NETWORK


def test_an_association_without_our_tag_blocks_the_vpc_and_is_reported() -> None:
    theirs = association(network=OTHER_NETWORK, tags={})
    plan = plan_actions(
        compile_rules(association_policy()), observed(resources=shared(NETWORK), unmanaged=[theirs]), NOW
    )
    assert plan.actions == ()
    (unmanaged,) = plan.unmanaged
    assert unmanaged.endpoint_id == theirs.endpoint_id and unmanaged.resource_configuration_arn == NETWORK
    assert "without the linkpilot:managed tag" in unmanaged.reason and OTHER_NETWORK in unmanaged.reason
    # in another VPC it is no obstacle
    elsewhere = replace(theirs, vpc_id=OTHER_VPC)
    plan = plan_actions(
        compile_rules(association_policy()), observed(resources=shared(NETWORK), unmanaged=[elsewhere]), NOW
    )
    assert len(plan.of_kind(ActionKind.CREATE_ASSOCIATION)) == 1


def test_a_failed_association_is_deleted_before_another_is_made() -> None:
    failed = association(state="failed")
    plan = plan_actions(compile_rules(association_policy()), observed(failed, resources=shared(NETWORK)), NOW)
    assert [(a.kind, a.endpoint_id) for a in plan.actions] == [
        (ActionKind.DELETE_ASSOCIATION, failed.endpoint_id)
    ]


def test_ours_in_a_vpc_the_policy_no_longer_names_goes_and_the_policy_vpc_gets_one() -> None:
    old = association(vpc=OTHER_VPC)
    plan = plan_actions(compile_rules(association_policy()), observed(old, resources=shared(NETWORK)), NOW)
    assert [a.kind for a in plan.actions] == [ActionKind.CREATE_ASSOCIATION, ActionKind.DELETE_ASSOCIATION]
    assert f"policy VPC is {VPC}" in plan.of_kind(ActionKind.DELETE_ASSOCIATION)[0].reason


def test_an_association_made_after_the_observation_began_is_never_deleted() -> None:
    fresh = replace(association(state="failed"), created_at=NOW)
    assert (
        plan_actions(
            compile_rules(association_policy()), observed(fresh, resources=shared(NETWORK)), NOW
        ).actions
        == ()
    )


def test_a_kept_association_is_listed_unprobed_with_the_reason() -> None:
    ours = association()
    plan = plan_actions(compile_rules(association_policy()), observed(ours, resources=shared(NETWORK)), NOW)
    assert plan.actions == () and plan.probe_targets == ()
    (unprobed,) = plan.unprobed
    assert (unprobed.endpoint_id, unprobed.associated_resource_arn) == (ours.endpoint_id, NETWORK)
    assert "UNVERIFIED" in unprobed.reason


def test_with_delete_on_unshare_off_an_association_is_orphaned_not_deleted() -> None:
    policy = association_policy(delete_endpoints_on_unshare=False)
    plan = plan_actions(compile_rules(policy), observed(association()), NOW)
    assert plan.actions == () and [o.resource_configuration_arn for o in plan.orphaned] == [NETWORK]


# --- the adapter ----------------------------------------------------------------------------------------
def _lattice() -> tuple[LatticeAssociations, Stubber]:
    client = boto3.client("vpc-lattice", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    return LatticeAssociations(client), Stubber(client)


def _summary(aid: str, vpc: str, network: str, status: str = "ACTIVE") -> dict:
    return {
        "id": aid,
        "arn": f"arn:aws:vpc-lattice:{REGION}:222222222222:servicenetworkvpcassociation/{aid}",
        "status": status,
        "vpcId": vpc,
        "serviceNetworkArn": network,
        "createdAt": NOW,
    }


def _arn(aid: str) -> str:
    return f"arn:aws:vpc-lattice:{REGION}:222222222222:servicenetworkvpcassociation/{aid}"


MINE, THEIRS, GONE, DENIED = (f"snva-{c * 17}" for c in "abcd")


def test_the_adapter_reads_associations_per_vpc_with_their_tags() -> None:
    adapter, stub = _lattice()
    tagged = {**MANAGED, "linkpilot:service-network-arn": NETWORK}
    # VPCs in id order; the summaries carry no tags: one ListTagsForResource each
    stub.add_response(
        "list_service_network_vpc_associations",
        {
            "items": [
                _summary(THEIRS, VPC, OTHER_NETWORK, "CREATE_IN_PROGRESS"),
                _summary(GONE, VPC, NETWORK),
                _summary(DENIED, VPC, NETWORK),
            ]
        },
        {"vpcIdentifier": VPC, "maxResults": 100},
    )
    stub.add_response("list_tags_for_resource", {"tags": {}}, {"resourceArn": _arn(THEIRS)})
    stub.add_client_error(
        "list_tags_for_resource", "ResourceNotFoundException", http_status_code=404, expected_params=None
    )
    stub.add_client_error(
        "list_tags_for_resource", "AccessDeniedException", http_status_code=403, expected_params=None
    )
    stub.add_response(
        "list_service_network_vpc_associations",
        {"items": [_summary(MINE, OTHER_VPC, NETWORK, "DELETE_FAILED")]},
        {"vpcIdentifier": OTHER_VPC, "maxResults": 100},
    )
    stub.add_response("list_tags_for_resource", {"tags": tagged}, {"resourceArn": _arn(MINE)})
    with stub:
        managed, unmanaged = adapter.observed_associations([VPC, OTHER_VPC], VPC)
    stub.assert_no_pending_responses()
    (mine,) = managed
    assert (mine.endpoint_id, mine.kind, mine.vpc_id, mine.state) == (
        MINE,
        "association",
        OTHER_VPC,
        "failed",
    )
    assert mine.managed_configuration_arn == NETWORK and mine.last_error == "status DELETE_FAILED"
    # THEIRS is untagged; DENIED's tags could not be read, so it is never taken for ours; GONE went meanwhile
    assert [(u.endpoint_id, u.state, u.managed) for u in unmanaged] == [
        (THEIRS, "pending", False),
        (DENIED, "available", False),
    ]


def test_the_adapter_creates_a_tagged_association_with_the_placement() -> None:
    adapter, stub = _lattice()
    placement = EndpointPlacement(
        vpc_id=VPC,
        subnet_ids=("subnet-0aaaaaaaaaaaaaaa1",),
        security_group_ids=("sg-0bbbbbbbbbbbbbbb1",),
        private_dns=True,
        private_dns_preference="SPECIFIED_DOMAINS_ONLY",
        private_dns_specified_domains=("db.provider.example",),
    )
    stub.add_response(
        "create_service_network_vpc_association",
        {"id": MINE, "arn": _arn(MINE), "status": "CREATE_IN_PROGRESS"},
        {
            "serviceNetworkIdentifier": NETWORK,
            "vpcIdentifier": VPC,
            "securityGroupIds": ["sg-0bbbbbbbbbbbbbbb1"],
            "privateDnsEnabled": True,
            "dnsOptions": {
                "privateDnsPreference": "SPECIFIED_DOMAINS_ONLY",
                "privateDnsSpecifiedDomains": ["db.provider.example"],
            },
            "clientToken": "t" * 64,
            "tags": {
                "linkpilot:managed": "true",
                "linkpilot:service-network-arn": NETWORK,
                "linkpilot:resource-share-arn": SHARE,
            },
        },
    )
    with stub:
        assert adapter.create(placement, NETWORK, SHARE, "t" * 64) == MINE


@pytest.mark.parametrize(
    ("code", "status", "category"),
    [
        ("ConflictException", 409, "conflict"),
        ("ServiceQuotaExceededException", 402, "quota"),
        ("AccessDeniedException", 403, "permission"),
        ("ValidationException", 400, "invalid request"),
    ],
)
def test_the_adapter_names_what_vpc_lattice_refused(code: str, status: int, category: str) -> None:
    adapter, stub = _lattice()
    placement = EndpointPlacement(vpc_id=VPC, subnet_ids=("subnet-0aaaaaaaaaaaaaaa1",))
    stub.add_client_error("create_service_network_vpc_association", code, http_status_code=status)
    with stub, pytest.raises(Refused) as refused:
        adapter.create(placement, NETWORK, SHARE, "t")
    assert (refused.value.code, refused.value.category) == (code, category)


def test_throttling_is_transient_and_a_delete_of_what_is_gone_is_done() -> None:
    adapter, stub = _lattice()
    stub.add_client_error(
        "delete_service_network_vpc_association", "ThrottlingException", http_status_code=429
    )
    with stub, pytest.raises(Transient):
        adapter.delete([MINE])
    adapter, stub = _lattice()
    ident = "serviceNetworkVpcAssociationIdentifier"
    stub.add_client_error(
        "delete_service_network_vpc_association",
        "ResourceNotFoundException",
        http_status_code=404,
        expected_params={ident: GONE},
    )
    stub.add_client_error(
        "delete_service_network_vpc_association",
        "ConflictException",
        http_status_code=409,
        expected_params={ident: THEIRS},
    )
    stub.add_response(
        "delete_service_network_vpc_association",
        {"id": MINE, "arn": _arn(MINE), "status": "DELETE_IN_PROGRESS"},
        {ident: MINE},
    )
    with stub:
        outcome = adapter.delete([GONE, THEIRS, MINE])
    assert outcome[GONE] is None and outcome[MINE] is None
    refused = outcome[THEIRS]
    assert isinstance(refused, Refused) and refused.category == "conflict"


def test_associations_made_or_removed_are_notified_under_their_own_kinds() -> None:
    plan = plan_actions(compile_rules(association_policy()), observed(resources=shared(NETWORK)), NOW)
    (create,) = plan.actions
    delete = replace(create, kind=ActionKind.DELETE_ASSOCIATION, endpoint_id="snva-0123456789abcdef0")
    results = (ActionResult(create, Outcome.DONE), ActionResult(delete, Outcome.DONE))
    report = ReconcileReport(
        run_id="run",
        trigger="schedule",
        dry_run=False,
        started_at=NOW,
        plan=plan,
        results=results,
        probe=ProbeRefresh("unchanged"),
    )
    message = notification(report)
    assert message is not None
    subject, notified, _body = message
    assert notified == ["associate", "disassociate"]
    assert "1 service-network VPC association(s) created" in subject
    assert report.metrics()["AssociationsCreated"] == report.metrics()["AssociationsDeleted"] == 1


def test_the_lowest_available_network_is_taken_before_a_lower_one_still_pending() -> None:
    policy = association_policy(NETWORK, OTHER_NETWORK)
    resources = (*shared(NETWORK, status="PENDING"), *shared(OTHER_NETWORK))
    plan = plan_actions(compile_rules(policy), observed(resources=resources), NOW)
    assert [a.resource_configuration_arn for a in plan.of_kind(ActionKind.CREATE_ASSOCIATION)] == [
        OTHER_NETWORK
    ]
    # once associated, it stays the one when the lower ARN becomes available
    ours = association(network=OTHER_NETWORK)
    later = plan_actions(compile_rules(policy), observed(ours, resources=shared(NETWORK, OTHER_NETWORK)), NOW)
    assert later.actions == () and [arn for arn, _s, _w in later.refused_resources] == [NETWORK]


def test_an_association_not_ours_being_deleted_or_failed_makes_ours_wait() -> None:
    for state in ("deleting", "failed"):
        theirs = association(network=OTHER_NETWORK, tags={}, state=state)
        plan = plan_actions(
            compile_rules(association_policy()), observed(resources=shared(NETWORK), unmanaged=[theirs]), NOW
        )
        assert (
            plan.actions == () and plan.unmanaged == ()
        )  # not live: nothing to report, but it holds the VPC
        (waiting,) = [w for w in plan.waiting if w.resource_configuration_arn == NETWORK]
        assert theirs.endpoint_id in waiting.reason
