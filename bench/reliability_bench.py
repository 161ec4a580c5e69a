"""Reliability figures no other bench module measures: cold import of each function handler against
``import boto3``, event -> endpoint latency in the local AWS, and the delivery-fault run's own figures.

(AWS calls per onboarding and per no-op reconcile, reconcile of 100 vs 1,000 shares, probe fan-out and
overhead are measured by the controller's and the probe's bench modules.)
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.props_bench import run_pytest
from bench.timing import (
    ROOT,
    Spread,
    clean_env,
    cold_import_ms,
    fresh_python,
    interleave,
    limit_row,
    ratio_row,
    row,
)

FUNCTIONS = ("controller", "onboarding", "probe")
HANDLER_LIMIT = 1.5  # issue 11: a handler's cold import costs at most 1.5x import boto3
PROBE_LIMIT = 0.5  # and the probe's, which never needs boto3, less than half of it
EVENT_GOAL_MS = 1000.0

# the environment each function's template sets (the onboarding settings are read at cold start)
FUNCTION_ENV = {
    "onboarding": {
        "LINKPILOT_SHARE_ARN": "arn:aws:ram:us-east-1:111111111111:resource-share/bench",
        "LINKPILOT_CONSUMER_LIST_PARAMETER": "/linkpilot/provider/consumers",
        "LINKPILOT_AUDIT_TABLE": "audit",
        "LINKPILOT_TOPIC_ARN": "arn:aws:sns:us-east-1:111111111111:bench",
    }
}
IMPORT_RUNS = 11  # fresh interpreters per target: on a loaded 2-core machine 7 left the minimums noisy


def bench_cold_imports(runs: int = IMPORT_RUNS) -> list[dict[str, Any]]:
    """Cold import of each handler file and of ``import boto3``, each in its own fresh interpreter, in
    interleaved rounds; goals are ratios of minimums (noise only adds time: the minimum is the cost)."""
    # as Lambda loads a handler: the layer's directory on the path (not the development install's finder),
    # and the environment the function's template sets (the onboarding settings are read at cold start)
    env = clean_env(POWERTOOLS_SERVICE_NAME="bench", PYTHONPATH=str(ROOT / "layers" / "linkpilot"))
    loaded: dict[str, bool] = {}

    def case(target: str, key: str) -> Callable[[], float]:
        def one() -> float:
            ms, boto3_loaded = cold_import_ms(target, env={**env, **FUNCTION_ENV.get(key, {})})
            loaded[key] = loaded.get(key, False) or boto3_loaded
            return ms

        return one

    cases = {"boto3": case("boto3", "boto3")}
    for name in FUNCTIONS:
        cases[name] = case(str(ROOT / "functions" / name / "app.py"), name)
    spreads = interleave(cases, runs)
    boto3 = spreads["boto3"]
    basis = f"min of {runs} fresh interpreters each, interleaved with import boto3"
    rows: list[dict[str, Any]] = [
        row(
            "cold import: import boto3 (reference)",
            boto3.min,
            "ms",
            spread=boto3,
            judged_on="min",
            basis=f"min of {runs} fresh interpreters, interleaved with the handlers",
        )
    ]
    for name in FUNCTIONS:
        probe = name == "probe"  # it runs in the VPC without AWS APIs: it must not pay for boto3 at all
        rows.append(
            ratio_row(
                f"cold import: {name} handler" + (" (no boto3)" if probe else ""),
                spreads[name],
                "import boto3",
                boto3,
                "ms",
                limit=PROBE_LIMIT if probe else HANDLER_LIMIT,
                strict=probe,
                ok=not (probe and loaded[name]),
                basis=basis,
                boto3_loaded=loaded[name],
            )
        )
    return rows


# A fresh interpreter importing boto3, then the handler file (argv[1]): milliseconds of each part.
SPLIT_SNIPPET = (
    "import importlib.util, sys, time\n"
    "t0 = time.perf_counter()\n"
    "import boto3\n"
    "t1 = time.perf_counter()\n"
    "spec = importlib.util.spec_from_file_location('app', sys.argv[1])\n"
    "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
    "print((t1 - t0) * 1000, (time.perf_counter() - t1) * 1000)\n"
)


def bench_beyond_boto3(runs: int = IMPORT_RUNS) -> list[dict[str, Any]]:
    """What a boto3 handler's cold import adds to ``import boto3``, both parts timed in the same fresh
    interpreter (so load between interpreters does not skew the ratio): information next to the goal rows."""
    env = clean_env(POWERTOOLS_SERVICE_NAME="bench", PYTHONPATH=str(ROOT / "layers" / "linkpilot"))
    rows: list[dict[str, Any]] = []
    for name in ("controller", "onboarding"):
        target = str(ROOT / "functions" / name / "app.py")
        parts = [
            [
                float(w)
                for w in fresh_python(SPLIT_SNIPPET, target, env={**env, **FUNCTION_ENV.get(name, {})})[:2]
            ]
            for _ in range(runs)
        ]
        beyond = Spread(tuple(rest for _, rest in parts))
        ratios = Spread(tuple((boto3 + rest) / boto3 for boto3, rest in parts))
        basis = f"{runs} fresh interpreters: import boto3, then the handler file, each part timed"
        rows.append(
            row(
                f"cold import: {name} handler beyond import boto3",
                beyond.min,
                "ms",
                spread=beyond,
                judged_on="min",
                basis=basis,
            )
        )
        rows.append(
            row(
                f"cold import: {name} handler / import boto3, same interpreter",
                ratios.median,
                "x",
                spread=ratios,
                basis=basis,
            )
        )
    return rows


# A fresh interpreter: import the trust policy module, then parse one policy twice (milliseconds of each).
POLICY_SNIPPET = (
    "import sys, time\n"
    "t0 = time.perf_counter()\n"
    "from linkpilot.consumer.policy import parse_policy\n"
    "t1 = time.perf_counter()\n"
    "parse_policy(sys.argv[1])\n"
    "t2 = time.perf_counter()\n"
    "parse_policy(sys.argv[1])\n"
    "t3 = time.perf_counter()\n"
    "print((t1 - t0) * 1000, (t2 - t1) * 1000, (t3 - t2) * 1000)\n"
)
POLICY = {
    "trusted_accounts": ["111111111111", "222222222222"],
    "endpoint": {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"]},
    "probe": {
        "defaults": {"kind": "https", "port": 443},
        "overrides": [{"match": "arn:aws:*", "kind": "tcp"}],
    },
}


def bench_policy_parse(runs: int = IMPORT_RUNS) -> list[dict[str, Any]]:
    """What the trust policy costs the controller: importing its module (part of the cold import above) and
    its first parse (the first invocation's: the field types are resolved then), then a later parse."""
    env = clean_env(PYTHONPATH=str(ROOT / "layers" / "linkpilot"))
    samples = [
        [float(w) for w in fresh_python(POLICY_SNIPPET, json.dumps(POLICY), env=env)[:3]] for _ in range(runs)
    ]
    names = ("import linkpilot.consumer.policy", "first parse_policy", "later parse_policy")
    basis = f"{runs} fresh interpreters, standard-library validation (linkpilot.spec)"
    return [
        row(
            f"controller: trust policy: {name}",
            Spread(tuple(s[i] for s in samples)).median,
            "ms",
            spread=Spread(tuple(s[i] for s in samples)),
            basis=basis,
        )
        for i, name in enumerate(names)
    ]


def bench_event_to_endpoint(reps: int = 15) -> list[dict[str, Any]]:
    """A provider shares a configuration; its RAM event is delivered to the controller's handler flow; time
    from the event being emitted to the endpoint existing, in the in-process local AWS."""
    from aws_lambda_powertools import Logger, Metrics

    from linkpilot.runtime.controller import handle_event
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
            (event, *_rest) = aws.events[seen:]

            def deliver(event: Any) -> dict[str, Any]:
                return handle_event(
                    event,
                    policy_parameter="/linkpilot/policy",
                    load_policy=lambda _force: policy_text,
                    controller=consumer.controller,
                    logger=Logger(service="bench", level="CRITICAL"),
                    metrics=metrics,
                )

            # two runs, as on AWS: the invitation's event accepts; RAM completes the accept (10 s on the
            # emulation's clock, not timed here) and the next event creates the endpoint
            t0 = time.perf_counter()
            accepted = deliver(event)
            elapsed = time.perf_counter() - t0
            aws.clock.advance(seconds=30)
            seen = len(aws.events)
            consumer.session.client("ram").get_resource_share_invitations()  # the accept completes
            (event, *_rest) = aws.events[seen:] or [event]
            t0 = time.perf_counter()
            result = deliver(event)
            created_ms.append((elapsed + time.perf_counter() - t0) * 1000)
            metrics.clear_metrics()
            assert accepted["status"] == "ok", accepted
            assert result["status"] == "ok" and result["summary"]["metrics"]["EndpointsCreated"] == 1, result
            endpoints = ec2.describe_vpc_endpoints(
                Filters=[{"Name": "tag:linkpilot:resource-configuration-arn", "Values": [cfg]}]
            )["VpcEndpoints"]
            assert len(endpoints) == 1, endpoints
    return [
        limit_row(
            "event -> endpoint created, local AWS",
            Spread(tuple(created_ms)),
            "ms",
            limit=EVENT_GOAL_MS,
            judged_on="median",
            basis=f"median of {reps} events, in process",
        )
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
    ]


def run() -> list[dict[str, Any]]:
    return [
        *bench_cold_imports(),
        *bench_beyond_boto3(),
        *bench_policy_parse(),
        *bench_event_to_endpoint(),
        *bench_delivery_faults(),
    ]
