"""The property suite under the bench profile: examples run per property (goal >= 10,000) and examples/s.

Runs ``HYPOTHESIS_PROFILE=bench pytest tests/reliability/test_properties.py
tests/reliability/test_association_properties.py --hypothesis-show-statistics`` in
a subprocess (the same command as ``make props``) and reads Hypothesis' statistics from its output. Each
property's pytest timeout is fitted to its example count by tests/reliability/conftest.py (no Hypothesis
deadline: it would fail a property on a stalled example); the suite prints it and it is reported here.

The example counts are exact. Examples/s depends on the machine and is information, not a goal: it is one
run of 10,000 examples, with Hypothesis' own typical per-example runtime range as its spread.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.timing import row

ROOT = Path(__file__).resolve().parents[1]
SUITE = ("tests/reliability/test_properties.py", "tests/reliability/test_association_properties.py")
GOAL = 10_000


@dataclass
class PropertyStats:
    passing: int = 0
    seconds: float = 0.0  # summed over Hypothesis' phases (generate, and reuse/shrink when they ran)
    typical: str = ""  # Hypothesis' "Typical runtimes" range of one example


def parse_statistics(output: str) -> dict[str, PropertyStats]:
    """{property name: statistics} from ``--hypothesis-show-statistics`` output."""
    found: dict[str, PropertyStats] = {}
    current: PropertyStats | None = None
    for line in output.splitlines():
        header = re.match(r"^\S+::(test_\w+):\s*$", line.strip())
        if header:
            current = found.setdefault(header.group(1), PropertyStats())
            continue
        if current is None:
            continue
        phase = re.search(r"during \w+ phase \(([\d.]+) seconds\)", line)
        if phase:
            current.seconds += float(phase.group(1))
        passing = re.search(r"(\d+) passing", line)
        if passing:
            current.passing += int(passing.group(1))
        typical = re.search(r"Typical runtimes: (.*?)(?:, of which|$)", line)
        if typical and not current.typical:
            current.typical = typical.group(1).strip()
    return found


def run_pytest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``pytest -q <args>`` in a fresh interpreter at the repository root; the caller reads the outcome."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def run() -> list[dict[str, Any]]:
    proc = run_pytest("--hypothesis-show-statistics", *SUITE, env={"HYPOTHESIS_PROFILE": "bench"})
    stats = parse_statistics(proc.stdout)
    if proc.returncode != 0 or not stats:
        tail = "\n".join(proc.stdout.splitlines()[-15:])
        raise RuntimeError(f"property suite failed (exit {proc.returncode}):\n{tail}")
    fitted = re.search(r"property timeout: ([\d.]+) s per property", proc.stdout)
    timeout = float(fitted.group(1)) if fitted else None
    rows: list[dict[str, Any]] = []
    for name, s in sorted(stats.items()):
        short = name.removeprefix("test_")[:60]
        rows.append(
            row(
                f"props: {short}",
                s.passing,
                "examples",
                goal=f">= {GOAL:,}",
                ok=s.passing >= GOAL,
                basis="exact count (Hypothesis statistics)",
            )
        )
        rows.append(
            row(
                f"props: {short}, examples/s",
                round(s.passing / s.seconds, 1) if s.seconds else float("nan"),
                "examples/s",
                basis=f"one run: {s.passing} examples in {s.seconds:.1f} s; typical example {s.typical}"
                + (f"; timeout {timeout:g} s" if timeout else ""),
                seconds=s.seconds,
                spread_text=f"typical example {s.typical}",
                timeout_s=timeout,
            )
        )
    return rows
