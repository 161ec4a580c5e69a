"""Provider onboarding against the local AWS: the declared consumer list drives the share's principals,
and through them the consumers' invitations and access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from provider_world import ROOT, ProviderWorld, build_provider

from linkpilot_local import LocalAws
from linkpilot_local.cfn import load_template

pytestmark = pytest.mark.integration

CONSUMER, OTHER = "222222222222", "333333333333"
WRITES = {"AssociateResourceShare", "DisassociateResourceShare"}


def ram_writes(aws: LocalAws, account: str) -> list[str]:
    return [op for acct, service, op in aws.call_log if acct == account and service == "ram" and op in WRITES]


def invitations(aws: LocalAws, account: str, share_arn: str) -> list[dict]:
    ram = aws.session(account).client("ram")
    return ram.get_resource_share_invitations(resourceShareArns=[share_arn])["resourceShareInvitations"]


def test_adding_a_consumer_sends_it_an_invitation(local: LocalAws, provider: ProviderWorld) -> None:
    provider.put_consumers(f"{CONSUMER},{OTHER}")
    summary = provider.onboard()
    assert summary["ok"] is True
    assert {c["principal"] for c in summary["changes"]} == {CONSUMER, OTHER}
    for consumer in (CONSUMER, OTHER):
        (invitation,) = invitations(local, consumer, provider.share_arn)
        assert invitation["status"] == "PENDING"
        assert invitation["senderAccountId"] == provider.account
    assert provider.audit_events() == [("associate", CONSUMER, "done"), ("associate", OTHER, "done")]
    assert {n["principal"] for n in provider.notifications()} == {CONSUMER, OTHER}


def test_second_pass_is_a_no_op(local: LocalAws, provider: ProviderWorld) -> None:
    provider.put_consumers(CONSUMER)
    provider.onboard()
    before = len(ram_writes(local, provider.account))
    summary = provider.onboard()
    assert summary["changes"] == []
    assert summary["unchanged"] == [CONSUMER]
    assert len(ram_writes(local, provider.account)) == before
    assert len(invitations(local, CONSUMER, provider.share_arn)) == 1


def test_removing_a_consumer_takes_its_access_away(local: LocalAws, provider: ProviderWorld) -> None:
    provider.put_consumers(CONSUMER)
    provider.onboard()
    consumer_ram = local.session(CONSUMER).client("ram")
    (invitation,) = invitations(local, CONSUMER, provider.share_arn)
    consumer_ram.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"], clientToken="accept-1"
    )
    local.clock.advance(seconds=30)  # RAM completes the accept asynchronously
    listed = consumer_ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]
    assert [r["arn"] for r in listed] == [provider.configuration_arn]

    provider.put_consumers("[]")
    summary = provider.onboard()
    assert [(c["action"], c["principal"], c["ok"]) for c in summary["changes"]] == [
        ("disassociate", CONSUMER, True)
    ]
    assert consumer_ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"] == []
    assert consumer_ram.get_resource_shares(resourceOwner="OTHER-ACCOUNTS")["resourceShares"] == []
    assert provider.principals() == {CONSUMER: "DISASSOCIATED"}


def test_readding_a_removed_consumer_invites_it_again(local: LocalAws, provider: ProviderWorld) -> None:
    provider.put_consumers(CONSUMER)
    provider.onboard()
    provider.put_consumers("[]")
    provider.onboard()
    provider.put_consumers(CONSUMER)
    summary = provider.onboard()  # a new client token: not a replay of the first association
    assert summary["ok"] is True
    assert [i["status"] for i in invitations(local, CONSUMER, provider.share_arn)] == ["PENDING"]


def test_malformed_consumer_list_is_rejected_and_changes_nothing(
    local: LocalAws, provider: ProviderWorld
) -> None:
    provider.put_consumers(CONSUMER)
    provider.onboard()
    provider.notifications()
    writes = len(ram_writes(local, provider.account))

    provider.put_consumers(f"{OTHER},12345678901,not-an-account")
    summary = provider.onboard()
    assert summary["ok"] is False
    assert summary["error"].startswith("consumer list rejected, no change made")
    assert summary["problems"] == [
        "entry 2 '12345678901' is not a 12-digit AWS account id",
        "entry 3 'not-an-account' is not a 12-digit AWS account id",
    ]
    assert len(ram_writes(local, provider.account)) == writes  # no RAM write at all
    assert provider.principals() == {CONSUMER: "ASSOCIATING"}  # the consumer keeps its pending invitation
    assert invitations(local, OTHER, provider.share_arn) == []
    assert provider.audit_events()[-1] == ("consumer-list-rejected", "-", "rejected")
    (note,) = provider.notifications()
    assert note["problems"] == summary["problems"]


def test_expired_invitation_is_sent_again_by_the_schedule(local: LocalAws, provider: ProviderWorld) -> None:
    provider.put_consumers(CONSUMER)
    provider.onboard()
    local.clock.advance(timedelta(hours=13))
    assert [i["status"] for i in invitations(local, CONSUMER, provider.share_arn)] == ["EXPIRED"]
    summary = provider.onboard({"source": "aws.scheduler", "detail-type": "Scheduled Event", "detail": {}})
    assert [(c["action"], c["ok"]) for c in summary["changes"]] == [("associate", True)]
    assert "PENDING" in [i["status"] for i in invitations(local, CONSUMER, provider.share_arn)]


def test_refused_principal_is_reported_and_others_proceed(local: LocalAws) -> None:
    """A share restricted to the organization refuses an outside account; RAM's error is kept, not raised."""
    world = build_provider(local, allow_external=False)
    local.set_organization_sharing([world.account, CONSUMER])
    world.put_consumers(f"{CONSUMER},{OTHER}")
    summary = world.onboard()
    outcome = {c["principal"]: (c["ok"], c["error"].split(":")[0]) for c in summary["changes"]}
    assert outcome == {CONSUMER: (True, ""), OTHER: (False, "OperationNotPermittedException")}
    assert world.principals() == {CONSUMER: "ASSOCIATED"}  # same organization: no invitation needed


def test_every_call_the_onboarding_makes_is_allowed_by_its_iam_policy(
    local: LocalAws, provider: ProviderWorld
) -> None:
    provider.put_consumers(CONSUMER)
    start = len(local.call_log)
    provider.onboard()
    provider.put_consumers("[]")
    provider.onboard()
    made = {
        f"{service}:{op}"
        for acct, service, op in local.call_log[start:]
        if acct == provider.account and not (service == "ssm" and op == "PutParameter")
    }
    template = provider.app.__file__ and (provider_template_policy())
    assert made, "the call log recorded nothing"
    assert made <= template, f"calls outside the IAM policy: {sorted(made - template)}"


def provider_template_policy() -> set[str]:
    template = load_template(ROOT / "provider" / "template.yaml")
    statements = template["Resources"]["OnboardingFunction"]["Properties"]["Policies"][0]["Statement"]
    actions: set[str] = set()
    for statement in statements:
        granted = statement["Action"]
        actions.update(granted if isinstance(granted, list) else [granted])
    return actions
