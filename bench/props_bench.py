"""The property suite under the bench profile: examples run per property (goal >= 10,000) and wall time.

Runs ``HYPOTHESIS_PROFILE=bench pytest tests/reliability/test_properties.py --hypothesis-show-statistics`` in
a subprocess (the same command as ``make props``) and reads Hypothesis' statistics from its output.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SUITE = "tests/reliability/test_properties.py"
GOAL = 10_000


def parse_statistics(output: str) -> dict[str, int]:
    """{property name: passing examples} from ``--hypothesis-show-statistics`` output."""
    found: dict[str, int] = {}
    current = None
    for line in output.splitlines():
        header = re.match(r"^\S+::(test_\w+):\s*$", line.strip())
        if header:
            current = header.group(1)
            continue
        passing = re.search(r"(\d+) passing", line)
        if current and passing:
            found[current] = found.get(current, 0) + int(passing.group(1))
    return found


def run_pytest(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``pytest -q <args>`` in a fresh interpreter at the repository root; the caller reads the outcome."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(
        command, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )


def run() -> list[dict[str, Any]]:
    started = time.perf_counter()
    proc = run_pytest("--hypothesis-show-statistics", SUITE, env={"HYPOTHESIS_PROFILE": "bench"})
    wall = time.perf_counter() - started
    stats = parse_statistics(proc.stdout)
    if proc.returncode != 0 or not stats:
        tail = "\n".join(proc.stdout.splitlines()[-15:])
        raise RuntimeError(f"property suite failed (exit {proc.returncode}):\n{tail}")
    rows: list[dict[str, Any]] = [
        {
            "name": f"props: {name.removeprefix('test_')[:60]}",
            "value": examples,
            "unit": "examples",
            "goal": f">= {GOAL:,}",
            "ok": examples >= GOAL,
        }
        for name, examples in sorted(stats.items())
    ]
    rows.append(
        {
            "name": f"props: {len(stats)} properties, bench profile, wall time",
            "value": round(wall, 1),
            "unit": "s",
            "goal": None,
            "ok": None,
        }
    )
    return rows
