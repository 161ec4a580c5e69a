"""The local Lambda service: runs the deployed functions on their real triggers, on the local AWS's simulated
clock, and nothing else runs them.

The triggers, as AWS delivers them:

- an EventBridge rule: the events the rule matched (RAM's state changes) wait in the function's inbox queue
  (the local deployer's stand-in for the rule's Lambda target) and are delivered as they arrive;
- a ``Schedule`` event of the function (the reconcile schedule, ``rate(5 minutes)``): a ``Scheduled Event``
  every period, the first ``phase`` after the service starts;
- EventBridge Scheduler schedules of a group (the probe schedules the controller maintains, ``rate(...)``):
  each schedule's input, to the function its target names, every period;
- an SQS event source mapping (the controller's follow-up queue): each message once it is receivable (its
  ``DelaySeconds`` runs on the simulated clock), as a one-record SQS event; deleted after a run that did not
  raise (a failed run's message comes back after the queue's visibility timeout, as Lambda's poller does);
- an asynchronous ``Invoke`` (the controller probing new targets at once), delivered at once.

``run_until`` moves the clock from one due trigger to the next (the next scheduled tick, the next message to
become receivable, the next change the emulation makes by itself, such as an accept completing and its RAM
event), so minutes of waiting cost no wall time. Its own reads are not in the call log (``quiet``): what the
log holds is what the functions did. Every invocation is kept in ``invocations`` with its simulated start and
end, its trigger and its result.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from linkpilot_demo.lambdas import LocalFunction
from linkpilot_demo.world import scheduled_event
from linkpilot_local import moto_compat
from linkpilot_local.core import LocalAws
from linkpilot_local.deploy import drain_inbox

_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours)\)")


def rate_period(expression: str) -> timedelta:
    found = _RATE.fullmatch(expression.strip())
    if found is None:
        raise ValueError(f"only rate(N minutes|hours) schedules run locally, not {expression!r}")
    return timedelta(seconds=int(found.group(1)) * (60 if found.group(2).startswith("minute") else 3600))


@dataclass
class Invoked:
    """One invocation: which function, by what, when (simulated), what it returned or raised."""

    function: str
    trigger: str  # event | schedule | scheduler | queue | async
    started: datetime
    ended: datetime
    event: Any = None
    result: Any = None
    error: str = ""


@dataclass
class _Deployed:
    fn: LocalFunction
    session: Any
    extra: Mapping[str, Any] = field(default_factory=dict)


class LocalLambda:
    """The deployed functions (``add``), run on their triggers by :meth:`run_until`."""

    def __init__(self, aws: LocalAws, *, phase: timedelta = timedelta(0)) -> None:
        self.aws = aws
        self.phase = phase
        self.started = aws.clock.now()
        self.invocations: list[Invoked] = []
        self._functions: list[_Deployed] = []
        self._next_fire: dict[tuple[str, str], datetime] = {}  # (kind, key) -> next tick
        self._scheduler_groups: list[tuple[Any, str]] = []  # (session, group)
        self.after_invoke: Callable[[Invoked], None] = lambda _: None
        self.paused: set[str] = set()  # trigger kinds not delivered (the demo probes minute by minute itself)

    def add(self, fn: LocalFunction, session: Any, **extra: Any) -> None:
        """A deployed function; ``extra``: keyword arguments its handler takes here (the probe's resolver)."""
        self._functions.append(_Deployed(fn, session, extra))
        for expression in fn.spec.schedules:
            self._next_fire[("schedule", f"{fn.spec.name}|{expression}")] = self.started + self.phase

    def scheduler_group(self, session: Any, group: str) -> None:
        """Run the EventBridge Scheduler schedules of ``group`` (ticking from the service's start)."""
        self._scheduler_groups.append((session, group))

    # --- running ------------------------------------------------------------------------------------
    def run_for(self, delta: timedelta, stop: Callable[[], bool] = lambda: False) -> None:
        self.run_until(self.aws.clock.now() + delta, stop)

    def run_until(self, end: datetime, stop: Callable[[], bool] = lambda: False) -> None:
        """Deliver every trigger due until ``end`` (or until ``stop()`` holds after a delivery)."""
        clock = self.aws.clock
        while True:
            self._deliver_ready()
            if stop():
                return
            now = clock.now()
            due = min([end, *(t for t in self._upcoming() if t > now)])
            if due > now:
                clock.advance(due - now)
            self.aws.emulation.sweep()  # what the emulation completes by itself (an accept: its event)
            self._fire_ticks()
            if clock.now() >= end and not self._ready():
                self._deliver_ready()
                return

    def _upcoming(self) -> list[datetime]:
        times = list(self._next_fire.values())
        for _session, group in self._scheduler_groups:
            first = self.started + timedelta(minutes=1)
            times.append(self._next_fire.setdefault(("scheduler", group), first))
        change = self.aws.emulation.next_change()
        if change is not None:
            times.append(change)
        for d in self._functions:
            for url in d.fn.spec.queue_sources:
                account, queue = d.fn.spec.arn.split(":")[4], url.rsplit("/", 1)[1]
                times.extend(
                    datetime.fromtimestamp(t, self.started.tzinfo)
                    for t in moto_compat.sqs_message_times(account, self.aws.region, queue)
                )
        return times

    def _ready(self) -> bool:
        return bool(self.aws.emulation.invocations)

    def _fire_ticks(self) -> None:
        now = self.aws.clock.now()
        for (kind, key), at in sorted(self._next_fire.items(), key=lambda kv: kv[1]):
            if at > now:
                continue
            if kind == "schedule":
                name, expression = key.split("|", 1)
                self._next_fire[(kind, key)] = _after(at, rate_period(expression), now)
                d = next(d for d in self._functions if d.fn.spec.name == name)
                account = d.fn.spec.arn.split(":")[4]
                if "schedule" not in self.paused:
                    self._invoke(d, scheduled_event(account, self.aws.region, now), "schedule")
            else:
                self._next_fire[(kind, key)] = _after(at, timedelta(minutes=1), now)
                if "scheduler" not in self.paused:
                    self._fire_scheduler_group(key)

    def _fire_scheduler_group(self, group: str) -> None:
        session = next(s for s, g in self._scheduler_groups if g == group)
        with self.aws.emulation.quiet():
            scheduler = session.client("scheduler")
            names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
            targets = [scheduler.get_schedule(GroupName=group, Name=n)["Target"] for n in sorted(names)]
        for target in targets:
            d = self._by_name(target["Arn"])
            if d is not None:
                self._invoke(d, json.loads(target.get("Input") or "{}"), "scheduler")

    def _deliver_ready(self) -> None:
        """Everything deliverable now: async invocations, inbox events, receivable queue messages; again
        until nothing is left (a run's own events and invocations are delivered too)."""
        while True:
            delivered = 0
            while self.aws.emulation.invocations:
                call = self.aws.emulation.invocations.pop(0)
                d = self._by_name(call.function)
                if d is not None:
                    self._invoke(d, json.loads(call.payload or b"{}"), "async")
                    delivered += 1
            for d in self._functions:
                if d.fn.spec.inbox_queue_url:
                    with self.aws.emulation.quiet():
                        events = drain_inbox(d.session, d.fn.spec.inbox_queue_url)
                    for event in events:
                        self._invoke(d, event, "event")
                        delivered += 1
                for url in d.fn.spec.queue_sources:
                    delivered += self._poll_queue(d, url)
            if not delivered:
                return

    def _poll_queue(self, d: _Deployed, url: str) -> int:
        with self.aws.emulation.quiet():
            sqs = d.session.client("sqs")
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", [])
        for m in messages:
            record = {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": m.get("MD5OfBody", ""),
                "eventSource": "aws:sqs",
                "eventSourceARN": _queue_arn(self.aws.region, d.fn.spec.arn.split(":")[4], url),
                "awsRegion": self.aws.region,
            }
            if self._invoke(d, {"Records": [record]}, "queue"):
                with self.aws.emulation.quiet():
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return len(messages)

    def _by_name(self, name: str) -> _Deployed | None:
        return next((d for d in self._functions if name in {d.fn.spec.name, d.fn.spec.arn}), None)

    def _invoke(self, d: _Deployed, event: Any, trigger: str) -> bool:
        clock = self.aws.clock
        started = clock.now()
        record = Invoked(d.fn.spec.logical_id, trigger, started, started, event)
        try:
            record.result = d.fn.invoke(event, **d.extra)
        except Exception as exc:  # noqa: BLE001 - a failed invocation is recorded, as Lambda records it
            record.error = repr(exc)
        record.ended = clock.now()
        self.invocations.append(record)
        self.after_invoke(record)
        return not record.error

    def of(self, function: str, trigger: str | None = None) -> list[Invoked]:
        return [i for i in self.invocations if i.function == function and trigger in {None, i.trigger}]


def _queue_arn(region: str, account: str, url: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{url.rsplit('/', 1)[1]}"


def _after(at: datetime, period: timedelta, now: datetime) -> datetime:
    """The next tick after ``now`` (a tick missed while the clock was moved without the service: one run, as a
    schedule that was not running would not catch up either)."""
    while at <= now:
        at += period
    return at


TRIGGERS = {"event": "RAM event", "schedule": "reconcile schedule", "queue": "follow-up", "async": "invoked"}


def describe_runs(invocations: list[Invoked]) -> list[str]:
    """One line per controller run: when (simulated), its trigger, what it did, the next run it arranged."""
    lines = []
    for i in invocations:
        if i.function != "ControllerFunction":
            continue
        summary = (i.result or {}).get("summary") or {}
        done = [f"{a['action']} {a['outcome']}" for a in summary.get("actions", [])]
        if (i.result or {}).get("status") == "ignored":
            done = ["nothing: " + str(i.result.get("reason", ""))[:60]]
        probe = summary.get("probe_targets") or {}
        if probe.get("probed_now"):
            done.append(f"probe target published, probed at once ({probe['probed_now']})")
        follow_up = summary.get("follow_up") or {}
        then = ""
        if follow_up.get("status") == "arranged" and follow_up.get("next_run_at"):
            at = datetime.fromisoformat(follow_up["next_run_at"])
            then = f" → follow-up at {at:%H:%M:%S} ({_because(str(follow_up.get('because') or ''))})"
        if follow_up.get("status") == "kept":
            then = " → follow-up kept"
        what = ", ".join(done) or (i.error or "no change")
        lines.append(f"{i.started:%H:%M:%S} {TRIGGERS.get(i.trigger, i.trigger)}: {what}{then}")
    return lines


def _because(reason: str) -> str:
    """A follow-up's reason, short: what waits, not its ARN."""
    what = reason.split(": ", 1)[-1].split(" since ", maxsplit=1)[0]
    if what.startswith("waiting for the share"):
        return "share not listed yet"
    if what.startswith("its unshare grace ends"):
        return "grace ends"
    return what.replace("created by this run: pending", "endpoint pending")
