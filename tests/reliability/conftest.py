"""The reliability suite's Hypothesis profiles and its call recorder.

Profiles, chosen with ``HYPOTHESIS_PROFILE`` (default ``ci``):
- ``ci``: what ``make test`` runs — a few hundred examples per property, quick;
- ``bench``: 10,000 examples per property (``make props``, and ``make bench`` through bench/props_bench.py).

Neither profile has a Hypothesis deadline: a per-example wall-clock deadline fails a property (Hypothesis
reports "unreliable test timings") whenever a loaded machine stalls one example. What bounds a property run
instead is its pytest timeout, fitted to its example count: ``max_examples`` x ``EXAMPLE_BUDGET_S`` when that
is more than the session's ``--timeout`` (120 s from pyproject; ``--timeout=0`` still turns timeouts off). At
10,000 examples that is 2,000 s a property. An example costs ~2-4 ms of CPU here; the slowest property took
98 s on the 2-core machine at a load average of 6 to 8, and 496 s at a load average of 11 to 12 (the run
getting ~10% of a core): the budget keeps a 4x margin over that, and a hang still ends the run.

The call recorder (``iam_recorder``) attributes every call the local AWS sees to the function whose code
made it, for the IAM exactness test; its test runs last in the session.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from .iam_recorder import install_recorder

EXAMPLE_BUDGET_S = 0.2

settings.register_profile("ci", max_examples=200, deadline=None, print_blob=True)
settings.register_profile(
    "bench",
    max_examples=10_000,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def property_timeout(max_examples: int) -> float:
    """Seconds a property with ``max_examples`` examples may run (see the module's docstring)."""
    return max_examples * EXAMPLE_BUDGET_S


def _max_examples(item: pytest.Item) -> int | None:
    """The example count a Hypothesis test of this suite runs with, or None for any other test."""
    fn = getattr(item, "obj", None)
    if not getattr(fn, "is_hypothesis_test", False) or _HERE not in item.path.parents:
        return None
    own = getattr(fn, "_hypothesis_internal_use_settings", None)  # @settings(...) on the test, if any
    return int((own or settings.default).max_examples)


_HERE = Path(__file__).resolve().parent
_fitted: dict[str, float] = {}


def pytest_configure(config: pytest.Config) -> None:
    install_recorder()


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Properties get their fitted timeout where it exceeds the session's; the test of recorded calls goes
    last: every other test (integration, e2e, faults) records first."""
    session_timeout = float(config.getoption("timeout", None) or 0)
    for item in items:
        examples = _max_examples(item)
        if examples is None or session_timeout <= 0 or item.get_closest_marker("timeout") is not None:
            continue
        if property_timeout(examples) > session_timeout:
            _fitted[item.nodeid] = property_timeout(examples)
            item.add_marker(pytest.mark.timeout(_fitted[item.nodeid]))
    last = [i for i in items if i.get_closest_marker("after_all_calls_recorded")]
    if last:
        items[:] = [i for i in items if i not in last] + last


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line naming the fitted timeouts (bench/props_bench.py reads it)."""
    if _fitted:
        longest = max(_fitted.values())
        terminalreporter.write_line(
            f"property timeout: {longest:g} s per property (examples x {EXAMPLE_BUDGET_S:g} s)"
        )
