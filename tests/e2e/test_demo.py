"""`make demo`'s scenario, run in CI: every expectation must hold, with either untrusted-share policy."""

from __future__ import annotations

import io

import pytest

from linkpilot_demo.scenario import DemoOptions, run_demo

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


@pytest.mark.parametrize("untrusted", ["ignore", "reject"])
def test_demo_story_holds_end_to_end(untrusted, tmp_path):
    out = io.StringIO()
    ok = run_demo(out, DemoOptions(untrusted_invitations=untrusted, log_path=tmp_path / "demo.log"))
    text = out.getvalue()
    assert ok, text
    assert "✗" not in text
    for milestone in (
        "controller accepts the trusted share (no endpoint in the same run)",
        "its RAM event's run creates the endpoint",
        "a follow-up run publishes the target and probes it at once",
        "follow-up run",
        "alarm goes to ALARM",
        "alarm back to OK",
        "policy override kind tcp → endpoint probed",
        "probe degraded → degraded alarm",
        "degraded alarm back to OK",
        {"ignore": "→ ignored", "reject": "→ rejected"}[untrusted],
        "one ServiceNetwork endpoint, probed",
        "controller deletes the endpoint",
        "every expectation held",
    ):
        assert milestone in text, milestone
    # the functions' own output (structured logs, EMF) went to the log, not to the timeline
    assert "['" not in text and "{'" not in text  # no Python lists or dicts as they are
    log = (tmp_path / "demo.log").read_text()
    assert '"_aws"' in log and '"level"' in log


def test_a_failed_expectation_fails_the_demo(tmp_path):
    # a consumer that trusts another account never accepts: the story must stop there and say why
    out = io.StringIO()
    options = DemoOptions(trusted_accounts=("111111111119",), log_path=tmp_path / "demo.log")
    assert not run_demo(out, options)
    text = out.getvalue()
    assert "✗ RAM event → controller accepts" in text
    assert "expected: the invitation is ACCEPTED" in text
    assert "every expectation held" not in text
