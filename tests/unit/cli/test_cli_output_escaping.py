"""The CLI's one renderer (``linkpilot_cli.output``) and the demo's timeline show another account's text
escaped, whatever the command (issue 22 item 4); JSON keeps it exact."""

from __future__ import annotations

import hashlib
import io
import json
import re
from datetime import UTC, datetime

from linkpilot.consumer.models import InvitationDecision, Verdict
from linkpilot.foreign import TABLE_CELL_CHARS
from linkpilot_cli.commands.reconcile import _summary, report_tables
from linkpilot_cli.commands.status import build_status, status_tables
from linkpilot_cli.output import Output, Table
from linkpilot_demo.timeline import Timeline

HOSTILE = (
    "ops\x1b[2J\x07\r\x00\x7f\x9b1m\u2028\u202eevil\nendpoint\tvpce-0123456789abcdef0\tavailable\tforged-row"
)
SHOWN = (
    r"ops\x1b[2J\x07\r\x00\x7f\x9b1m\u2028\u202eevil\nendpoint\tvpce-0123456789abcdef0\tavailable\tforged-row"
)
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
INVITATION = "arn:aws:ram:us-east-1:333333333333:resource-share-invitation/inv-1"


def render(fmt: str, data: dict, tables: list[Table], summary: str | list[str] = "") -> str:
    out = io.StringIO()
    Output("status", fmt, stdout=out, stderr=io.StringIO(), env={}).document(data, tables, summary=summary)
    return out.getvalue()


def test_every_table_and_text_cell_is_escaped_and_json_is_exact():
    table = Table("invitation", "Pending", ("INVITATION", "SHARE"), (("inv-1", HOSTILE),))
    data = {"share_name": HOSTILE}
    for fmt in ("table", "text"):
        shown = render(fmt, data, [table])
        assert not CONTROL.search(shown) and SHOWN in shown, shown
    assert render("text", data, [table]).splitlines() == [f"invitation\tinv-1\t{SHOWN}"]
    assert json.loads(render("json", data, [table])) == data


def test_status_and_reconcile_tables_are_escaped_in_every_cell():
    decision = InvitationDecision(
        INVITATION, "arn:share", HOSTILE, "333333333333", Verdict.IGNORE, HOSTILE, False
    )
    status = status_tables(build_status([], {}, [decision]))
    reconcile = report_tables(
        {
            "decisions": [
                {
                    "invitation_arn": INVITATION,
                    "share_name": HOSTILE,
                    "sender_account_id": HOSTILE,
                    "verdict": "ignore",
                    "reason": HOSTILE,
                }
            ],
            "actions": [{"action": "create-endpoint", "outcome": "failed", "detail": HOSTILE}],
        }
    )
    for tables in (status, reconcile):
        for fmt in ("table", "text"):
            shown = render(fmt, {}, tables)
            assert not CONTROL.search(shown) and SHOWN in shown, shown
            assert not [line for line in shown.splitlines() if line.lstrip().startswith("endpoint")]


def test_summary_lines_are_escaped_one_by_one():
    report = {"run_id": "r", "ok": False, "errors": [f"create-endpoint x: {HOSTILE}"], "probe_targets": {}}
    shown = render("table", {}, [], summary=_summary(report))
    assert not CONTROL.search(shown)
    assert shown.splitlines()[-1] == f"  error: create-endpoint x: {SHOWN}"
    assert render("table", {}, [], summary=HOSTILE).splitlines() == ["", SHOWN]


def test_a_table_cell_is_cut_with_the_marker_and_text_keeps_the_whole_value():
    name = "n" * 450_000
    table = Table("invitation", "Pending", ("INVITATION", "SHARE"), (("inv-1", name),))
    lines = render("table", {}, [table]).splitlines()
    assert max(len(line) for line in lines) <= TABLE_CELL_CHARS + 20
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    cell = lines[-1].split("  ")[-1].strip()
    found = re.fullmatch(rf"(n+)…\[truncated ([\d,]+) chars, sha256:{digest}\]", cell)
    assert found and len(cell) <= TABLE_CELL_CHARS, cell
    assert len(found.group(1)) + int(found.group(2).replace(",", "")) == 450_000
    assert render("text", {}, [table]).splitlines() == [f"invitation\tinv-1\t{name}"]


def test_records_and_diagnostics_are_escaped():
    out, err = io.StringIO(), io.StringIO()
    o = Output("probe", "text", stdout=out, stderr=err, env={})
    o.records("result", "Results", ["target", "error"], [{"target": "http://a/", "error": HOSTILE}])
    o.progress(f"reading {HOSTILE}")
    o.warning(HOSTILE)
    o.error(f"reading AWS failed: {HOSTILE}")
    assert out.getvalue() == f"result\thttp://a/\t{SHOWN}\n"
    assert not CONTROL.search(err.getvalue()) and len(err.getvalue().splitlines()) == 3


def test_the_demo_escapes_its_notes_once():
    stream = io.StringIO()
    timeline = Timeline(stream, lambda: datetime(2026, 11, 29, tzinfo=UTC))
    with timeline.step("an untrusted share") as step:
        step.note(f"share {HOSTILE}")
        step.note(
            render("table", {}, [Table("x", "T", ("A",), ((HOSTILE,),))]).splitlines()[-1], rendered=True
        )
    shown = stream.getvalue()
    assert not CONTROL.search(shown)
    assert f"share {SHOWN}" in shown and f"  {SHOWN}" in shown and "\\\\" not in shown
