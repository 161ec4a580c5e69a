"""Issue 22 items 4 and 5, against the local AWS through the real CLI: another account's share name is shown
escaped (table, text) and exact (JSON), and an oversized one is stored bounded, never losing the audit trail.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from controller_world import Consumer, Provider

from linkpilot_cli import main as cli

pytestmark = pytest.mark.integration

FORGED_ROW = "\nendpoint\tvpce-0123456789abcdef0\tavailable\tforged-row"
# ESC (a cursor/erase sequence), BEL, CR, NUL, DEL, a C1 CSI, a line separator, a bidi override, a newline
HOSTILE = "ops\x1b[2J\x07\r\x00\x7f\x9b1m\u2028\u202eevil" + FORGED_ROW
# what the terminal must see instead: every control character as a visible backslash escape
HOSTILE_SHOWN = (
    r"ops\x1b[2J\x07\r\x00\x7f\x9b1m\u2028\u202eevil\nendpoint\tvpce-0123456789abcdef0\tavailable\tforged-row"
)
# C0, DEL, C1, line and paragraph separators, bidi embeddings, overrides and isolates, marks
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _as_operator(consumer: Consumer, monkeypatch: pytest.MonkeyPatch, *, side_effects: bool) -> None:
    """The CLI in the consumer account; with ``side_effects``, the stack's audit table, topic and lease."""
    consumer.use_credentials(monkeypatch, lease=side_effects)
    if side_effects:
        s = consumer.settings
        monkeypatch.setenv("LINKPILOT_AUDIT_TABLE", str(s.audit_table_name))
        monkeypatch.setenv("LINKPILOT_TOPIC_ARN", str(s.notification_topic_arn))


@pytest.fixture
def hostile_world(local_aws: Any, tmp_path, monkeypatch) -> dict[str, Any]:
    """A trusted and an untrusted provider, each sharing under the hostile name."""
    trusted, untrusted = Provider.create(local_aws), Provider.create(local_aws)
    consumer = Consumer.create(local_aws)
    trusted.share(consumer.account, [trusted.configuration("hello")], name=HOSTILE)
    untrusted.share(consumer.account, [untrusted.configuration("other")], name=HOSTILE)
    _as_operator(consumer, monkeypatch, side_effects=False)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(consumer.policy_doc([trusted.account])))
    return {"policy": str(policy), "trusted": trusted, "untrusted": untrusted}


def _commands(world: dict[str, Any]) -> dict[str, list[str]]:
    return {
        "status": ["status", "--policy", world["policy"]],  # lists the untrusted one
        "status-no-policy": ["status"],  # lists both, verdict unknown
        "reconcile": ["reconcile", "--policy", world["policy"], "--dry-run"],  # decides both
    }


@pytest.mark.parametrize("command", ["status", "status-no-policy", "reconcile"])
def test_a_hostile_share_name_is_shown_escaped_in_table_and_text(command, hostile_world, capsys):
    argv = _commands(hostile_world)[command]
    shown = {"status": 1, "status-no-policy": 2, "reconcile": 2}[command]
    for fmt in ("table", "text"):
        assert cli.main([*argv, "--output", fmt, "--quiet"]) == 0
        out = capsys.readouterr().out
        assert not CONTROL.search(out), (fmt, out)
        assert out.count(HOSTILE_SHOWN) == shown, (fmt, out)
        lines = out.splitlines()
        # no forged row: nothing but the real rows, and no line that starts like an endpoint row
        assert not [line for line in lines if line.lstrip().startswith(("endpoint", "vpce-"))], out
        if fmt == "text":
            # exactly the real rows: one per invitation (its share name in one cell), the trusted accept
            rows = [line.split("\t") for line in lines]
            kind = "decision" if command == "reconcile" else "invitation"
            named = [row for row in rows if row[0] == kind]
            assert len(named) == shown and all(len(r) == 6 and r[2] == HOSTILE_SHOWN for r in named), rows
            others = [row[:2] for row in rows if row[0] != kind]
            # reconcile: the trusted accept, and its share waiting for RAM to list its resources (said)
            expected = [["action", "accept-invitation"], ["not-acted-on", "waiting"]]
            assert others == (expected if command == "reconcile" else []), rows


@pytest.mark.parametrize("command", ["status", "status-no-policy", "reconcile"])
def test_json_output_keeps_the_hostile_share_name_exact(command, hostile_world, capsys):
    assert cli.main([*_commands(hostile_world)[command], "--output", "json", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert not CONTROL.search(out)  # json.dumps escapes them
    document = json.loads(out)
    rows = document["pending_invitations"] if command.startswith("status") else document["decisions"]
    assert rows and {row["share_name"] for row in rows} == {HOSTILE}


def _marker_hash(name: str) -> str:
    return "sha256:" + hashlib.sha256(name.encode()).hexdigest()[:16]


@pytest.mark.parametrize("length", [450_000, 100_000])
def test_an_oversized_untrusted_share_name_is_audited_bounded_and_never_stops_the_trusted_share(
    length, local_aws, tmp_path, monkeypatch, capsys
):
    trusted, untrusted = Provider.create(local_aws), Provider.create(local_aws)
    consumer = Consumer.create(local_aws)
    huge = "n" * (length - 6) + "-tail!"
    untrusted.share(consumer.account, [untrusted.configuration("other")], name=huge)
    cfg = trusted.configuration("hello")
    trusted.share(consumer.account, [cfg], name="hello-share")
    _as_operator(consumer, monkeypatch, side_effects=True)
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps(consumer.policy_doc([trusted.account])))

    # the run that accepts, then (RAM accepts asynchronously) the run that creates
    assert cli.main(["reconcile", "--policy", str(policy), "--output", "json", "--quiet"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert [(a["action"], a["outcome"]) for a in first["actions"]] == [("accept-invitation", "done")]
    assert first["errors"] == [] and first["ok"] is True
    assert huge in {d["share_name"] for d in first["decisions"]}  # the report keeps it exact
    local_aws.clock.advance(seconds=30)
    assert cli.main(["reconcile", "--policy", str(policy), "--output", "json", "--quiet"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert [(a["action"], a["outcome"]) for a in second["actions"]] == [("create-endpoint", "done")]
    assert second["errors"] == []

    audit = consumer.audit()
    actions = sorted(a["action"] for a in audit if a["record"] == "action")
    assert actions == ["accept-invitation", "create-endpoint"]
    untrusted_rows = [a for a in audit if a["record"] == "decision" and a["decision"] == "ignore"]
    assert len(untrusted_rows) == 2  # one per run (each CLI run is a fresh process)
    for row in untrusted_rows:
        stored = row["share_name"]
        assert len(stored.encode()) <= 1024
        assert stored.startswith("n" * 900) and "-tail!" not in stored
        assert f"…[truncated {length - len(stored.split('…[')[0]):,} chars, {_marker_hash(huge)}]" in stored
        assert stored.endswith("]")
