"""Static checks of the probe's part of template.yaml that sam validate / cfn-lint do not make: the probe
function's placement and (absent) permissions, the alarm watching exactly what the probe emits, and a
dashboard body that is valid JSON once substituted."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from linkpilot.probe import ProbeResult
from linkpilot.probe.emf import emf_records
from linkpilot_local.cfn import load_template

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    template = load_template(ROOT / "template.yaml")
    return template["Resources"] | {"__parameters__": template["Parameters"]}


def test_probe_runs_in_the_vpc_with_no_permissions_of_its_own(resources):
    props = resources["ProbeFunction"]["Properties"]
    assert props["VpcConfig"]["SecurityGroupIds"] == {"Ref": "ProbeSecurityGroupIds"}
    assert props["VpcConfig"]["SubnetIds"]["Fn::If"][1] == {"Ref": "ProbeSubnetIds"}
    # SAM adds only the basic and VPC-access execution roles; no policies, no tracing (no X-Ray from the VPC)
    for key in ("Policies", "Role", "Connectors"):
        assert key not in props
    assert props["Tracing"] == "PassThrough"
    assert props["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"] == "linkpilot-probe"


def test_failing_alarm_watches_what_the_probe_emits(resources):
    alarm = resources["ProbeTargetsFailingAlarm"]["Properties"]
    (aggregate,) = emf_records([], namespace="Linkpilot", service="linkpilot-probe")
    directive = aggregate["_aws"]["CloudWatchMetrics"][0]
    assert alarm["Namespace"] == directive["Namespace"]
    assert alarm["MetricName"] in {m["Name"] for m in directive["Metrics"]}
    assert [d["Name"] for d in alarm["Dimensions"]] == directive["Dimensions"][0]
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {"service": aggregate["service"]}
    assert alarm["TreatMissingData"] == "breaching"
    assert alarm["Statistic"] == "Maximum" and alarm["Period"] == 60 and alarm["Threshold"] == 1
    assert alarm["EvaluationPeriods"] == {"Ref": "ProbeAlarmPeriods"}
    assert alarm["DatapointsToAlarm"] == {"Ref": "ProbeAlarmDatapoints"}
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    params = resources["__parameters__"]
    assert (params["ProbeAlarmDatapoints"]["Default"], params["ProbeAlarmPeriods"]["Default"]) == (2, 3)
    assert resources["AlertsTopic"]["Type"] == "AWS::SNS::Topic"


def test_errors_alarm_on_the_probe_function(resources):
    alarm = resources["ProbeErrorsAlarm"]["Properties"]
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": "ProbeFunction"}}]
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}]


def test_dashboard_is_json_with_per_endpoint_searches(resources):
    text, variables = resources["ProbeDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    values = {"AWS::Region": "us-east-1", "ProbeFunction": "fn", **dict.fromkeys(variables, "x")}
    values["Search"] = variables["Search"]
    body = json.loads(
        re.sub(r"\$\{(!?)([^}]+)\}", lambda m: "${" + m[2] + "}" if m[1] else values[m[2]], text)
    )
    expressions = [
        m[0]["expression"]
        for w in body["widgets"]
        if w["type"] == "metric"
        for m in w["properties"]["metrics"]
        if isinstance(m[0], dict)
    ]
    (record,) = emf_records([ProbeResult("vpce-1", "ok")], service="linkpilot-probe")[:1]
    dims = ",".join(sorted(record["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]))
    for name in ("ProbeSuccess", "ProbeLatency"):
        (expr,) = [e for e in expressions if name in e]
        assert expr.startswith(f"SEARCH('{{Linkpilot,{dims}}} ")
        assert 'service="linkpilot-probe"' in expr


@pytest.mark.parametrize(
    ("alarm_name", "metric"),
    [
        ("ProbeTargetsDownAlarm", "ProbeTargetsDown"),
        ("ProbeTargetsDegradedAlarm", "ProbeTargetsDegraded"),
        ("ProbeCertExpiringAlarm", "ProbeCertsExpiring"),
    ],
)
def test_down_degraded_and_expiring_alarms_watch_what_the_probe_emits(resources, alarm_name, metric):
    alarm = resources[alarm_name]["Properties"]
    (aggregate,) = emf_records([], namespace="Linkpilot", service="linkpilot-probe")
    directive = aggregate["_aws"]["CloudWatchMetrics"][0]
    assert (alarm["Namespace"], alarm["MetricName"]) == (directive["Namespace"], metric)
    assert metric in {m["Name"] for m in directive["Metrics"]} and aggregate[metric] == [0.0]
    assert {d["Name"]: d["Value"] for d in alarm["Dimensions"]} == {"service": aggregate["service"]}
    assert (alarm["Statistic"], alarm["Period"], alarm["Threshold"]) == ("Maximum", 60, 1)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    # a run that did not report is the failing-targets alarm's (breaching) business, not these
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["EvaluationPeriods"] == {"Ref": "ProbeAlarmPeriods"}
    assert alarm["AlarmActions"] == [{"Ref": "AlertsTopic"}] == alarm["OKActions"]
