"""pytest fixture ``local_aws``: a started ``LocalAws`` (moto plus the emulation) for one test.

Register with ``pytest_plugins = ["linkpilot_local.pytest_plugin"]`` in a conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .core import LocalAws


@pytest.fixture
def local_aws() -> Iterator[LocalAws]:
    """In-process local AWS in us-east-1; loopback listeners are closed when the test ends."""
    with LocalAws(region="us-east-1") as aws:
        yield aws
