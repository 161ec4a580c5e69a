"""The reliability suite's Hypothesis profiles and its call recorder.

Profiles, chosen with ``HYPOTHESIS_PROFILE`` (default ``ci``):
- ``ci``: what ``make test`` runs — a few hundred examples per property, quick;
- ``bench``: 10,000 examples per property (``make props``, and ``make bench`` through bench/props_bench.py).

The call recorder (``iam_recorder``) attributes every call the local AWS sees to the function whose code
made it, for the IAM exactness test; its test runs last in the session.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from .iam_recorder import install_recorder, pytest_sessionfinish  # noqa: F401 - the recorder's hook

settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.register_profile(
    "bench",
    max_examples=10_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "after_all_calls_recorded: runs after every other test of the session")
    install_recorder()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """The test of recorded calls goes last: every other test (integration, e2e, faults) records first."""
    last = [i for i in items if i.get_closest_marker("after_all_calls_recorded")]
    if last:
        items[:] = [i for i in items if i not in last] + last
