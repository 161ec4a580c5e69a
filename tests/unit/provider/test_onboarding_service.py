"""The onboarding pass over fakes: changes, refusals, rejections, audit and notifications."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from provider_fakes import SHARE, FakeAudit, FakeNotifier, FakeShare

from linkpilot.aws.errors import transient
from linkpilot.errors import Transient
from linkpilot.provider.plan import SharingMode
from linkpilot.provider.service import Outputs, sync_share_principals


def sync(
    raw: str,
    share: FakeShare,
    audit: FakeAudit,
    notifier: FakeNotifier,
    mode: SharingMode = SharingMode.ACCOUNTS,
):
    return sync_share_principals(raw, share_arn=SHARE, mode=mode, share=share, out=Outputs(audit, notifier))


def test_adds_and_removes_then_is_idempotent(audit: FakeAudit, notifier: FakeNotifier) -> None:
    share = FakeShare({"333333333333": "ASSOCIATED", "444444444444": "ASSOCIATED"})
    report = sync("222222222222,333333333333", share, audit, notifier)
    assert report.summary()["ok"] is True
    assert [(c[0], c[1]) for c in share.calls] == [
        ("associate", "222222222222"),
        ("disassociate", "444444444444"),
    ]
    assert report.metrics() == {
        "PrincipalsAssociated": 1,
        "PrincipalsDisassociated": 1,
        "PrincipalChangeFailures": 0,
        "OnboardingConfigErrors": 0,
    }
    assert [(e.event, e.principal, e.outcome) for e in audit.entries] == [
        ("associate", "222222222222", "done"),
        ("disassociate", "444444444444", "done"),
    ]
    assert all(e.consumer_list_digest == report.consumer_list_digest for e in audit.entries)
    assert [m[0] for m in notifier.messages] == [
        "Linkpilot provider: consumer added to the share",
        "Linkpilot provider: consumer removed from the share",
    ]

    share.calls.clear()
    again = sync("222222222222,333333333333", share, audit, notifier)
    assert share.calls == []
    assert again.summary()["unchanged"] == ["222222222222", "333333333333"]


def test_malformed_list_changes_nothing_and_says_why(audit: FakeAudit, notifier: FakeNotifier) -> None:
    share = FakeShare({"444444444444": "ASSOCIATED"})
    report = sync("222222222222,12345", share, audit, notifier)
    assert share.calls == []
    assert share.associations == {"444444444444": "ASSOCIATED"}
    assert "entry 2 '12345' is not a 12-digit AWS account id" in report.error
    assert report.summary()["ok"] is False
    assert report.metrics()["OnboardingConfigErrors"] == 1
    assert audit.entries[0].event == "consumer-list-rejected"
    assert audit.entries[0].outcome == "rejected"
    assert "no change made" in notifier.messages[0][0]
    assert notifier.messages[0][1]["problems"] == ["entry 2 '12345' is not a 12-digit AWS account id"]


def test_one_refused_principal_does_not_block_the_others(audit: FakeAudit, notifier: FakeNotifier) -> None:
    share = FakeShare()
    share.refuse["222222222222"] = "OperationNotPermittedException"
    report = sync("222222222222,333333333333", share, audit, notifier)
    assert share.associations == {"333333333333": "ASSOCIATED"}
    assert report.metrics()["PrincipalChangeFailures"] == 1
    assert report.summary()["ok"] is False
    refused = next(e for e in audit.entries if e.outcome == "refused")
    assert refused.principal == "222222222222"
    assert "OperationNotPermittedException" in refused.reason
    assert "Linkpilot provider: associate refused" in [m[0] for m in notifier.messages]


def test_missing_share_is_reported_not_retried(audit: FakeAudit, notifier: FakeNotifier) -> None:
    report = sync("222222222222", FakeShare(exists=False), audit, notifier)
    assert "not found" in report.error
    assert audit.entries[0].event == "share-not-found"


def test_throttling_propagates_so_the_platform_retries(audit: FakeAudit, notifier: FakeNotifier) -> None:
    share = FakeShare()
    share.raise_on_write = transient(
        ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "AssociateResourceShare")
    )
    with pytest.raises(Transient):
        sync("222222222222", share, audit, notifier)


def test_organization_mode_shares_with_the_ou(audit: FakeAudit, notifier: FakeNotifier) -> None:
    ou = "arn:aws:organizations::999999999999:ou/o-abcdefghij/ou-ab12-cdefgh34"
    share = FakeShare({"222222222222": "ASSOCIATED"})
    sync(ou, share, audit, notifier, mode=SharingMode.ORGANIZATION)
    assert [(c[0], c[1]) for c in share.calls] == [("associate", ou), ("disassociate", "222222222222")]


def test_duplicate_delivery_sends_the_same_client_token(audit: FakeAudit, notifier: FakeNotifier) -> None:
    first, second = FakeShare(), FakeShare()
    sync("222222222222", first, audit, notifier)
    sync("222222222222", second, audit, notifier)
    assert first.calls[0][2] == second.calls[0][2]
