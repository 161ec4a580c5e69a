"""`make bench`: runs every benchmark module in one process run, prints one table, writes bench/results.json.

A row is {"name", "value", "unit", "goal", "ok", "spread", "reference", "ratio", "basis"} (see
bench/timing.py; modules may leave the last four out); every figure is measured in this run (nothing is
carried over from earlier runs). Machine-dependent figures come with their spread or as a ratio to a
reference measured in the same run. The exit status is 1 when a module fails to run, not when a goal is
missed.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TIME_UNITS = {"s", "ms", "us", "examples/s"}
COUNT_UNITS = {"calls", "examples", "count", "rounds", "bool", "events", "runs"}  # exact: nothing to spread


def discover() -> list[str]:
    return sorted(f"bench.{p.stem}" for p in HERE.glob("*_bench.py"))


def fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)


def fmt_spread(row: dict[str, Any]) -> str:
    spread = row.get("spread")
    if not spread and row.get("spread_text"):
        return str(row["spread_text"])
    if not spread:
        return "exact" if row.get("unit") in COUNT_UNITS else "-"
    values = " / ".join(fmt_value(float(spread[k])) for k in ("min", "median", "max"))
    return f"{values} n={spread['n']} [{spread['judged_on']}]"


def fmt_reference(row: dict[str, Any]) -> str:
    ref = row.get("reference")
    if not ref:
        return "-"
    return f"{ref['name']}: {fmt_value(float(ref['value']))} {ref['unit']}"


def fmt_ratio(row: dict[str, Any]) -> str:
    return "-" if row.get("ratio") is None else f"{row['ratio']:.2f}x"


def unsound(row: dict[str, Any]) -> bool:
    """A goal on a machine-dependent figure (a time) with neither a spread nor a reference: it can flip on
    noise. (Rows of modules not yet using bench.timing show up here.)"""
    return bool(row.get("goal")) and row["unit"] in TIME_UNITS and not row["spread"] and not row["reference"]


COLUMNS: list[tuple[str, Callable[[dict[str, Any]], object]]] = [
    ("benchmark", lambda r: r["name"]),
    ("figure", lambda r: fmt_value(r["value"])),
    ("unit", lambda r: r["unit"]),
    ("spread min / median / max [judged on]", fmt_spread),
    ("reference", fmt_reference),
    ("ratio", fmt_ratio),
    ("goal", lambda r: r["goal"] or ""),
    ("ok", lambda r: "" if r["ok"] is None else ("yes" if r["ok"] else "NO")),
]


def table(rows: list[dict[str, Any]]) -> list[str]:
    cells = [[str(get(r)) for _, get in COLUMNS] for r in rows]
    widths = [max([len(title)] + [len(c[i]) for c in cells]) for i, (title, _) in enumerate(COLUMNS)]
    right = {"figure", "ratio"}

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if title in right else v.ljust(w)
            for v, w, (title, _) in zip(values, widths, COLUMNS, strict=True)
        ).rstrip()

    header = line([title for title, _ in COLUMNS])
    return [header, "-" * len(header), *(line(c) for c in cells)]


def markdown(report: dict[str, Any]) -> list[str]:
    """The report of a finished run as the Markdown table docs/reliability.md shows, with its run's header."""
    load = report["load_average_1_5_15_min"]
    start, end = load["start"][0], load["end"][0]
    head = (
        f"One `make bench` run ({report['generated_at']}, Python {report['python']}, {report['machine']}, "
        f"{report['cpus']} CPUs, load average {start:.1f} at start and {end:.1f} at end, "
        f"{report['wall_seconds']:.0f} s); every figure measured in that run, "
        "also written to `bench/results.json`."
    )

    def cell(title: str, get: Callable[[dict[str, Any]], object], r: dict[str, Any]) -> str:
        text = str(get(r))
        return "**no**" if title == "ok" and text == "NO" else text

    rows = [[cell(title, get, r) for title, get in COLUMNS] for r in report["rows"]]
    titles = [("met" if title == "ok" else title) for title, _ in COLUMNS]
    return [
        head,
        "",
        "| " + " | ".join(titles) + " |",
        "|" + "---|" * len(titles),
        *("| " + " | ".join(cells) + " |" for cells in rows),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", help="run only modules whose name contains this")
    parser.add_argument("--json", default=str(HERE / "results.json"), help="where to write the JSON report")
    parser.add_argument(
        "--markdown", action="store_true", help="print the report in --json as a Markdown table; run nothing"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        print("\n".join(markdown(json.loads(Path(args.json).read_text()))))
        return 0

    rows: list[dict[str, Any]] = []
    failed_modules: list[str] = []
    started = time.perf_counter()
    load_at_start = list(os.getloadavg())
    for module_name in discover():
        if args.only and not any(o in module_name for o in args.only):
            continue
        print(f"running {module_name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            module = importlib.import_module(module_name)
            module_rows = module.run()
        except Exception as exc:  # a broken benchmark is reported, the others still run
            failed_modules.append(f"{module_name}: {exc!r}")
            continue
        for row in module_rows:
            for key in ("goal", "ok", "spread", "reference", "ratio"):
                row.setdefault(key, None)
            row.setdefault("basis", "")
            row["module"] = module_name.removeprefix("bench.")
            rows.append(row)
        print(f"  {module_name} took {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    for line in table(rows):
        print(line)
    for f in failed_modules:
        print(f"FAILED {f}")

    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average_1_5_15_min": {"start": load_at_start, "end": list(os.getloadavg())},
        "wall_seconds": round(time.perf_counter() - started, 2),
        "rows": rows,
        "failed_modules": failed_modules,
    }
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"\n{os.cpu_count()} CPUs; load average (1 min) {load_at_start[0]:.1f} at start, "
        f"{report['load_average_1_5_15_min']['end'][0]:.1f} at end; {report['wall_seconds']:.0f} s"
    )
    print(f"written to {args.json}")
    missed = [r["name"] for r in rows if r["ok"] is False]
    if missed:
        print(f"goals missed: {', '.join(missed)}")
    flaky = [r["name"] for r in rows if unsound(r)]
    if flaky:
        print(f"timed goals without spread or reference (can flip on load): {', '.join(flaky)}")
    return 1 if failed_modules else 0


if __name__ == "__main__":
    sys.exit(main())
