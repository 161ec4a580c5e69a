"""The reconcile's step that keeps the probe schedules' input equal to the plan's probe targets: written only
when the set changed (a warm process remembers the digest it wrote; a cold one reads the published one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkpilot.consumer.models import Plan
from linkpilot.consumer.probe_inputs import inputs_digest, shard_inputs
from linkpilot.consumer.report import ProbeRefresh, ProbeStatus
from linkpilot.errors import AwsError

if TYPE_CHECKING:
    from linkpilot.consumer.ports import Controller


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
        schedules.publish(inputs, digest, published.names)
        controller.ports.memory.remember_probe(schedules.key, digest)
        return ProbeRefresh(ProbeStatus.UPDATED, *counts), ()
    except (AwsError, ValueError) as exc:
        controller.ports.memory.remember_probe(schedules.key, None)
        detail = str(exc) if isinstance(exc, AwsError) else repr(exc)
        failed = ProbeRefresh(ProbeStatus.FAILED, len(plan.probe_targets), detail=detail)
        return failed, (f"probe schedules: {detail}",)
