"""Benchmarks: each `bench/*_bench.py` module exposes `run() -> list[dict]` of measured rows."""
