"""The end-to-end story, offline: provider shares → consumer onboards → probe → alarm → recovery →
a database probed with tcp → a zone failing (degraded) and recovering → untrusted share left alone →
unshare → cleanup. Every step checks what it expects to see in the local AWS;
the steps are :class:`linkpilot_demo.steps.DemoRun`'s, run here in order.

Simulated time: the local AWS clock is moved forward so that minutes of AWS's own delays, probing and alarm
evaluation take seconds. The controller runs on its real triggers only (``linkpilot_demo.triggers``): RAM
events, the reconcile schedule and its own follow-up runs; AWS's delays are the bench's AWS-like
assumptions. Probe and controller metrics (EMF lines on the functions' stdout) are given the simulated time
of their run when they are ingested, as CloudWatch Logs would stamp them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from linkpilot_demo.world import CONSUMER, PROVIDER, UNTRUSTED, DemoOptions, aws_like_delays

if TYPE_CHECKING:
    from linkpilot_demo.lambdas import LogSink
    from linkpilot_demo.reference_target import ReferenceTarget
    from linkpilot_demo.steps import DemoRun
    from linkpilot_local import LocalAws

__all__ = ["DemoOptions", "loopback_only", "play", "run_demo"]


def play(
    make_run: Callable[[], DemoRun],
    story: Callable[[DemoRun], Iterable[Callable[[], None]]],
    *,
    aws: LocalAws,
    target: ReferenceTarget,
    sink: LogSink,
) -> str | None:
    """Start the local AWS, make the run and play its story's steps in order; whatever happens, stop the
    targets and the local AWS and close the log. A failed expectation ends the story (the timeline holds
    it); a crash does too, and is returned as one line (its traceback goes to the log); else None."""
    from linkpilot_demo.timeline import ExpectationFailed

    run: DemoRun | None = None
    try:
        aws.start()
        run = make_run()
        for step in story(run):
            step()
    except ExpectationFailed:
        pass
    except Exception as exc:  # noqa: BLE001 - a crash is a failed story, reported with its cause
        import traceback

        traceback.print_exc(file=sink)
        return f"{type(exc).__name__}: {exc}"
    finally:
        target.stop()
        if run is not None and run.database is not None:
            run.database.stop()
        aws.stop()
        sink.close()
    return None


def run_demo(out: TextIO, options: DemoOptions | None = None) -> bool:
    """Runs the whole story; True only if every step's expectations held."""
    options = options or DemoOptions()
    from linkpilot_demo.lambdas import LogSink
    from linkpilot_demo.reference_target import reference_target
    from linkpilot_demo.steps import DemoRun
    from linkpilot_demo.timeline import Timeline
    from linkpilot_local import LocalAws

    sink = LogSink(options.log_path)
    target = reference_target()
    aws = LocalAws(delays=aws_like_delays())
    started = False
    tl = Timeline(out, sim_now=lambda: aws.clock.now() if started else datetime.now(UTC), color=options.color)
    tl.say("Linkpilot demo: offline, against the local AWS (moto + linkpilot_local), simulated clock")
    tl.say(f"  provider {PROVIDER} · consumer {CONSUMER} · untrusted {UNTRUSTED}")
    tl.say(
        f"  reference target: {target.kind} responder on {target.host}:{target.port}; full log: {sink.path}"
    )
    tl.say(f"\n{'wall':>8}  {'sim':8}  step")

    def make_run() -> DemoRun:
        nonlocal started
        started = True
        return DemoRun(options, aws, tl, sink, target)

    crash = play(make_run, lambda run: run.steps(), aws=aws, target=target, sink=sink)
    if crash is not None:
        tl.say(f"\nthe demo stopped on an error: {crash} (see {sink.path})")
        return False
    verdict = "every expectation held" if tl.ok else "an expectation FAILED"
    tl.say(f"\n{len(tl.steps)} steps, {tl.checks} checks, {tl.elapsed():.1f} s: {verdict}")
    return tl.ok


def loopback_only() -> None:
    """The demo's traffic stays on 127.0.0.0/8, like the tests' (an address elsewhere is refused)."""
    from linkpilot_local import netguard

    netguard.install()
