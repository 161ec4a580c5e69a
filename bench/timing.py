"""Shared timing helpers for the bench modules: repetitions with their spread, interleaved measurements of
a figure and its reference (so load hits both alike), fresh-interpreter timings, and the row shape.

A machine-dependent figure is reported either with its spread (min / median / max of N repetitions, the goal
judged on the statistic named in ``judged_on``) or as a ratio to a reference measured in the same run,
interleaved with it. Noise on a shared machine only ever adds time, so the minimum of N fresh runs is the
sound estimate of what a cold start costs; the median is used where the typical case is the goal.

Row shape (``make bench`` prints and writes these keys for every row):
    name, value, unit, goal, ok               the figure, the goal's text and whether it is met
    spread    {"n", "min", "median", "max", "judged_on"} or None (an exact count: nothing to spread)
    reference {"name", "value", "unit", "spread"} or None
    ratio     value / reference value (same statistic of both), or None
    basis     how the figure was obtained, in words
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]

Statistic = Literal["min", "median", "max"]


@dataclass(frozen=True)
class Spread:
    """N repetitions of one measurement."""

    samples: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.samples:
            raise ValueError("a spread needs at least one sample")

    @property
    def n(self) -> int:
        return len(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def stat(self, which: Statistic) -> float:
        return {"min": self.min, "median": self.median, "max": self.max}[which]

    def as_dict(self, judged_on: Statistic) -> dict[str, Any]:
        return {
            "n": self.n,
            "min": self.min,
            "median": self.median,
            "max": self.max,
            "judged_on": judged_on,
            "samples": list(self.samples),
        }


def repeat(fn: Callable[[], object], runs: int, *, warmup: int = 0) -> Spread:
    """Milliseconds of ``fn()`` in this process, ``runs`` times after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return Spread(tuple(samples))


def interleave(cases: Mapping[str, Callable[[], float]], runs: int) -> dict[str, Spread]:
    """Each case's figure ``runs`` times, in rounds that run every case once (the order rotated each round),
    so that load arriving during the measurement hits all cases alike. A case returns its own figure."""
    names = list(cases)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for i in range(runs):
        shift = i % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(cases[name]())
    return {name: Spread(tuple(values)) for name, values in samples.items()}


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without Linkpilot or AWS settings (a fresh process sees no credentials)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINKPILOT_", "AWS_"))}
    return {**env, "AWS_DEFAULT_REGION": "us-east-1", **extra}


def fresh_python(snippet: str, *args: str, env: Mapping[str, str] | None = None) -> list[str]:
    """Run ``snippet`` in a fresh interpreter (nothing imported, nothing cached in the process) at the
    repository root; returns the words of its last output line (by convention the first is a figure)."""
    out = subprocess.run(
        [sys.executable, "-c", snippet, *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=dict(env) if env is not None else clean_env(),
        timeout=120,
    ).stdout
    return out.strip().splitlines()[-1].split()


# A fresh interpreter importing one module (argv[1]: dotted name) or one file (argv[1]: path ending in .py)
# and printing the milliseconds the import took, then whether boto3 ended up loaded (0/1).
IMPORT_SNIPPET = (
    "import importlib, importlib.util, sys, time\n"
    "target = sys.argv[1]\n"
    "t = time.perf_counter()\n"
    "if target.endswith('.py'):\n"
    "    spec = importlib.util.spec_from_file_location('app', target)\n"
    "    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
    "else:\n"
    "    importlib.import_module(target)\n"
    "print((time.perf_counter() - t) * 1000, int('boto3' in sys.modules))\n"
)


def cold_import_ms(target: str, env: Mapping[str, str] | None = None) -> tuple[float, bool]:
    """(ms, boto3 loaded) of importing ``target`` (module name or .py path) in a fresh interpreter."""
    words = fresh_python(IMPORT_SNIPPET, target, env=env)
    return float(words[0]), words[1] == "1"


def row(
    name: str,
    value: float,
    unit: str,
    *,
    goal: str | None = None,
    ok: bool | None = None,
    spread: Spread | None = None,
    judged_on: Statistic = "median",
    reference: tuple[str, Spread] | tuple[str, float] | None = None,
    ratio: float | None = None,
    basis: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """One result row in the shape described above; ``value`` is the figure the goal is judged on."""
    ref: dict[str, Any] | None = None
    if reference is not None:
        ref_name, ref_value = reference
        if isinstance(ref_value, Spread):
            ref = {
                "name": ref_name,
                "value": ref_value.stat(judged_on),
                "unit": unit,
                "spread": ref_value.as_dict(judged_on),
            }
        else:
            ref = {"name": ref_name, "value": ref_value, "unit": unit, "spread": None}
    return {
        "name": name,
        "value": value,
        "unit": unit,
        "goal": goal,
        "ok": ok,
        "spread": spread.as_dict(judged_on) if spread is not None else None,
        "reference": ref,
        "ratio": ratio,
        "basis": basis,
        **extra,
    }


def ratio_row(
    name: str,
    figure: Spread,
    reference_name: str,
    reference: Spread,
    unit: str,
    *,
    limit: float,
    judged_on: Statistic = "min",
    strict: bool = False,
    ok: bool = True,
    basis: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """A goal ``figure <= limit x reference`` (``<`` when ``strict``), both judged on the same statistic;
    ``ok=False`` fails the goal whatever the ratio (a side condition the caller checked)."""
    ratio = figure.stat(judged_on) / reference.stat(judged_on)
    met = (ratio < limit if strict else ratio <= limit) and ok
    return row(
        name,
        figure.stat(judged_on),
        unit,
        goal=f"{'<' if strict else '<='} {limit:g}x {reference_name}",
        ok=met,
        spread=figure,
        judged_on=judged_on,
        reference=(reference_name, reference),
        ratio=ratio,
        basis=basis or f"{judged_on} of {figure.n}, interleaved with the reference",
        ratio_of_medians=figure.median / reference.median,
        **extra,
    )


def limit_row(
    name: str,
    figure: Spread,
    unit: str,
    *,
    limit: float,
    judged_on: Statistic = "median",
    reference: tuple[str, Spread] | None = None,
    basis: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """A goal ``figure < limit`` on a machine-dependent figure, judged on one statistic of its spread; with a
    reference (measured interleaved with it) the row also carries the ratio of the same statistics."""
    value = figure.stat(judged_on)
    ratio = value / reference[1].stat(judged_on) if reference is not None else None
    return row(
        name,
        value,
        unit,
        goal=f"< {limit:g} {unit} ({judged_on})",
        ok=value < limit,
        spread=figure,
        judged_on=judged_on,
        reference=reference,
        ratio=ratio,
        basis=basis or f"{judged_on} of {figure.n}",
        **extra,
    )
