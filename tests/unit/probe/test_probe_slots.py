"""How many sockets the probe may hold (the descriptor limit), what counts as the prober's own shortage, and
how a target with addresses not probed is summarized. No sockets."""

from __future__ import annotations

import errno
import socket
from types import SimpleNamespace

import pytest

from linkpilot.probe import AddressResult, Target
from linkpilot.probe.client import _TargetRun, summarize
from linkpilot.probe.slots import (
    FD_RESERVE,
    LOOKUP_THREADS,
    MAX_SOCKETS,
    descriptor_limit,
    is_shortage,
    open_descriptors,
    socket_slots,
)


@pytest.mark.parametrize(
    ("soft_limit", "open_now", "slots"),
    [
        (1024, 20, 1024 - 20 - FD_RESERVE),  # Lambda's limit: about 900 sockets at once
        (1024, 0, 1024 - FD_RESERVE),
        (256, 10, 256 - 10 - 64),  # the reserve is at most a quarter of the limit
        (64, 10, 64 - 10 - 16),
        (16, 15, 1),  # never below one: a shortage is then waited out socket by socket
        (-1, 30, MAX_SOCKETS),  # RLIM_INFINITY
        (1_048_576, 30, MAX_SOCKETS),  # a container's huge limit: still bounded
        (MAX_SOCKETS + FD_RESERVE + 5, 5, MAX_SOCKETS),
        (MAX_SOCKETS + FD_RESERVE + 5, 6, MAX_SOCKETS - 1),
    ],
)
def test_socket_slots_leave_the_descriptors_in_use_and_a_reserve(soft_limit, open_now, slots):
    assert socket_slots(soft_limit, open_now) == slots


def test_the_reserve_covers_the_lookup_threads():
    assert FD_RESERVE >= 2 * LOOKUP_THREADS  # each getaddrinfo may hold a socket or two


def test_this_process_limit_and_open_descriptors_are_read(tmp_path):
    import resource

    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    assert descriptor_limit() == (-1 if soft == resource.RLIM_INFINITY else soft)
    opened = open_descriptors()
    with (tmp_path / "f").open("w"):
        assert open_descriptors() == opened + 1


@pytest.mark.parametrize(
    ("exc", "shortage"),
    [
        (OSError(errno.EMFILE, "Too many open files"), True),
        (OSError(errno.ENFILE, "Too many open files in system"), True),
        (OSError(errno.ENOBUFS, "No buffer space available"), True),
        (OSError(errno.ENOMEM, "Cannot allocate memory"), True),
        (OSError(errno.EADDRNOTAVAIL, "Cannot assign requested address"), True),
        (MemoryError(), True),
        (socket.gaierror(socket.EAI_MEMORY, "Memory allocation failure"), True),
        (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), False),
        (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), False),
        (OSError(errno.ECONNREFUSED, "Connection refused"), False),
        (OSError("no address for x"), False),
        (ValueError("x"), False),
    ],
)
def test_only_local_shortages_count_as_the_probers_problem(exc, shortage):
    assert is_shortage(exc) is shortage


def _run(*reasons: str | None) -> _TargetRun:
    run = _TargetRun(0, Target(endpoint_id="vpce-1", dns_name="127.0.0.1"), 0.0)
    run.probes = [
        SimpleNamespace(result=AddressResult(f"127.0.0.{i + 1}", reason, error=reason))  # type: ignore[misc]
        for i, reason in enumerate(reasons)
    ]
    return run


@pytest.mark.parametrize(
    ("reasons", "verdict", "reason"),
    [
        (("not_probed",), "not_probed", "not_probed"),
        (("not_probed", "not_probed"), "not_probed", "not_probed"),
        ((None, "not_probed"), "not_probed", "not_probed"),  # could be ok or degraded: no verdict
        (("timeout", "not_probed"), "not_probed", "not_probed"),  # could be down or degraded
        ((None, "timeout", "not_probed"), "degraded", "timeout"),  # degraded whatever the third says
        ((None, None), "ok", None),
        ((None, "timeout"), "degraded", "timeout"),
        (("timeout", "connect"), "down", "timeout"),
    ],
)
def test_a_target_is_never_down_or_ok_on_addresses_it_did_not_probe(reasons, verdict, reason):
    result = summarize(_run(*reasons))
    assert (result.verdict, result.reason) == (verdict, reason)
    assert result.verdict != "down" or "not_probed" not in reasons
