"""Fixtures of the consumer's unit tests (tests/unit/consumer) and of its handler's (tests/unit/runtime): a
valid policy and an in-memory consumer account.

The helpers the tests import live beside this file, in modules named after what they fake
(``consumer_fakes``, ``provider_fakes``): pytest imports this conftest from this directory (no
``__init__.py``: the "prepend" import mode puts the directory on ``sys.path``), so the tests of every
sub-directory import the same fakes. Test directories have no ``__init__.py``, so every module name in them is
unique; nothing imports a ``conftest`` by name (which one ``conftest`` is depends on the order of collection).
"""

from __future__ import annotations

import pytest
from consumer_fakes import FakeAccount, faked_controller, make_policy

from linkpilot.consumer.policy import TrustPolicy
from linkpilot.consumer.ports import Controller


@pytest.fixture
def policy() -> TrustPolicy:
    return make_policy()


@pytest.fixture
def account() -> FakeAccount:
    return FakeAccount()


@pytest.fixture
def controller(account: FakeAccount) -> Controller:
    return faked_controller(account)
