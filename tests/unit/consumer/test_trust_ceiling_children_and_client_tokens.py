"""Issue 12: trust in one place (defect 4), asynchronous acceptance (defect 6), GROUP/CHILD (defect 7),
UUID-shaped RAM client tokens (defect 8). Each test fails on the code before the fix."""

from __future__ import annotations

import uuid

import boto3
from botocore.stub import Stubber
from consumer_fakes import (
    NOW,
    OTHER_TRUSTED,
    RCFG,
    TRUSTED,
    VPC,
    FakeAccount,
    FakeAudit,
    FakeSchedules,
    associations_of,
    config_arn,
    invitation_arn,
    share_arn,
)

from linkpilot.aws.ram_consumer import RamConsumer
from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    ActionKind,
    Endpoint,
    Invitation,
    ObservedState,
    ShareResource,
    Verdict,
)
from linkpilot.consumer.planning import accept_token, compile_rules, plan_actions, reject_token
from linkpilot.consumer.ports import Controller, Ports, ReconcileOptions, RunClock
from linkpilot.consumer.reconcile import reconcile
from linkpilot.errors import Refused
from linkpilot.provider.plan import PrincipalChange, client_token
from linkpilot.runtime.controller import ControllerSettings


# --- defect 4: a denial on one invitation is that invitation's refusal ----------------------------
def test_access_denied_inspecting_one_invitation_does_not_fail_the_run(policy):
    account = FakeAccount()
    account.invite(TRUSTED, 1)
    account.invite(OTHER_TRUSTED, 2)
    account.org_share(TRUSTED, 3)
    denied = Refused("AccessDeniedException", "not authorized: ram:ShareOwnerAccountId", "inspection refused")
    calls = {"n": 0}
    real = account.pending_resources

    def deny_first(inv: Invitation):
        if inv.sender_account_id == OTHER_TRUSTED:
            calls["n"] += 1
            raise denied
        return real(inv)

    account.pending_resources = deny_first  # type: ignore[method-assign]
    audit = FakeAudit()
    controller = Controller(
        Ports(ram=account, ec2=account, schedules=FakeSchedules(), audit=audit), clock=RunClock(lambda: NOW)
    )
    report = reconcile(policy, controller)  # on the old code: raises, nothing accepted, created or probed
    assert calls["n"] == 1
    kinds = sorted(r.action.kind.value for r in report.results)
    assert kinds == ["accept-invitation", "create-endpoint"]
    refused = next(d for d in report.plan.decisions if d.sender_account_id == OTHER_TRUSTED)
    assert refused.verdict is Verdict.IGNORE and "AccessDeniedException" in refused.reason
    assert report.probe.status == "updated"
    assert any("AccessDeniedException" in str(r.get("reason", "")) for r in audit.records)


