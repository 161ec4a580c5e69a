"""The loopback-only guard the tests and the demo run under."""

from __future__ import annotations

import socket

import pytest

from linkpilot_local.netguard import NonLoopbackConnection


@pytest.mark.network
@pytest.mark.parametrize("host", ["10.0.1.5", "172.16.0.1", "192.168.1.1", "8.8.8.8", "example.internal"])
def test_non_loopback_addresses_are_refused_before_any_packet(host):
    with socket.socket() as s, pytest.raises(NonLoopbackConnection):
        s.connect((host, 80))
    with socket.socket() as s, pytest.raises(NonLoopbackConnection):
        s.connect_ex((host, 80))


@pytest.mark.network
def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.9", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
