"""Conventions both stacks keep: every alarm tells its topic when it clears as well as when it fires, every
parameter says what it is for, the audit trails outlive the stack, an alert address is subscribed only when
one is given, and nothing in a committed template waits for someone to replace a placeholder (the Serverless
Application Repository's repository URLs are given at publish time: `make publish REPO_URL=...`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from linkpilot_local.cfn import Resolver, load_template, resources_of_type

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = {"consumer": ROOT / "template.yaml", "provider": ROOT / "provider" / "template.yaml"}
# The parameter that subscribes an e-mail address, and the topic every alarm of the stack notifies. The
# provider's parameter kept its name (NotificationEmail) so that deployed stacks update unchanged.
ALERT_EMAIL = {
    "consumer": ("AlertEmail", "AlertsTopic"),
    "provider": ("NotificationEmail", "NotificationTopic"),
}
AUDIT_TABLES = {"consumer": ["AuditTable"], "provider": ["AuditTable"]}
# Words a template author leaves for someone else to replace.
PLACEHOLDER = re.compile(r"\b(OWNER|CHANGE_?ME|REPLACE_?ME|TODO|FIXME|TBD|XXX+|PLACEHOLDER)\b|<your[\w -]*>")
SAR = "AWS::ServerlessRepo::Application"


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    return {side: load_template(path) for side, path in TEMPLATES.items()}


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_every_alarm_notifies_on_ok_the_topics_it_notifies_on_alarm(
    templates: dict[str, dict[str, Any]], side: str
) -> None:
    alarms = resources_of_type(templates[side], "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 5, f"{side}: the alarms were not found"
    topic = {"Ref": ALERT_EMAIL[side][1]}
    for name, alarm in alarms.items():
        props = alarm["Properties"]
        assert props.get("AlarmActions") == [topic], f"{side}: {name} does not notify {topic['Ref']}"
        assert props.get("OKActions") == props["AlarmActions"], f"{side}: {name} is silent when it clears"


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_every_parameter_has_a_description(templates: dict[str, dict[str, Any]], side: str) -> None:
    missing = [
        name
        for name, spec in templates[side]["Parameters"].items()
        if len(str(spec.get("Description", "")).split()) < 3
    ]
    assert not missing, f"{side}: parameters without a description: {missing}"


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_audit_tables_outlive_the_stack(templates: dict[str, dict[str, Any]], side: str) -> None:
    resources = templates[side]["Resources"]
    for name in AUDIT_TABLES[side]:
        table = resources[name]
        assert table["Type"] == "AWS::DynamoDB::Table"
        assert table.get("DeletionPolicy") == "Retain", f"{side}: {name} is deleted with the stack"
        assert table.get("UpdateReplacePolicy") == "Retain", f"{side}: {name} is deleted when replaced"


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_no_placeholder_in_a_committed_template(templates: dict[str, dict[str, Any]], side: str) -> None:
    text = TEMPLATES[side].read_text()
    hits = [
        f"line {number}: {line.strip()}"
        for number, line in enumerate(text.splitlines(), 1)
        if PLACEHOLDER.search(line)
    ]
    assert not hits, f"{side}: placeholders: {hits}"
    # The repository's address is the publisher's: `make publish REPO_URL=...` renders it into a copy of the
    # packaged template (scripts/sar_publish_template.py); sam publish needs neither URL.
    metadata = templates[side]["Metadata"][SAR]
    assert not {"HomePageUrl", "SourceCodeUrl"} & set(metadata), f"{side}: URLs belong to publish time"


def test_the_placeholder_check_is_not_vacuous() -> None:
    for stale in (
        "HomePageUrl: https://github.com/OWNER/linkpilot",
        "Value: CHANGEME",
        "# TODO: fill in",
        "Endpoint: <your address>",
    ):
        assert PLACEHOLDER.search(stale), stale
    for fine in ("Owner: the provider", "OwnerAccountId", "ProbeTargetsDown", "the owner's <stack> name"):
        assert not PLACEHOLDER.search(fine), fine


def _email_subscriptions(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in resources_of_type(template, "AWS::SNS::Subscription").items()
        if resource["Properties"].get("Protocol") == "email"
    }


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_the_alert_email_is_subscribed_only_when_given(
    templates: dict[str, dict[str, Any]], side: str
) -> None:
    template = templates[side]
    parameter, topic = ALERT_EMAIL[side]
    assert template["Parameters"][parameter]["Default"] == ""
    ((name, subscription),) = _email_subscriptions(template).items()
    props = subscription["Properties"]
    assert props["TopicArn"] == {"Ref": topic}, f"{side}: {name} subscribes to another topic"
    assert props["Endpoint"] == {"Ref": parameter}
    condition = subscription["Condition"]
    assert not Resolver(template, parameters={parameter: ""}).condition(condition)
    assert Resolver(template, parameters={parameter: "ops@example.com"}).condition(condition)


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_the_alert_email_pattern_takes_empty_or_one_address(
    templates: dict[str, dict[str, Any]], side: str
) -> None:
    spec = templates[side]["Parameters"][ALERT_EMAIL[side][0]]
    # CloudFormation matches AllowedPattern against the whole value (Java regular expressions; this one
    # means the same in Python's re)
    pattern = re.compile(spec["AllowedPattern"])
    for good in ("", "ops@example.com", "first.last+linkpilot@mail.example.co.uk", "o'neil@example.org"):
        assert pattern.fullmatch(good), f"{side}: refuses {good!r}"
    for bad in (
        " ",
        "ops",
        "ops@example",
        "@example.com",
        "ops@@example.com",
        "a@example.com,b@example.com",
        "ops @example.com",
        "ops@example.com\n",
    ):
        assert not pattern.fullmatch(bad), f"{side}: accepts {bad!r}"
    assert spec.get("ConstraintDescription"), f"{side}: a refused value should say what is expected"
