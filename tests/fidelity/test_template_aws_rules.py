"""Template choices that follow documented AWS behaviour: the RAM event rule matches the documented RAM event
only, and an alarm's DatapointsToAlarm can never exceed its EvaluationPeriods, whatever the parameters."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from reliability.support import ROOT

from linkpilot_local.cfn import load_template

from .evidence import fixture

TEMPLATES = {"consumer": ROOT / "template.yaml", "provider": ROOT / "provider" / "template.yaml"}

# "AWS API Call via CloudTrail" with source aws.ram (EventBridge events reference: "AWS RAM events delivered
# via AWS CloudTrail"): the controller's own AcceptResourceShareInvitation would be one of them.
CLOUDTRAIL_RAM_EVENT = {
    "source": "aws.ram",
    "detail-type": "AWS API Call via CloudTrail",
    "detail": {"eventSource": "ram.amazonaws.com", "eventName": "AcceptResourceShareInvitation"},
}


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge matching for the pattern forms our templates use: arrays of exact values, nested objects.
    Anything else (prefix, numeric, exists...) fails loudly instead of guessing."""
    for key, expected in pattern.items():
        if isinstance(expected, dict):
            if not isinstance(event.get(key), dict) or not matches(expected, event[key]):
                return False
        elif isinstance(expected, list) and all(isinstance(v, str) for v in expected):
            if event.get(key) not in expected:
                return False
        else:
            raise AssertionError(f"pattern form not handled here: {key}: {expected!r}")
    return True


def ram_rules(template: dict[str, Any]) -> list[dict[str, Any]]:
    patterns = []
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            for event in resource["Properties"].get("Events", {}).values():
                if (
                    event["Type"] == "EventBridgeRule"
                    and "aws.ram" in event["Properties"]["Pattern"]["source"]
                ):
                    patterns.append(event["Properties"]["Pattern"])
        if resource["Type"] == "AWS::Events::Rule":
            pattern = resource["Properties"].get("EventPattern", {})
            if "aws.ram" in pattern.get("source", []):
                patterns.append(pattern)
    return patterns


def test_the_controller_listens_to_ram() -> None:
    assert len(ram_rules(load_template(TEMPLATES["consumer"]))) == 1


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_ram_rules_match_the_documented_event_and_not_cloudtrail_calls(name: str) -> None:
    """(b) ``source: aws.ram`` alone also matches "AWS API Call via CloudTrail" events (the controller's own
    accepts among them, when the account has a trail): filter on the documented detail-type."""
    documented = fixture("events.ram.ResourceSharingStateChange").data["event"]
    for pattern in ram_rules(load_template(TEMPLATES[name])):
        assert matches(pattern, documented)
        assert not matches(pattern, CLOUDTRAIL_RAM_EVENT)
        assert pattern["detail-type"] == ["Resource Sharing State Change"]


def test_the_matcher_is_not_vacuous() -> None:
    assert matches({"source": ["aws.ram"]}, CLOUDTRAIL_RAM_EVENT)
    assert not matches({"source": ["aws.ssm"]}, CLOUDTRAIL_RAM_EVENT)
    assert not matches({"detail": {"eventName": ["X"]}}, CLOUDTRAIL_RAM_EVENT)


# --- Rules: DatapointsToAlarm <= EvaluationPeriods --------------------------------------------------------
def _fn(node: Any) -> tuple[str, Any]:
    ((key, value),) = node.items()
    return key.removeprefix("Fn::"), value


def evaluate(node: Any, params: dict[str, str]) -> Any:
    """The rule functions CloudFormation documents (Equals, Not, And, Or, Contains, Ref) over string
    parameter values; any other function fails the test rather than being guessed."""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return [evaluate(n, params) for n in node]
    fn, arg = _fn(node)
    if fn == "Ref":
        return params[arg]
    if fn == "Equals":
        left, right = (evaluate(a, params) for a in arg)
        return left == right
    if fn == "Not":
        (inner,) = arg
        return not evaluate(inner, params)
    if fn == "And":
        return all(evaluate(a, params) for a in arg)
    if fn == "Or":
        return any(evaluate(a, params) for a in arg)
    if fn == "Contains":
        values, value = (evaluate(a, params) for a in arg)
        return value in values
    raise AssertionError(f"rule function not handled: {fn}")


def rules_accept(template: dict[str, Any], params: dict[str, str]) -> bool:
    for rule in template.get("Rules", {}).values():
        if "RuleCondition" in rule and not evaluate(rule["RuleCondition"], params):
            continue
        if not all(evaluate(a["Assert"], params) for a in rule["Assertions"]):
            return False
    return True


def _number_range(param: dict[str, Any]) -> range:
    assert param["Type"] == "Number" and "MinValue" in param and "MaxValue" in param, param
    return range(int(param["MinValue"]), int(param["MaxValue"]) + 1)


def _alarm_parameters(template: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    found = []
    for logical, resource in template["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        found.append((logical, props.get("DatapointsToAlarm"), props["EvaluationPeriods"]))
    return found


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_datapoints_never_exceed_evaluation_periods(name: str) -> None:
    """(c) For every alarm: a literal pair is consistent, and a parameter pair is refused by the template's
    Rules exactly when DatapointsToAlarm > EvaluationPeriods (every value the parameters allow is tried)."""
    template = load_template(TEMPLATES[name])
    params = template["Parameters"]
    for logical, datapoints, periods in _alarm_parameters(template):
        if datapoints is None:
            continue  # CloudWatch then uses EvaluationPeriods: N = M
        if not isinstance(datapoints, dict) and not isinstance(periods, dict):
            assert int(datapoints) <= int(periods), logical
            continue
        d_name, p_name = datapoints["Ref"], periods["Ref"]
        defaults = {k: str(v.get("Default", "")) for k, v in params.items()}
        for d, p in itertools.product(_number_range(params[d_name]), _number_range(params[p_name])):
            accepted = rules_accept(template, {**defaults, d_name: str(d), p_name: str(p)})
            assert accepted == (d <= p), f"{logical}: N={d}, M={p} accepted={accepted}"


def test_the_consumer_template_has_a_parameter_pair() -> None:
    pairs = [
        (d, p) for _, d, p in _alarm_parameters(load_template(TEMPLATES["consumer"])) if isinstance(d, dict)
    ]
    # every probe alarm (failing, down, degraded, certificate) takes its N of M from the one parameter pair
    assert len(pairs) >= 1
    assert all(pair == ({"Ref": "ProbeAlarmDatapoints"}, {"Ref": "ProbeAlarmPeriods"}) for pair in pairs)
