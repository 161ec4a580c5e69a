"""The end-to-end story, offline: provider shares → consumer onboards → probe → alarm → recovery →
a database probed with tcp → a zone failing (degraded) and recovering → untrusted share left alone →
unshare → cleanup. Every step checks what it expects to see in the local AWS;
the steps are :class:`linkpilot_demo.steps.DemoRun`'s, run here in order.

Simulated time: the local AWS clock is moved forward minute by minute so that minutes of probing and alarm
evaluation take seconds. Probe and controller metrics (EMF lines on the functions' stdout) are given the
simulated time of their run when they are ingested, as CloudWatch Logs would stamp them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from linkpilot_demo.world import CONSUMER, PROVIDER, UNTRUSTED, DemoOptions

__all__ = ["DemoOptions", "loopback_only", "run_demo"]


def run_demo(out: TextIO, options: DemoOptions | None = None) -> bool:
    """Runs the whole story; True only if every step's expectations held."""
    options = options or DemoOptions()
    from linkpilot_demo.lambdas import LogSink
    from linkpilot_demo.reference_target import reference_target
    from linkpilot_demo.steps import DemoRun
    from linkpilot_demo.timeline import ExpectationFailed, Timeline
    from linkpilot_local import LocalAws

    sink = LogSink(options.log_path)
    target = reference_target()
    aws = LocalAws()
    started = False
    run: DemoRun | None = None
    tl = Timeline(out, sim_now=lambda: aws.clock.now() if started else datetime.now(UTC), color=options.color)
    tl.say("Linkpilot demo: offline, against the local AWS (moto + linkpilot_local), simulated clock")
    tl.say(f"  provider {PROVIDER} · consumer {CONSUMER} · untrusted {UNTRUSTED}")
    tl.say(
        f"  reference target: {target.kind} responder on {target.host}:{target.port}; full log: {sink.path}"
    )
    tl.say(f"\n{'wall':>8}  {'sim':8}  step")
    try:
        aws.start()
        started = True
        run = DemoRun(options, aws, tl, sink, target)
        for step in run.steps():
            step()
    except ExpectationFailed:
        pass
    except Exception as exc:  # noqa: BLE001 - a crash is a failed demo, reported with its cause
        tl.say(f"\nthe demo stopped on an error: {exc!r} (see {sink.path})")
        import traceback

        traceback.print_exc(file=sink)
        return False
    finally:
        target.stop()
        if run is not None and run.database is not None:
            run.database.stop()
        aws.stop()
        sink.close()
    verdict = "every expectation held" if tl.ok else "an expectation FAILED"
    tl.say(f"\n{len(tl.steps)} steps, {tl.checks} checks, {tl.elapsed():.1f} s: {verdict}")
    return tl.ok


def loopback_only() -> None:
    """The demo's traffic stays on 127.0.0.0/8, like the tests' (an address elsewhere is refused)."""
    from linkpilot_local import netguard

    netguard.install()
