"""The trust policy's trip through one reconcile: compiled once, planned with in one room, never re-read.

The trip is measured, not read off the code: a profiler (every thread) follows each Python frame that
receives the policy or its compiled rules as an argument (``*args`` and ``**kwargs`` included, ``self``
not), and the module where the followed object is at each moment: it arrives with a call and is back in the
caller's module when that call returns, so a module that calls out and is called back shows every time. A
stay is a run of moments in one module; a return is a stay in a module the trip had already left. Generated
code is not followed: a dataclass's ``__init__`` only stores what it is given (counted, the ``Plan`` storing
its rules would add planning -> models -> planning, twice). The scenario runs every phase: an invitation
accepted and one rejected, an endpoint created, one probed, one deleted (so the re-check before deleting
plans again).

Before issue 23 the policy itself went everywhere: 29 stays in 5 modules, 24 returns (reconcile, then the
planner's two modules and its targets in turn, back and forth, twice). Now: reconcile -> rules ->
reconcile -> planning -> reconcile -> planning -> reconcile; each planning step gets only its own section.
"""

from __future__ import annotations

import copy
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

from consumer_fakes import (
    TRUSTED,
    UNTRUSTED,
    VPC,
    FakeAccount,
    config_arn,
    faked_controller,
    make_policy,
)

from linkpilot.consumer.models import CONFIGURATION_TAG, MANAGED_TAG, ActionKind, Outcome
from linkpilot.consumer.planning import PlanRules
from linkpilot.consumer.policy import TrustPolicy
from linkpilot.consumer.ports import Controller
from linkpilot.consumer.reconcile import reconcile

MAX_RETURNS = 4
_VARARGS, _VARKEYWORDS = 0x04, 0x08  # inspect.CO_VARARGS, inspect.CO_VARKEYWORDS


def _arguments(frame: FrameType) -> list[Any]:
    code = frame.f_code
    count = code.co_argcount + code.co_kwonlyargcount
    names, values = code.co_varnames, frame.f_locals
    found = [values.get(name) for name in names[:count] if name != "self"]
    if code.co_flags & _VARARGS:
        found.extend(values.get(names[count]) or ())
        count += 1
    if code.co_flags & _VARKEYWORDS:
        found.extend((values.get(names[count]) or {}).values())
    return found


def trip(run: Callable[[], object], followed: Callable[[object], bool]) -> list[str]:
    """The modules the followed object stays in while ``run`` runs, in order (see the module docstring)."""
    stays: list[str] = []
    stacks: dict[int, list[FrameType]] = {}
    lock = threading.Lock()

    def arrive(frame: FrameType) -> None:
        module = frame.f_globals.get("__name__", "?")
        with lock:
            if not stays or stays[-1] != module:
                stays.append(module)

    def profile(frame: FrameType, event: str, _arg: object) -> None:
        stack = stacks.setdefault(threading.get_ident(), [])
        generated = frame.f_code.co_filename.startswith("<")  # a dataclass's __init__: it only stores
        if event == "call" and not generated and any(followed(v) for v in _arguments(frame)):
            stack.append(frame)
            arrive(frame)
        elif event == "return" and stack and stack[-1] is frame:
            stack.pop()
            if stack:
                arrive(stack[-1])

    threading.setprofile_all_threads(profile)
    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
        threading.setprofile_all_threads(None)
    return stays


def returns(stays: list[str]) -> int:
    return len(stays) - len(set(stays))


def walk(stays: list[str]) -> str:
    return " -> ".join(s.removeprefix("linkpilot.consumer.") for s in stays)


def _every_phase() -> tuple[TrustPolicy, Controller, FakeAccount]:
    policy = make_policy(unshare_grace_minutes=0, untrusted_invitations="reject")
    account = FakeAccount()
    account.invite(TRUSTED, 1)  # trusted, pending: inspected and accepted
    account.invite(UNTRUSTED, 2)  # untrusted: rejected
    account.org_share(TRUSTED, 3)  # shared and available: gets an endpoint
    account.org_share(TRUSTED, 4)  # shared, with an available endpoint: probed
    tags = {MANAGED_TAG: "true", CONFIGURATION_TAG: config_arn(TRUSTED, 4)}
    account.add_endpoint(
        vpc_id=VPC, state="pending", resource_configuration_arn=config_arn(TRUSTED, 4), tags=tags
    )
    account.make_available()
    gone = {MANAGED_TAG: "true", CONFIGURATION_TAG: config_arn(TRUSTED, 5)}  # no longer shared: deleted
    account.add_endpoint(
        vpc_id=VPC, state="available", resource_configuration_arn=config_arn(TRUSTED, 5), tags=gone
    )
    controller = faked_controller(account)
    return policy, controller, account


def test_the_policy_is_compiled_once_and_its_trip_returns_at_most_four_times() -> None:
    policy, controller, _ = _every_phase()
    reports = []
    stays = trip(
        lambda: reports.append(reconcile(policy, controller)),
        lambda v: isinstance(v, TrustPolicy | PlanRules),
    )
    (report,) = reports
    done = [(r.action.kind, r.outcome) for r in report.results]
    assert done == [
        (ActionKind.ACCEPT_INVITATION, Outcome.DONE),
        (ActionKind.REJECT_INVITATION, Outcome.DONE),
        (ActionKind.CREATE_ENDPOINT, Outcome.DONE),
        (ActionKind.DELETE_ENDPOINT, Outcome.DONE),
    ]
    assert len(report.plan.probe_targets) == 1
    print(f"\n{len(stays)} stays in {len(set(stays))} modules, {returns(stays)} returns: {walk(stays)}")
    assert returns(stays) <= MAX_RETURNS, walk(stays)
    # the policy itself never leaves reconcile but to be compiled
    policy_stays = trip(lambda: reconcile(policy, _every_phase()[1]), lambda v: v is policy)
    assert walk(policy_stays) == "reconcile -> planning.rules -> reconcile"


class _Token:
    pass


def _here(_: object) -> None:
    pass


def test_the_measure_follows_calls_returns_threads_and_star_args() -> None:
    """The measure itself: the token goes to ``copy`` and back, then through an executor's ``submit(fn,
    *args)`` to a worker thread that runs a function of this module."""
    token = _Token()

    def visit(t: object) -> None:
        copy.copy(t)
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(_here, t).result()

    stays = trip(lambda: visit(token), lambda v: v is token)
    assert stays == [__name__, "copy", __name__, "concurrent.futures.thread", __name__]
    assert returns(stays) == 2
