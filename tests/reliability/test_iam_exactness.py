"""IAM exactness: every AWS operation each function performs, recorded across the integration suite, against
that function's policy in template.yaml / provider/template.yaml.

- nothing called that is not granted; nothing granted that is never called (documented exceptions only);
- destructive actions scoped by resource, or by the managed-tag condition where the resource id cannot be
  known in advance and AWS supports the condition (checked with policy_sentry's offline IAM database);
- every granted action exists, every condition key is valid for it, "*" only where AWS allows nothing else.

The calls come from ``iam_recorder`` (tests/reliability/conftest.py installs it for the session). In
``make test`` this is a pass of its own: it reads what the parallel main run recorded
(``LINKPILOT_IAM_CALLS``). Run any other way, it uses this session's records when the session ran the whole
suite in one process, and otherwise runs the suites that drive the functions in a subprocess (in parallel)
and reads what that recorded.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from policy_sentry.querying.actions import get_action_data

from linkpilot_local.cfn import load_template

from . import iam_recorder
from .iam_recorder import SUITE
from .support import FUNCTIONS, ROOT, as_list, function_statements, granted_actions

EXCEPTIONS = yaml.safe_load((Path(__file__).with_name("iam_exceptions.yaml")).read_text())
DESTRUCTIVE = re.compile(r"^(Delete|Disassociate|Reject|Remove|Terminate|Detach|Revoke|Disable)")
MANAGED_TAG_CONDITION = "aws:ResourceTag/linkpilot:managed"


def _statements(function: str) -> list[dict[str, Any]]:
    template, logical_id = FUNCTIONS[function]
    return function_statements(load_template(template), logical_id)


@pytest.fixture(scope="module")
def recorded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    given = os.environ.get(iam_recorder.CALLS_DIR_ENV)
    if given:
        try:
            calls = iam_recorder.read_record_dir(Path(given))
        except ValueError as err:
            pytest.fail(f"{iam_recorder.CALLS_DIR_ENV}={given}: {err}")
    elif iam_recorder.session_covers_suite(request.config) and not _distributed(request.config):
        calls = iam_recorder.snapshot()
    else:
        out = tmp_path_factory.mktemp("iam")
        env = {**os.environ, iam_recorder.RECORD_DIR_ENV: str(out)}
        env.pop("PYTEST_CURRENT_TEST", None)
        env.pop("PYTEST_XDIST_WORKER", None)
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", "-n", "auto", *SUITE],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        calls = iam_recorder.read_record_dir(out)
    return {function: set(calls.get(function, {})) for function in FUNCTIONS}


def _distributed(config: pytest.Config) -> bool:
    """Whether tests of this session run in xdist workers (each saw only part of the suite)."""
    return bool(os.environ.get("PYTEST_XDIST_WORKER")) or getattr(config.option, "dist", "no") != "no"


@pytest.mark.after_all_calls_recorded
@pytest.mark.timeout(900)  # alone, it first runs the suites that drive the functions
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_call_is_granted(function: str, recorded: dict[str, set[str]]) -> None:
    granted = granted_actions(_statements(function))
    called = recorded[function]
    if function != "probe":
        assert called, f"no call of the {function} function was recorded: the recorder is not working"
    assert called <= granted, f"{function} calls what its policy does not grant: {sorted(called - granted)}"


@pytest.mark.after_all_calls_recorded
@pytest.mark.timeout(900)  # alone, it first runs the suites that drive the functions
@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_every_grant_is_called_or_a_documented_exception(
    function: str, recorded: dict[str, set[str]]
) -> None:
    granted = granted_actions(_statements(function))
    unused = granted - recorded[function]
    documented = EXCEPTIONS["granted_not_called"].get(function) or {}
    assert all(str(reason).strip() for reason in documented.values()), "every exception needs a reason"
    assert unused == set(documented), (
        f"{function}: granted but never called and undocumented: {sorted(unused - set(documented))}; "
        f"documented but not (or no longer) applicable: {sorted(set(documented) - unused)}"
    )


# --- static checks with the offline IAM database ---------------------------------------------------------
def _action_rows(action: str) -> list[dict[str, Any]]:
    service, name = action.split(":")
    data = get_action_data(service, name)
    assert data, f"{action} is not an IAM action"
    rows: list[dict[str, Any]] = data[service]
    return rows


def _generic(key: str) -> str:
    return re.sub(r"Tag/[^/]+$", "Tag/${TagKey}", key)


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_granted_actions_exist_and_condition_keys_are_valid(function: str) -> None:
    for statement in _statements(function):
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"
            keys = {k for row in _action_rows(action) for k in row["condition_keys"]}
            for operator, conditions in statement.get("Condition", {}).items():
                for key in conditions:
                    valid = (
                        key in keys
                        or _generic(key) in keys
                        or key.startswith(("aws:Source", "aws:Principal"))
                    )
                    assert valid, f"{function}: {operator} {key} is not a condition key of {action}"


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_star_resource_only_where_aws_supports_nothing_narrower(function: str) -> None:
    for statement in _statements(function):
        if as_list(statement["Resource"]) != ["*"]:
            continue
        for action in as_list(statement["Action"]):
            formats = {row["resource_arn_format"] for row in _action_rows(action)}
            assert formats == {"*"}, f"{function}: {action} supports resource ARNs, do not grant it on *"


def _resource_id_is_wildcard(resource: Any) -> bool:
    """``arn:...:vpc-endpoint/*`` (any id) vs ``!Ref Share`` or ``.../linkpilot-probe-*`` (named)."""
    if resource == "*":
        return True
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else resource
    if isinstance(text, list):
        text = text[0]
    if not isinstance(text, str):
        return False  # !Ref / !GetAtt of one resource of the stack
    tail = re.sub(r"\$\{[^}]+\}", "x", text).split(":", 5)[-1]
    return bool(re.fullmatch(r"[A-Za-z0-9-]+/\*|\*", tail))


@pytest.mark.parametrize("function", sorted(FUNCTIONS))
def test_destructive_actions_are_scoped_by_resource_or_managed_tag(function: str) -> None:
    documented = EXCEPTIONS["unscoped_destructive"].get(function) or {}
    unscoped = set()
    for statement in _statements(function):
        for action in as_list(statement["Action"]):
            if not DESTRUCTIVE.match(action.split(":")[1]):
                continue
            resources = as_list(statement["Resource"])
            if not any(_resource_id_is_wildcard(r) for r in resources):
                continue  # named resources (or a fixed name prefix): scoped by resource
            keys = {k for row in _action_rows(action) for k in row["condition_keys"]}
            conditions = {k for c in statement.get("Condition", {}).values() for k in c}
            if "aws:ResourceTag/${TagKey}" in keys:
                assert MANAGED_TAG_CONDITION in conditions, (
                    f"{function}: {action} on any id must be limited to resources carrying the managed tag"
                )
            elif not conditions:
                unscoped.add(action)
    assert unscoped == set(documented), (
        f"{function}: unscoped destructive actions {sorted(unscoped - set(documented))} are not documented; "
        f"stale entries {sorted(set(documented) - unscoped)}"
    )


# --- the onboarding function, exactly (moved from tests/contract/test_provider_template.py) -----------------
def test_onboarding_policy_is_least_privilege() -> None:
    granted: dict[str, Any] = {}
    conditions: dict[str, Any] = {}
    for statement in _statements("onboarding"):
        for action in as_list(statement["Action"]):
            granted[action] = statement["Resource"]
            conditions[action] = statement.get("Condition")
    # Exactly the calls the onboarding code makes (adapters: ram_provider, lattice_provider, ssm_parameters,
    # audit, notify, state_table for the one-pass-at-a-time lease).
    assert set(granted) == {
        "vpc-lattice:ListResourceEndpointAssociations",
        "ssm:GetParameter",
        "ram:GetResourceShareAssociations",
        "ram:AssociateResourceShare",
        "ram:DisassociateResourceShare",
        "dynamodb:GetItem",  # the lease is read before it is taken: the answer's Date is the shared clock
        "dynamodb:PutItem",
        "sns:Publish",
    }
    assert conditions["dynamodb:GetItem"] == {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["lease#onboarding"]}
    }
    assert granted["ram:AssociateResourceShare"] == {"Ref": "ResourceShare"}
    assert granted["ram:DisassociateResourceShare"] == {"Ref": "ResourceShare"}
    # principals only, only those the stack allows, only while the share's external setting is the stack's
    assert conditions["ram:AssociateResourceShare"] == {
        "Null": {"ram:ResourceArn": "true"},
        "StringLike": {
            "ram:Principal": {
                "Fn::If": ["HasAllowedConsumers", {"Ref": "AllowedConsumerPrincipals"}, "none-allowed"]
            }
        },
        "Bool": {"ram:AllowsExternalPrincipals": {"Ref": "AllowExternalPrincipals"}},
    }
    assert conditions["ram:DisassociateResourceShare"] == {"Null": {"ram:ResourceArn": "true"}}
    # PutItem twice: the lease item of the state table only, and the audit table (no BatchWriteItem, whose
    # DeleteRequest no condition key can refuse)
    puts = [
        (s["Resource"], s.get("Condition"))
        for s in _statements("onboarding")
        if s["Action"] == "dynamodb:PutItem"
    ]
    assert sorted(puts, key=str) == sorted(
        [
            ({"Fn::GetAtt": ["AuditTable", "Arn"]}, None),
            (
                {"Fn::GetAtt": ["StateTable", "Arn"]},
                {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["lease#onboarding"]}},
            ),
        ],
        key=str,
    )
    # "*" only where IAM cannot scope by resource; the endpoint list is pinned by a condition instead.
    assert sorted(a for a, r in granted.items() if r == "*") == [
        "ram:GetResourceShareAssociations",
        "vpc-lattice:ListResourceEndpointAssociations",
    ]
    assert get_action_data("ram", "GetResourceShareAssociations")["ram"][0]["resource_arn_format"] == "*"
    (endpoints,) = [
        s for s in _statements("onboarding") if s["Action"] == "vpc-lattice:ListResourceEndpointAssociations"
    ]
    pinned = endpoints["Condition"]["StringEquals"]["vpc-lattice:ResourceConfigurationArn"]
    assert pinned in (
        {"GetAtt": "ResourceConfiguration.Arn"},
        {"Fn::GetAtt": ["ResourceConfiguration", "Arn"]},
    )
    template = load_template(FUNCTIONS["onboarding"][0])
    assert template["Parameters"]["AllowExternalPrincipals"]["Default"] == "false"
    assert "ReservedConcurrentExecutions" not in template["Resources"]["OnboardingFunction"]["Properties"]
    env = template["Resources"]["OnboardingFunction"]["Properties"]["Environment"]["Variables"]
    timeout = template["Globals"]["Function"]["Timeout"]
    assert int(env["LINKPILOT_LEASE_SECONDS"]) > timeout  # Lambda ends a holder before its lease expires


def test_the_probe_function_is_granted_nothing() -> None:
    assert _statements("probe") == []
