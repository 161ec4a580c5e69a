"""Each handler module's cold start imports only what its path uses (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Never at a handler's cold start: development tooling, the CLI, and the AWS SDK where no AWS call is made.
NEVER = {
    "moto",
    "linkpilot_local",
    "linkpilot_demo",
    "linkpilot_cli.commands",
    "linkpilot_cli.main",
    "pytest",
    # what made the cold start 2-3x `import boto3`: the X-Ray SDK (Powertools' Tracer) and the parser's models
    "aws_xray_sdk",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.data_classes",
    # and what kept the controller at 2x: pydantic and building the policy's models (now linkpilot.spec)
    "pydantic",
    "pydantic_core",
}
# what each function's template sets (the onboarding settings are required at cold start)
FUNCTION_ENV = {
    "onboarding": {
        "LINKPILOT_SHARE_ARN": "arn:aws:ram:us-east-1:111111111111:resource-share/x",
        "LINKPILOT_CONSUMER_LIST_PARAMETER": "/linkpilot/provider/consumers",
        "LINKPILOT_AUDIT_TABLE": "audit",
        "LINKPILOT_TOPIC_ARN": "arn:aws:sns:us-east-1:111111111111:t",
    }
}
CASES = {
    # the probe makes no AWS API call: no SDK clients
    "probe": NEVER
    | {
        "boto3",
        "botocore.client",
        "linkpilot.runtime.controller",
        "linkpilot.runtime.onboarding",
        "linkpilot.consumer.reconcile",
    },
    # the controller and the onboarding function do not carry each other's code, nor the probe client
    "controller": NEVER
    | {"linkpilot.provider.plan", "linkpilot.runtime.onboarding", "linkpilot.probe.client"},
    "onboarding": NEVER
    | {"linkpilot.consumer.reconcile", "linkpilot.runtime.controller", "linkpilot.probe.client"},
}
SCRIPT = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("app", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules["app"] = module
spec.loader.exec_module(module)
print(json.dumps(sorted(sys.modules)))
"""


@pytest.mark.parametrize("function", sorted(CASES))
def test_handler_cold_start_imports(function):
    env = {
        **os.environ,
        "POWERTOOLS_SERVICE_NAME": f"linkpilot-{function}",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "AWS_XRAY_SDK_ENABLED": "false",
        **FUNCTION_ENV.get(function, {}),
    }
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ROOT / "functions" / function / "app.py")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    ).stdout
    loaded = set(json.loads(out.splitlines()[-1]))
    assert "app" in loaded
    forbidden = sorted(m for m in loaded if m in CASES[function] or m.split(".")[0] in CASES[function])
    assert forbidden == [], f"{function} imports at cold start: {forbidden}"
