"""The one way a run holds the lease (``linkpilot.lease.lease_held``): a reconcile, a cleanup and an
onboarding pass take it, give it back (or keep it), and read the shared clock the same way."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from linkpilot.errors import Transient
from linkpilot.lease import Covered, GiveBack, Lease, LeaseBusy, LeaseTiming, lease_held

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
LAYER = Path(__file__).resolve().parents[2] / "layers" / "linkpilot" / "linkpilot"


class Table:
    """The lease item in memory; ``release`` may fail like AWS."""

    def __init__(self, held: Lease | None = None) -> None:
        self.held = held
        self.log: list[str] = []
        self.release_fails: Exception | None = None

    def peek(self, name: str) -> Lease | None:
        return self.held

    def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
        if self.held is None or self.held.expires_at < now:
            self.held = lease
            self.log.append(f"take {lease.owner}")
            return None
        return self.held

    def take_over(self, lease: Lease, seen: Lease) -> Lease | None:
        raise AssertionError("not used here")

    def release(self, lease: Lease, now: datetime) -> None:
        self.log.append(f"release {lease.owner} at {now:%H:%M:%S}")
        if self.release_fails is not None:
            raise self.release_fails
        if self.held is not None and self.held.owner == lease.owner:
            self.held = None

    def abandon(self, lease: Lease, now: datetime) -> None:
        raise AssertionError("not used here")

    def abandon_over(self, lease: Lease, seen: Lease) -> None:
        raise AssertionError("not used here")


class Shared:
    """A shared clock whose bounds are a second apart, recording ``begin``."""

    def __init__(self) -> None:
        self.now = NOW
        self.begun = 0

    def begin(self) -> None:
        self.begun += 1

    def stamp(self) -> datetime:
        return self.now

    def earliest(self) -> datetime:
        return self.now

    def latest(self) -> datetime:
        return self.now + timedelta(seconds=1)

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def held(table: Table | None, clock: Shared, **kw: object):  # type: ignore[no-untyped-def]
    return lease_held(
        table,  # type: ignore[arg-type]
        name="reconcile",
        owner=str(kw.pop("owner", "run-1")),
        timing=LeaseTiming(wait_s=float(kw.pop("wait_s", 60.0)), poll_s=1),  # type: ignore[arg-type]
        clock=clock,
        sleep=clock.sleep,
        **kw,  # type: ignore[arg-type]
    )


def test_without_a_lease_nothing_is_taken_and_the_clock_is_still_read_afresh():
    clock = Shared()
    with held(None, clock) as lease:
        assert lease is None
    assert clock.begun == 1


def test_taken_for_the_run_and_given_back_at_the_clocks_latest():
    table, clock = Table(), Shared()
    with held(table, clock) as lease:
        assert isinstance(lease, Lease) and lease.owner == "run-1"
        assert lease.expires_at == NOW + timedelta(seconds=330)
        assert table.held == lease
        clock.now += timedelta(seconds=5)
    assert table.log == ["take run-1", "release run-1 at 12:00:06"]
    assert table.held is None and clock.begun == 1


def test_given_back_when_the_run_fails_and_the_runs_error_is_what_raises():
    table, clock = Table(), Shared()
    with pytest.raises(Transient, match="Throttling"), held(table, clock):
        raise Transient("ThrottlingException", "slow down")
    assert table.log[-1].startswith("release run-1") and table.held is None


def test_kept_when_the_run_says_so():
    table, clock = Table(), Shared()
    with held(table, clock, give_back=GiveBack.NO) as lease:
        pass
    assert table.log == ["take run-1"] and table.held == lease


def test_a_failed_give_back_raises_unless_it_is_best_effort():
    table, clock = Table(), Shared()
    table.release_fails = Transient("InternalServerError", "5xx")
    with pytest.raises(Transient, match="InternalServerError"), held(table, clock):
        pass
    table = Table()
    table.release_fails = Transient("InternalServerError", "5xx")
    with held(table, clock, give_back=GiveBack.BEST_EFFORT) as lease:
        assert isinstance(lease, Lease)
    assert table.log[-1].startswith("release run-1")  # tried; the lease expires by itself


def test_a_hint_covered_by_a_newer_holder_takes_and_gives_back_nothing():
    clock = Shared()
    newer = Lease("reconcile", "run-0", NOW + timedelta(seconds=300), acquired_at=NOW + timedelta(seconds=2))
    table = Table(held=newer)
    with held(table, clock, coalesce=True) as lease:
        assert lease == Covered(newer)
    assert table.log == [] and table.held == newer


def test_held_by_another_for_longer_than_the_wait_is_busy_and_nothing_is_given_back():
    clock = Shared()
    other = Lease("reconcile", "run-0", NOW + timedelta(seconds=300), acquired_at=NOW)
    table = Table(held=other)
    with pytest.raises(LeaseBusy), held(table, clock, wait_s=3):
        raise AssertionError("the run must not start")
    assert table.log == [] and table.held == other


def test_the_lease_is_taken_only_through_lease_held():
    """The reconcile, the cleanup and the onboarding pass all hold it the one way: no other module of the
    layer calls ``acquire``."""
    callers = set()
    for path in LAYER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = (
                    node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                )
                if name == "acquire":
                    callers.add(str(path.relative_to(LAYER)))
    assert callers == {"lease.py"}
    users = {
        str(p.relative_to(LAYER))
        for p in LAYER.rglob("*.py")
        if "lease_held(" in p.read_text(encoding="utf-8")
    }
    assert users >= {"consumer/reconcile.py", "consumer/uninstall.py", "runtime/onboarding.py"}
