"""`make acceptance` against the local AWS, run in CI: the whole story holds, the verdict table is printed,
report.json is written, every check is honestly "not reached" (the local AWS is no evidence of AWS), and
--record writes sanitised fixtures."""

from __future__ import annotations

import io
import json
import re

import pytest

from linkpilot_cli.acceptance.catalogue import CATALOGUE
from linkpilot_cli.acceptance.plan import AcceptanceOptions
from linkpilot_cli.acceptance.runner import run_acceptance

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]


def test_the_acceptance_story_holds_against_the_local_aws(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    options = AcceptanceOptions(report_root=tmp_path / "reports", record=tmp_path / "rec", run_id="local-1")
    code = run_acceptance(options, out, err)
    text = out.getvalue()
    assert code == 0, text + err.getvalue()
    for milestone in (
        "provider stack deployed",
        "consumer stack deployed",
        "its RAM event's run creates the endpoint",
        "a follow-up run publishes the target and probes it at once",
        "alarm goes to ALARM",
        "alarm back to OK",
        "policy override kind tcp → endpoint probed",
        "one ServiceNetwork endpoint, probed",
        "ServiceNetworkMode=association",
        "controller deletes the endpoint",
        "uninstall: the stack's delete leaves nothing; cleanup --dry-run finds nothing",
        "0 verified, 0 contradicted",
        "PASSED",
    ):
        assert milestone in text, milestone
    assert "✗" not in text
    report = json.loads((tmp_path / "reports" / "local-1" / "report.json").read_text())
    assert report["target"] == "local" and report["passed"] is True
    assert [c["name"] for c in report["checks"]] == [c.name for c in CATALOGUE]
    assert {c["verdict"] for c in report["checks"]} == {"not reached"}
    emulated = [c for c in report["checks"] if c["observed"].startswith("emulated, not evidence of AWS: ")]
    assert len(emulated) >= 8  # what the story reached is reported, as the emulation's
    fixtures = list((tmp_path / "rec").glob("*.json"))
    assert any(p.name.startswith("ec2.CreateVpcEndpoint.rec-") for p in fixtures)
    for path in fixtures:
        data = path.read_text()
        assert re.search(r"(?<!\d)\d{12}(?!\d)", data) is None, path.name
        assert json.loads(data)["source"]["kind"] == "local-emulation"
