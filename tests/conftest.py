"""Test-wide guards.

Network rule for this repository: tests may open connections to loopback (127.0.0.0/8) only.
Unit tests (tests/unit) and the repository's contract checks (tests/contract) get no sockets at all unless
marked ``network``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from linkpilot_local import netguard

# The ``local_aws`` fixture: in-process moto plus the Linkpilot local AWS emulation.
pytest_plugins = ["linkpilot_local.pytest_plugin"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # IAM exactness records (reliability/iam_recorder.py) are written here, not in that suite's conftest: the
    # xdist controlling process collects no test, so it never loads a sub-directory's conftest.
    from reliability.iam_recorder import write_records

    write_records(session, exitstatus)


@pytest.fixture(autouse=True)
def _loopback_only() -> Iterator[None]:
    # per test: pytest-socket puts the real socket.connect back after every test it sees
    netguard.install()
    yield
    netguard.uninstall()


@pytest.fixture(autouse=True)
def _no_sockets_in_unit_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    path = str(request.node.path)
    offline = "/tests/unit/" in path or "/tests/contract/" in path
    if offline and request.node.get_closest_marker("network") is None:
        from pytest_socket import disable_socket, enable_socket

        disable_socket(allow_unix_socket=True)
        yield
        enable_socket()
    else:
        yield


@pytest.fixture(autouse=True)
def _no_real_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test ever signs a request with real credentials or picks up a developer's profile."""
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Linkpilot")


@pytest.fixture
def reference_responder() -> Iterator[Any]:
    """The reference target (``Hello, World!`` on a loopback port), running for one test."""
    from linkpilot_demo.reference_target import reference_target

    responder = reference_target()
    responder.start()
    yield responder
    responder.stop()
