"""The reconcile's step that keeps the probe schedules' input equal to the plan's probe targets: written only
when the set changed (a warm process remembers the digest it wrote; a cold one reads the published one).

A target the schedules did not carry before (a new endpoint, a new child of a GROUP) is probed at once: the
probe function is invoked asynchronously with an input of the new targets only, so the first verdict comes
seconds after the endpoint is usable instead of at the schedule's next tick. (The alarms still need their
usual periods: a first verdict is one datapoint.)"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkpilot.consumer.models import Plan, ProbeTarget
from linkpilot.consumer.probe_inputs import inputs_digest, shard_inputs
from linkpilot.consumer.report import ProbeRefresh, ProbeStatus
from linkpilot.errors import AwsError

if TYPE_CHECKING:
    from linkpilot.consumer.ports import Controller, SchedulesPort


def _probe_inputs(plan: Plan, controller: Controller) -> list[str]:
    return shard_inputs(plan.probe_defaults, plan.probe_targets, controller.options.probe_input_max_chars)


def probe_plan(plan: Plan, controller: Controller) -> ProbeRefresh:
    """What a dry run would do: how many targets, in how many inputs (nothing read or written)."""
    if controller.ports.schedules is None:
        return ProbeRefresh(ProbeStatus.NOT_CONFIGURED, len(plan.probe_targets))
    inputs = _probe_inputs(plan, controller)
    return ProbeRefresh(ProbeStatus.PLANNED, len(plan.probe_targets), len(inputs))


def refresh_probe(plan: Plan, controller: Controller) -> tuple[ProbeRefresh, tuple[str, ...]]:
    """Publish the plan's probe targets to the schedules when they changed. Returns what was done and the side
    errors (retryable) for the report; a failure forgets the remembered digest, so the next run reads."""
    schedules = controller.ports.schedules
    if schedules is None:
        return ProbeRefresh(ProbeStatus.NOT_CONFIGURED, len(plan.probe_targets)), ()
    try:
        inputs = _probe_inputs(plan, controller)
        digest = inputs_digest(inputs)
        counts = (len(plan.probe_targets), len(inputs))
        if controller.ports.memory.probe_digest(schedules.key) == digest:
            return ProbeRefresh(ProbeStatus.UNCHANGED, *counts), ()
        published = schedules.published()
        if published.digest == digest:
            controller.ports.memory.remember_probe(schedules.key, digest)
            return ProbeRefresh(ProbeStatus.UNCHANGED, *counts), ()
        new = _new_targets(plan, controller, schedules, published.names)
        schedules.publish(inputs, digest, published.names)
        controller.ports.memory.remember_probe(schedules.key, digest)
    except (AwsError, ValueError) as exc:
        controller.ports.memory.remember_probe(schedules.key, None)
        detail = str(exc) if isinstance(exc, AwsError) else repr(exc)
        failed = ProbeRefresh(ProbeStatus.FAILED, len(plan.probe_targets), detail=detail)
        return failed, (f"probe schedules: {detail}",)
    return _probe_now(plan, controller, new, counts)


def _new_targets(
    plan: Plan, controller: Controller, schedules: SchedulesPort, names: tuple[str, ...]
) -> list[ProbeTarget]:
    """The plan's targets the published schedules do not carry (read only when the set changed, and only
    when there is a probe to invoke at once)."""
    if controller.ports.probe_now is None or not plan.probe_targets:
        return []
    before = schedules.published_targets(names) if names else frozenset()
    return [t for t in plan.probe_targets if (t.endpoint_id, t.dns_name) not in before]


def _probe_now(
    plan: Plan, controller: Controller, new: list[ProbeTarget], counts: tuple[int, int]
) -> tuple[ProbeRefresh, tuple[str, ...]]:
    """Invoke the probe at once for ``new`` (one asynchronous invocation per input). A failure is a side
    error (the schedules carry the targets already: they are probed at the next tick regardless)."""
    port = controller.ports.probe_now
    if port is None or not new:
        return ProbeRefresh(ProbeStatus.UPDATED, *counts), ()
    try:
        for payload in shard_inputs(plan.probe_defaults, new, controller.options.probe_input_max_chars):
            port.invoke(payload)
    except AwsError as exc:
        detail = f"first probe of {len(new)} new target(s): {exc}"
        return ProbeRefresh(ProbeStatus.UPDATED, *counts, detail=detail), (f"probe: {detail}",)
    return ProbeRefresh(ProbeStatus.UPDATED, *counts, probed_now=len(new)), ()
