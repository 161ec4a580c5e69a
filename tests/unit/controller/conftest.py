"""Fixtures of the controller unit tests: a valid policy and an in-memory consumer account."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from controller_fakes import FakeAccount, FakeAudit, FakeNotifier, FakeSchedules

from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.policy import PolicyError, TrustPolicy, parse_policy
from linkpilot.consumer.ports import Controller, Ports, RunClock

TRUSTED = "111111111111"
OTHER_TRUSTED = "333333333333"
UNTRUSTED = "999999999999"
VPC = "vpc-0123456789abcdef0"
NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def policy_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "trusted_accounts": [TRUSTED, OTHER_TRUSTED],
        "endpoint": {
            "vpc_id": VPC,
            "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            "security_group_ids": ["sg-0bbbbbbbbbbbbbbb1"],
        },
    }
    doc.update(overrides)
    return doc


def make_policy(**overrides: Any) -> TrustPolicy:
    return parse_policy(json.dumps(policy_doc(**overrides)))


def policy_problems(doc: object) -> list[str]:
    """The problems ``parse_policy`` names for a document that must not validate."""
    with pytest.raises(PolicyError) as err:
        parse_policy(json.dumps(doc))
    return list(err.value.problems)


@pytest.fixture
def policy() -> TrustPolicy:
    return make_policy()


@pytest.fixture
def account() -> FakeAccount:
    return FakeAccount()


@pytest.fixture
def controller(account: FakeAccount) -> Controller:
    return Controller(
        Ports(
            ram=account,
            ec2=account,
            schedules=FakeSchedules(),
            audit=FakeAudit(),
            notifier=FakeNotifier(),
            memory=ControllerMemory(),
        ),
        clock=RunClock(lambda: NOW),
    )