def test_ram_adapter_turns_a_denied_inspection_into_a_refusal():
    client = boto3.client("ram", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_client_error("list_pending_invitation_resources", "AccessDeniedException", "denied")
    inv = Invitation(invitation_arn(TRUSTED, 1), share_arn(TRUSTED, 1), "s", TRUSTED, "PENDING")
    with stub:
        try:
            RamConsumer(client).pending_resources(inv)
        except Refused as exc:
            assert exc.code == "AccessDeniedException"
        else:
            raise AssertionError("expected a Refused")


def test_trust_is_the_policy_within_the_stacks_trusted_accounts(policy):
    """The IAM condition's accounts bound the policy's: an account only the policy trusts is never
    inspected (IAM would deny it) and is reported with the fix; nothing of it is accepted or created."""
    i = Invitation(
        invitation_arn(OTHER_TRUSTED, 1), share_arn(OTHER_TRUSTED, 1), "s", OTHER_TRUSTED, "PENDING"
    )
    org = ShareResource(config_arn(OTHER_TRUSTED, 2), RCFG, share_arn(OTHER_TRUSTED, 2), "AVAILABLE")
    state = ObservedState(invitations=(i,), shared_resources=(org,), trust_ceiling=frozenset({TRUSTED}))
    plan = plan_actions(compile_rules(policy), state, NOW)
    (d,) = plan.decisions
    assert d.verdict is Verdict.IGNORE and "TrustedAccounts" in d.reason
    assert plan.actions == ()
    assert "TrustedAccounts" in plan.refused_resources[0][2]


def test_the_controller_reads_the_ceiling_from_its_environment():
    assert ControllerSettings.from_env({}).trust_ceiling is None
    env = {"LINKPILOT_TRUSTED_ACCOUNTS": f"{TRUSTED},{OTHER_TRUSTED}"}
    assert ControllerSettings.from_env(env).trust_ceiling == {TRUSTED, OTHER_TRUSTED}
    assert ControllerSettings.from_env({"LINKPILOT_TRUSTED_ACCOUNTS": "none"}).trust_ceiling == frozenset()


def test_ceiling_none_trusts_nobody_and_reconcile_inspects_nothing(policy):
    account = FakeAccount()
    account.invite(TRUSTED, 1)
    controller = Controller(
        Ports(ram=account, ec2=account), ReconcileOptions(trust_ceiling=frozenset()), RunClock(lambda: NOW)
    )
    report = reconcile(policy, controller)
    assert report.results == () and account.ops("ListPending") == []


# --- defect 7: never an endpoint for a CHILD ------------------------------------------------------
def _endpoint(eid: str, config: str, groups: dict[str, list[str]] | None = None) -> Endpoint:
    return Endpoint(
        endpoint_id=eid,
        vpc_id=VPC,
        state="available",
        resource_configuration_arn=config,
        tags={MANAGED_TAG: "true", CONFIGURATION_TAG: config},
        associations=associations_of(eid, config, groups),
    )


def test_a_listed_child_of_a_group_we_reach_gets_no_endpoint_of_its_own(policy):
    group, child = config_arn(TRUSTED, "g"), config_arn(TRUSTED, "c1")
    listed = tuple(ShareResource(a, RCFG, share_arn(TRUSTED, 1), "AVAILABLE") for a in (group, child))
    ep = _endpoint("vpce-1", group, {group: [child, config_arn(TRUSTED, "c2")]})
    plan = plan_actions(compile_rules(policy), ObservedState(shared_resources=listed, endpoints=(ep,)), NOW)
    assert plan.of_kind(ActionKind.CREATE_ENDPOINT) == ()
    assert [t.child_arn for t in plan.probe_targets] == [child, config_arn(TRUSTED, "c2")]


def test_an_endpoint_made_for_a_child_is_removed_once_the_group_endpoint_reaches_it(policy):
    """Whether EC2 refuses an endpoint for a CHILD is UNVERIFIED: if it does not, the duplicate goes."""
    group, child = config_arn(TRUSTED, "g"), config_arn(TRUSTED, "c1")
    listed = tuple(ShareResource(a, RCFG, share_arn(TRUSTED, 1), "AVAILABLE") for a in (group, child))
    eps = (_endpoint("vpce-1", group, {group: [child]}), _endpoint("vpce-2", child))
    plan = plan_actions(compile_rules(policy), ObservedState(shared_resources=listed, endpoints=eps), NOW)
    (delete,) = plan.of_kind(ActionKind.DELETE_ENDPOINT)
    assert delete.endpoint_id == "vpce-2" and "CHILD" in delete.reason
    assert plan.of_kind(ActionKind.CREATE_ENDPOINT) == ()


# --- defect 8: RAM client tokens are UUIDs, deterministic --------------------------------------
def test_ram_client_tokens_are_deterministic_uuids():
    arn = invitation_arn(TRUSTED, 1)
    for token in (accept_token(arn), reject_token(arn)):
        assert str(uuid.UUID(token)) == token  # on the old code: 64 hex characters, not a UUID
    assert accept_token(arn) == accept_token(arn) != reject_token(arn)
    assert accept_token(arn) != accept_token(invitation_arn(TRUSTED, 2))
    change = PrincipalChange(action="associate", principal=TRUSTED, reason="r", observed_status="")
    token = client_token(share_arn(TRUSTED, 1), change)
    assert str(uuid.UUID(token)) == token == client_token(share_arn(TRUSTED, 1), change)
