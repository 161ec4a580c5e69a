"""Test-wide guards.

Network rule for this repository: tests may open connections to loopback (127.0.0.0/8) only.
Unit tests (tests/unit) get no sockets at all unless marked ``network``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from typing import Any

import pytest

# The ``local_aws`` fixture: in-process moto plus the Linkpilot local AWS emulation.
pytest_plugins = ["linkpilot_local.pytest_plugin"]

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NonLoopbackConnection(RuntimeError):
    """A test tried to reach an address outside 127.0.0.0/8."""


def _check(address: Any) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX
        return
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise NonLoopbackConnection(f"connect to unresolved host {host!r} refused in tests") from None
    if not ip.is_loopback:
        raise NonLoopbackConnection(f"connect to {host} refused: tests reach loopback only")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check(address)
    _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check(address)
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _no_sockets_in_unit_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    path = str(request.node.path)
    if "/tests/unit/" in path and request.node.get_closest_marker("network") is None:
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
