"""The pure provider-onboarding core: consumer list validation and the principal plan."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkpilot.provider.plan import (
    ConsumerList,
    ConsumerListError,
    PrincipalAssociation,
    PrincipalChange,
    SharingMode,
    account_of_arn,
    client_token,
    parse_consumer_list,
    plan_principals,
)

PROVIDER = "111111111111"
SHARE = f"arn:aws:ram:us-east-1:{PROVIDER}:resource-share/0c5f4a9e-1111-2222-3333-444455556666"
ORG = "arn:aws:organizations::999999999999:organization/o-abcdefghij"
OU = "arn:aws:organizations::999999999999:ou/o-abcdefghij/ou-ab12-cdefgh34"


def accounts(raw: str) -> ConsumerList:
    return parse_consumer_list(raw, mode=SharingMode.ACCOUNTS, provider_account_id=PROVIDER)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("222222222222", {"222222222222"}),
        ("222222222222,333333333333", {"222222222222", "333333333333"}),
        (" 222222222222 , 333333333333 ,", {"222222222222", "333333333333"}),
        ("222222222222\n333333333333\n", {"222222222222", "333333333333"}),
        ('["222222222222", "333333333333", "222222222222"]', {"222222222222", "333333333333"}),
        ("[]", set()),
    ],
)
def test_accepts_string_list_and_json(raw: str, expected: set[str]) -> None:
    assert accounts(raw).principals == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("22222222222", "entry 1 '22222222222' is not a 12-digit AWS account id"),
        ("222222222222,33333333333x", "entry 2 '33333333333x'"),
        ("222222222222,1111111111111", "entry 2 '1111111111111'"),
        (PROVIDER, "is the provider account itself"),
        (OU, "need SharingMode=organization"),
        ('["222222222222", 333333333333]', "JSON entries must be strings"),
        ('["222222222222",', "not valid JSON"),
    ],
)
def test_malformed_list_is_rejected_with_a_clear_message(raw: str, fragment: str) -> None:
    with pytest.raises(ConsumerListError) as caught:
        accounts(raw)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("consumer list rejected, no change made")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConsumerListError) as caught:
        accounts("12345,222222222222,abc")
    assert len(caught.value.problems) == 2
    assert "entry 1 '12345'" in caught.value.problems[0]
    assert "entry 3 'abc'" in caught.value.problems[1]


def test_organization_mode_takes_org_and_ou_arns_only() -> None:
    parsed = parse_consumer_list(f"{ORG},{OU}", mode=SharingMode.ORGANIZATION, provider_account_id=PROVIDER)
    assert parsed.principals == {ORG, OU}
    with pytest.raises(ConsumerListError, match="is not an organization ARN"):
        parse_consumer_list("222222222222", mode=SharingMode.ORGANIZATION, provider_account_id=PROVIDER)
    with pytest.raises(ConsumerListError, match="is not an organization ARN"):
        parse_consumer_list(
            "arn:aws:organizations::999999999999:ou/o-abcdefghij/not-an-ou",
            mode=SharingMode.ORGANIZATION,
            provider_account_id=PROVIDER,
        )


def test_digest_ignores_order_and_duplicates_but_not_content() -> None:
    assert accounts("222222222222,333333333333").digest == accounts("333333333333,222222222222,").digest
    assert accounts("222222222222").digest != accounts("333333333333").digest


def test_plan_adds_missing_and_removes_undeclared() -> None:
    plan = plan_principals(
        accounts("222222222222,333333333333"),
        [
            PrincipalAssociation("333333333333", "ASSOCIATED"),
            PrincipalAssociation("444444444444", "ASSOCIATED"),
        ],
    )
    assert plan.to_associate == ("222222222222",)
    assert plan.to_disassociate == ("444444444444",)
    assert plan.unchanged == ("333333333333",)


def test_plan_is_empty_when_in_sync() -> None:
    plan = plan_principals(
        accounts("222222222222"),
        [PrincipalAssociation("222222222222", "ASSOCIATING")],
    )
    assert plan.changes == ()


@pytest.mark.parametrize("status", ["FAILED", "DISASSOCIATED", "DISASSOCIATING"])
def test_declared_principal_without_a_holding_association_is_associated_again(status: str) -> None:
    plan = plan_principals(
        accounts("222222222222"), [PrincipalAssociation("222222222222", status, "2026-01-01T00:00:00")]
    )
    assert plan.to_associate == ("222222222222",)
    assert status in plan.changes[0].reason
    assert plan.changes[0].observed_status == status


@pytest.mark.parametrize("status", ["FAILED", "DISASSOCIATED", "DISASSOCIATING"])
def test_undeclared_principal_already_without_access_needs_nothing(status: str) -> None:
    assert plan_principals(accounts("[]"), [PrincipalAssociation("222222222222", status)]).changes == ()


def test_an_old_disassociated_record_next_to_a_live_one_is_not_a_change() -> None:
    plan = plan_principals(
        accounts("222222222222"),
        [
            PrincipalAssociation("222222222222", "DISASSOCIATED", "2026-01-01"),
            PrincipalAssociation("222222222222", "ASSOCIATED", "2026-01-02"),
        ],
    )
    assert plan.changes == ()


def test_client_token_is_deterministic_and_distinguishes_attempts() -> None:
    first = PrincipalChange("associate", "222222222222", "r", "")
    again = PrincipalChange("associate", "222222222222", "other reason", "")
    after_removal = PrincipalChange("associate", "222222222222", "r", "DISASSOCIATED", "2026-01-02")
    assert client_token(SHARE, first) == client_token(SHARE, again)
    assert client_token(SHARE, first) != client_token(SHARE, after_removal)
    assert len(client_token(SHARE, first)) == 36  # UUID-shaped, as RAM recommends


def test_account_of_arn() -> None:
    assert account_of_arn(SHARE) == PROVIDER
    assert account_of_arn("not-an-arn") == ""


account_ids = st.from_regex(r"\A[2-9]\d{11}\Z")
statuses = st.sampled_from(
    ["ASSOCIATED", "ASSOCIATING", "FAILED", "DISASSOCIATED", "DISASSOCIATING", "SUSPENDED"]
)


@given(
    desired=st.frozensets(account_ids, max_size=8),
    actual=st.lists(st.tuples(account_ids, statuses), max_size=12),
)
def test_applying_the_plan_converges(desired: frozenset[str], actual: list[tuple[str, str]]) -> None:
    """After the plan exactly the declared principals hold access, and a second plan is empty."""
    associations = [PrincipalAssociation(p, s) for p, s in actual]
    consumers = ConsumerList(SharingMode.ACCOUNTS, desired)
    plan = plan_principals(consumers, associations)
    holding = {a.principal for a in associations if a.status in {"ASSOCIATED", "ASSOCIATING", "SUSPENDED"}}
    after = (holding | set(plan.to_associate)) - set(plan.to_disassociate)
    assert after == desired
    assert not set(plan.to_associate) & set(plan.to_disassociate)
    applied = [PrincipalAssociation(p, "ASSOCIATED") for p in after]
    assert plan_principals(consumers, applied).changes == ()
