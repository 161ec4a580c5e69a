"""The operator CLI's own start: ``linkpilot --version`` as a shell runs it, less the interpreter's start.

A goal on a wall-clock time belongs here, not in a unit test (machines differ about 3x, and a busy test run
is no place to time a process). Both processes are timed in interleaved rounds (``bench.timing.interleave``),
so load arriving during the measurement hits them alike; the figure is the difference of their medians.
The unit tests hold what makes it fast (``--version`` imports neither rich nor boto3 nor a command module).
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from bench.timing import Spread, clean_env, interleave, row

RUNS = 15
GOAL_S = 0.3


def _wall_ms(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *argv], check=True, capture_output=True, env=clean_env(), timeout=60)
    return (time.perf_counter() - start) * 1000


def run() -> list[dict[str, Any]]:
    spreads = interleave(
        {
            "bare": lambda: _wall_ms(["-c", "pass"]),
            "version": lambda: _wall_ms(["-m", "linkpilot_cli.main", "--version"]),
        },
        RUNS,
    )
    bare, version = spreads["bare"], spreads["version"]
    own = Spread(tuple(v - b for v, b in zip(version.samples, bare.samples, strict=True)))
    figure = own.median / 1000
    return [
        row(
            "cli: linkpilot --version, on top of the interpreter's start",
            round(figure, 3),
            "s",
            goal=f"<= {GOAL_S:g} s",
            ok=figure <= GOAL_S,
            spread=Spread(tuple(s / 1000 for s in own.samples)),
            judged_on="median",
            reference=("python3 -c pass", Spread(tuple(s / 1000 for s in bare.samples))),
            basis=f"{RUNS} interleaved rounds of both processes; per round, version minus bare",
        )
    ]
