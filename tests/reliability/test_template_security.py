"""Template security: every suppression is justified where it is made.

checkov itself runs in ``make validate`` (from its own venv, .venv-checkov: it pins many packages), next to
cfn-lint and ``sam validate --lint``; this test keeps the suppressions honest: each checkov skip sits in the
resource's Metadata with a real reason, names a check id, and no linter is silenced template-wide.
"""

from __future__ import annotations

import re

import pytest

from linkpilot_local.cfn import load_template

from .support import ROOT

TEMPLATES = [ROOT / "template.yaml", ROOT / "provider" / "template.yaml"]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_checkov_skip_names_a_check_and_gives_a_reason(path):
    template = load_template(path)
    skips = 0
    for name, resource in template["Resources"].items():
        for skip in (resource.get("Metadata") or {}).get("checkov", {}).get("skip", []):
            skips += 1
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip.get("id", "")), f"{name}: {skip}"
            assert len(skip.get("comment", "").split()) >= 8, f"{name}: skip {skip['id']} needs a real reason"
    assert skips, "no suppression found: the loader or the template layout changed"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_linter_is_silenced_template_wide(path):
    text = path.read_text()
    assert "checkov:skip=" not in text, "inline skip comments carry no reason: use the resource Metadata"
    metadata = load_template(path).get("Metadata") or {}
    assert "cfn-lint" not in metadata, "cfn-lint checks may only be ignored per resource, with a reason"
