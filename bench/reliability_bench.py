"""Reliability figures no other bench module measures: cold import of each function handler against
``import boto3``, event -> endpoint latency in the local AWS, and the delivery-fault run's own figures.

(AWS calls per onboarding and per no-op reconcile, reconcile of 100 vs 1,000 shares, probe fan-out and
overhead are measured by the controller's and the probe's bench modules.)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.props_bench import run_pytest

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("controller", "onboarding", "probe")

_HANDLER_IMPORT = (
    "import importlib.util, sys, time; t = time.perf_counter(); "
    "spec = importlib.util.spec_from_file_location('app', sys.argv[1]); "
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m); "
    "print((time.perf_counter() - t) * 1000, int('boto3' in sys.modules))"
)
_BOTO3_IMPORT = (
    "import time; t = time.perf_counter(); import boto3; print((time.perf_counter() - t) * 1000, 1)"
)


def _cold(snippet: str, *args: str, runs: int) -> tuple[float, int]:
    """Median ms of a fresh interpreter running ``snippet`` (each run its own process: nothing cached)."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LINKPILOT_", "AWS_"))},
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "bench",
    }
    times, boto3_loaded = [], 0
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", snippet, *args],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env=env,
        ).stdout.split()
        times.append(float(out[-2]))
        boto3_loaded = max(boto3_loaded, int(out[-1]))
    return statistics.median(times), boto3_loaded


def bench_cold_imports(runs: int = 9) -> list[dict[str, Any]]:
    boto3_ms, _ = _cold(_BOTO3_IMPORT, runs=runs)
    rows: list[dict[str, Any]] = [
        {
            "name": "cold import: import boto3 (median)",
            "value": boto3_ms,
            "unit": "ms",
            "goal": None,
            "ok": None,
        }
    ]
    for name in FUNCTIONS:
        ms, loads_boto3 = _cold(_HANDLER_IMPORT, str(ROOT / "functions" / name / "app.py"), runs=runs)
        ratio = ms / boto3_ms
        # The probe runs in the VPC without AWS APIs: it must not pay for boto3 at all.
        goal, ok = ("< 1 (no boto3)", ratio < 1 and not loads_boto3) if name == "probe" else (None, None)
        rows.append(
            {"name": f"cold import: {name} handler (median)", "value": ms, "unit": "ms", "goal": None}
        )
        rows.append(
            {
                "name": f"cold import: {name} handler / import boto3",
                "value": ratio,
                "unit": "x",
                "goal": goal,
                "ok": ok,
            }
        )
    return rows


def bench_event_to_endpoint(reps: int = 15) -> list[dict[str, Any]]:
    """A provider shares a configuration; its RAM event is delivered to the controller's handler flow; time
    from the event being emitted to the endpoint existing, in the in-process local AWS."""
    from aws_lambda_powertools import Logger, Metrics

    from linkpilot.consumer.controller import handle_event
    from linkpilot_local import LocalAws

    sys.path.insert(0, str(ROOT / "tests" / "integration" / "controller"))
    from controller_world import Consumer, Provider  # the integration tests' world, not a copy

    created_ms: list[float] = []
    with LocalAws(region="us-east-1") as aws:
        provider, consumer = Provider.create(aws), Consumer.create(aws)
        policy_text = json.dumps(consumer.policy_doc([provider.account]))
        metrics = Metrics(namespace="Linkpilot", service="bench")
        ec2 = consumer.session.client("ec2")
        for i in range(reps):
            cfg = provider.configuration(f"bench-{i}")
            seen = len(aws.events)
            provider.share(consumer.account, [cfg], name=f"bench-{i}")
            t0 = time.perf_counter()
            (event, *_rest) = aws.events[seen:]
            result = handle_event(
                event,
                policy_parameter="/linkpilot/policy",
                load_policy=lambda _force: policy_text,
                controller=consumer.controller,
                logger=Logger(service="bench", level="CRITICAL"),
                metrics=metrics,
            )
            created_ms.append((time.perf_counter() - t0) * 1000)
            metrics.clear_metrics()
            assert result["status"] == "ok" and result["summary"]["metrics"]["EndpointsCreated"] == 1, result
            endpoints = ec2.describe_vpc_endpoints(
                Filters=[{"Name": "tag:linkpilot:resource-configuration-arn", "Values": [cfg]}]
            )["VpcEndpoints"]
            assert len(endpoints) == 1, endpoints
    return [
        {
            "name": f"event -> endpoint created, local AWS (median of {reps})",
            "value": statistics.median(created_ms),
            "unit": "ms",
            "goal": "< 1000",
            "ok": statistics.median(created_ms) < 1000,
        },
        {
            "name": f"event -> endpoint created, local AWS (max of {reps})",
            "value": max(created_ms),
            "unit": "ms",
            "goal": None,
            "ok": None,
        },
    ]


def bench_delivery_faults() -> list[dict[str, Any]]:
    """The delivery-fault test's own figures: it writes them when LINKPILOT_RELIABILITY_REPORT is set."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "faults.json"
        proc = run_pytest(
            "-p",
            "no:logging",
            "-W",
            "ignore::UserWarning",
            "tests/reliability/test_delivery_faults.py::"
            "test_transient_faults_on_30_percent_of_calls_and_triple_delivery_converge_within_5_rounds",
            env={"LINKPILOT_RELIABILITY_REPORT": str(report)},
        )
        if proc.returncode != 0 or not report.exists():
            raise RuntimeError("delivery-fault test failed:\n" + "\n".join(proc.stdout.splitlines()[-15:]))
        figures = json.loads(report.read_text())
    return [
        {
            "name": "faults: rounds to converge (30% faults, 3x delivery)",
            "value": figures["rounds_needed"],
            "unit": "rounds",
            "goal": "<= 5",
            "ok": figures["rounds_needed"] <= 5,
        },
        {
            "name": "faults: share of AWS calls faulted",
            "value": figures["fault_share"],
            "unit": "ratio",
            "goal": None,
            "ok": None,
        },
        {
            "name": "faults: calls faulted (throttle/5xx/hang)",
            "value": figures["faults_injected"],
            "unit": "calls",
            "goal": None,
            "ok": None,
        },
        {
            "name": "faults: invocations (deliveries + Lambda retries)",
            "value": figures["invocations"],
            "unit": "runs",
            "goal": None,
            "ok": None,
        },
        {
            "name": "faults: deliveries dead-lettered",
            "value": figures["dead_lettered"],
            "unit": "events",
            "goal": None,
            "ok": None,
        },
        {
            "name": "faults: wall time of the faulted rounds",
            "value": figures["seconds"],
            "unit": "s",
            "goal": None,
            "ok": None,
        },
    ]


def run() -> list[dict[str, Any]]:
    return [*bench_cold_imports(), *bench_event_to_endpoint(), *bench_delivery_faults()]
