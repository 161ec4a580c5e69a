"""Provider integration tests run against the local AWS (in-process)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from provider_world import ProviderWorld, build_provider

from linkpilot_local import LocalAws


@pytest.fixture
def local() -> Iterator[LocalAws]:
    with LocalAws(region="us-east-1") as aws:
        yield aws


@pytest.fixture
def provider(local: LocalAws) -> ProviderWorld:
    return build_provider(local)
