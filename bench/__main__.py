"""`make bench`: runs every benchmark module in one process run, prints one table, writes bench/results.json.

A row is {"name": str, "value": float, "unit": str, "goal": str | None, "ok": bool | None}; every figure is
measured in this run (nothing is carried over from earlier runs).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def discover() -> list[str]:
    return sorted(f"bench.{p.stem}" for p in HERE.glob("*_bench.py"))


def fmt_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", help="run only modules whose name contains this")
    parser.add_argument("--json", default=str(HERE / "results.json"), help="where to write the JSON report")
    args = parser.parse_args(argv)

    rows: list[dict[str, Any]] = []
    failed_modules: list[str] = []
    started = time.perf_counter()
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
            row.setdefault("goal", None)
            row.setdefault("ok", None)
            row["module"] = module_name.removeprefix("bench.")
            rows.append(row)
        print(f"  {module_name} took {time.perf_counter() - t0:.1f}s", file=sys.stderr)

    name_w = max((len(r["name"]) for r in rows), default=10)
    header = f"{'benchmark':<{name_w}}  {'value':>14}  {'unit':<8}  {'goal':<22}  ok"
    print(header)
    print("-" * len(header))
    for r in rows:
        ok = "" if r["ok"] is None else ("yes" if r["ok"] else "NO")
        goal = r["goal"] or ""
        print(f"{r['name']:<{name_w}}  {fmt_value(r['value']):>14}  {r['unit']:<8}  {goal:<22}  {ok}")
    for f in failed_modules:
        print(f"FAILED {f}")

    report = {
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": __import__("os").cpu_count(),
        "wall_seconds": round(time.perf_counter() - started, 2),
        "rows": rows,
        "failed_modules": failed_modules,
    }
    Path(args.json).write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    missed = [r["name"] for r in rows if r["ok"] is False]
    if missed:
        print(f"goals missed: {', '.join(missed)}")
    return 1 if failed_modules else 0


if __name__ == "__main__":
    sys.exit(main())
