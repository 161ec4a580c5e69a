"""The functions' settings: one prefix, read once, every bad value named by its variable."""

from __future__ import annotations

import pytest

from linkpilot.provider.plan import SharingMode
from linkpilot.runtime.controller import ControllerSettings
from linkpilot.runtime.onboarding import OnboardingSettings
from linkpilot.settings import SettingsError

ONBOARDING = {
    "LINKPILOT_SHARE_ARN": "arn:aws:ram:us-east-1:111111111111:resource-share/x",
    "LINKPILOT_CONSUMER_LIST_PARAMETER": "/linkpilot/provider/consumers",
    "LINKPILOT_AUDIT_TABLE": "audit",
    "LINKPILOT_TOPIC_ARN": "arn:aws:sns:us-east-1:111111111111:t",
}


def test_controller_reads_its_variables_and_keeps_defaults() -> None:
    s = ControllerSettings.from_env(
        {"LINKPILOT_POLICY_PARAMETER": "/p", "LINKPILOT_MAX_WORKERS": "3", "LINKPILOT_AUDIT_TABLE": ""}
    )
    assert (s.policy_parameter_name, s.max_workers, s.audit_table_name) == ("/p", 3, None)
    assert s.policy_cache_seconds == 300 and s.probe_schedule_expression == "rate(1 minute)"
    assert not s.probe_configured


def test_every_bad_value_is_named_by_its_variable() -> None:
    with pytest.raises(SettingsError) as err:
        ControllerSettings.from_env(
            {
                "LINKPILOT_MAX_WORKERS": "0",
                "LINKPILOT_PROBE_SCHEDULE": "hourly",
                "LINKPILOT_POLICY_CACHE_SECONDS": "x",
            }
        )
    text = str(err.value)
    assert "LINKPILOT_MAX_WORKERS: must be at least 1" in text
    assert "LINKPILOT_PROBE_SCHEDULE: must match" in text
    assert "LINKPILOT_POLICY_CACHE_SECONDS: not an integer" in text


def test_onboarding_requires_its_names_and_a_known_mode() -> None:
    with pytest.raises(SettingsError) as err:
        OnboardingSettings.from_env({"LINKPILOT_SHARING_MODE": "everyone"})
    text = str(err.value)
    for var in ONBOARDING:
        assert f"{var}: required" in text
    assert "LINKPILOT_SHARING_MODE: must be one of ['accounts', 'organization']" in text
    s = OnboardingSettings.from_env({**ONBOARDING, "LINKPILOT_SHARING_MODE": "organization"})
    assert s.sharing_mode is SharingMode.ORGANIZATION and s.audit_retention_days == 90


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(SettingsError, match="LINKPILOT_AUDIT_RETENTION_DAYS: must be at most 3650"):
        OnboardingSettings(
            share_arn="a",
            consumer_list_parameter="b",
            audit_table="c",
            topic_arn="d",
            audit_retention_days=5000,
        )
