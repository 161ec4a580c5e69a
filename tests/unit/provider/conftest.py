"""Fixtures of the provider unit tests."""

from __future__ import annotations

import pytest
from provider_fakes import FakeAudit, FakeNotifier


@pytest.fixture
def audit() -> FakeAudit:
    return FakeAudit()


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()
