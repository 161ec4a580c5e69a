"""Strings other accounts chose (issue 22 items 4 and 5): ``linkpilot.foreign`` escapes them for people and
bounds them for storage, and every record, parameter, event and message we build applies the bounds."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import UTC, datetime

import boto3
from botocore.stub import Stubber
from hypothesis import given, settings
from hypothesis import strategies as st

from linkpilot.aws.notify import MESSAGE_MAX, SnsNotifier
from linkpilot.consumer.audit import audit_records, notification, read_failure_record
from linkpilot.consumer.directory import AssociationRecord, plan_directory
from linkpilot.consumer.models import (
    Action,
    ActionKind,
    ActionResult,
    InvitationDecision,
    Outcome,
    Plan,
    Verdict,
)
from linkpilot.consumer.report import ProbeRefresh, ReconcileReport
from linkpilot.foreign import (
    AUDIT_FIELDS,
    AUDIT_ITEM_MAX_BYTES,
    DIRECTORY_VALUE_MAX,
    NAME_BYTES,
    bound,
    escape,
    json_size,
    utf8_size,
)
from linkpilot.provider.service import AuditEntry, Outputs, audit_record

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HIDDEN = {"Cc", "Cf", "Cs", "Zl", "Zp", "Cn"}
MARKER = re.compile(r"…\[truncated ([\d,]+) chars, sha256:([0-9a-f]{16})\]$")
# every kind of character a terminal may act on, and the ones that look like an escape
TRICKY = (
    "\x00\x07\x08\t\n\x0b\x0c\r\x1b\x7f\x85\x9b\xad\u061c\u200b\u200e\u200f\u2028\u2029\u202a\u202e"
    "\u2066\u2069\ufeff\ufff9\ud800\udfff\U000e0001\U0001f600\u0378\\x1b\\"
)
texts = st.text() | st.text(alphabet=st.sampled_from(TRICKY + "ab é中")) | st.text(st.characters(codec=None))


def unescape(shown: str) -> str:
    """The inverse of ``escape``: the original text back from what the terminal showed."""
    out, i = [], 0
    short = {"\\": "\\", "n": "\n", "r": "\r", "t": "\t"}
    while i < len(shown):
        if shown[i] != "\\":
            out.append(shown[i])
            i += 1
            continue
        kind = shown[i + 1]
        if kind in short:
            out.append(short[kind])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}[kind]
        out.append(chr(int(shown[i + 2 : i + 2 + width], 16)))
        i += 2 + width
    return "".join(out)


# -- escape --------------------------------------------------------------------------------------------------
@settings(max_examples=400)
@given(texts)
def test_escaped_text_has_no_character_a_terminal_acts_on_and_reads_back_exactly(text):
    shown = escape(text)
    assert not [c for c in shown if unicodedata.category(c) in HIDDEN], shown
    assert len(shown.splitlines()) <= 1  # no line break of any kind: no forged row
    assert unescape(shown) == text  # reversible, so two different texts never look the same


@given(texts, texts)
def test_escape_is_injective(a, b):
    assert (escape(a) == escape(b)) == (a == b)


def test_escape_shows_control_characters_as_backslash_escapes():
    assert escape("a\x1b[2Jb\x07\r\x00\n\t\\c") == r"a\x1b[2Jb\x07\r\x00\n\t\\c"
    assert escape("\x7f\x9b\u2028\u2029\u202e\u2066\u200b\ufeff\U000e0041") == (
        r"\x7f\x9b\u2028\u2029\u202e\u2066\u200b\ufeff\U000e0041"
    )
    assert escape("prod-db é 中文 🙂") == "prod-db é 中文 🙂"  # printable text of any script is kept


# -- bound ---------------------------------------------------------------------------------------------------
@settings(max_examples=300)
@given(texts, st.integers(min_value=80, max_value=600), st.sampled_from([utf8_size, json_size, len]))
def test_bound_never_exceeds_its_limit_and_is_stable(text, limit, size):
    kept = bound(text, limit, size=size)
    assert size(kept) <= limit
    assert bound(kept, limit, size=size) == kept  # bounding again changes nothing
    if size(text) <= limit:
        assert kept == text
    else:
        found = MARKER.search(kept)
        assert found, kept
        head = kept[: found.start()]
        assert text.startswith(head)
        assert int(found.group(1).replace(",", "")) == len(text) - len(head)
        assert found.group(2) == hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@given(st.text(min_size=200), st.text(min_size=200))
def test_different_long_values_stay_different(a, b):
    if a != b:
        assert bound(a, 100) != bound(b, 100)


def test_an_oversized_name_keeps_its_head_the_count_and_the_hash():
    name = "n" * 450_000
    kept = bound(name, NAME_BYTES)
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    head = kept.split("…")[0]
    assert kept == f"{head}…[truncated {450_000 - len(head):,} chars, sha256:{digest}]"
    assert len(kept.encode()) <= NAME_BYTES and len(head) > 900


# -- audit records -------------------------------------------------------------------------------------------
def dynamodb_item_size(item: dict[str, str | int]) -> int:
    """An item's size as DynamoDB counts it: UTF-8 bytes of every attribute name and value (numbers: at
    most 21 bytes; we count their digits plus one)."""
    return sum(
        len(k.encode()) + (len(str(v)) + 1 if isinstance(v, int) else len(v.encode()))
        for k, v in item.items()
    )


HUGE = "\U0001f600" * 200_000  # 800,000 bytes of 4-byte characters
SHARE = "arn:aws:ram:us-east-1:333333333333:resource-share/" + HUGE
INVITATION = "arn:aws:ram:us-east-1:333333333333:resource-share-invitation/" + HUGE
CONFIG = "arn:aws:vpc-lattice:us-east-1:333333333333:resourceconfiguration/" + HUGE


def hostile_report() -> ReconcileReport:
    """A run in which every string another account can influence is as big as it gets."""
    decision = InvitationDecision(
        invitation_arn=INVITATION,
        share_arn=SHARE,
        share_name=HUGE,
        sender_account_id="3" * 200_000,
        verdict=Verdict.IGNORE,
        reason="refused: " + HUGE,
        trusted_sender=False,
        resource_arns=(CONFIG,) * 5,
        refused_by_policy=True,
    )
    action = Action(
        ActionKind.CREATE_ENDPOINT,
        reason="allowed: " + HUGE,
        invitation_arn=INVITATION,
        share_arn=SHARE,
        sender_account_id="3" * 200_000,
        resource_configuration_arn=CONFIG,
    )
    result = ActionResult(action, Outcome.FAILED, detail="AWS said: " + HUGE, error_code="E" * 200_000)
    plan = Plan(decisions=(decision,), actions=(action,), refused_resources=((CONFIG, SHARE, HUGE),))
    return ReconcileReport(
        run_id="run-1",
        trigger="schedule",
        dry_run=False,
        started_at=NOW,
        plan=plan,
        results=(result,),
        probe=ProbeRefresh("unchanged"),
        side_errors=(HUGE,),
    )


def test_every_audit_record_fits_dynamodb_whatever_another_account_sends():
    records, standing = audit_records(hostile_report(), 90)
    assert {r["record"] for r in records} == {"decision", "action", "refused-resource", "error"}
    for record in records:
        assert dynamodb_item_size(record) <= AUDIT_ITEM_MAX_BYTES / 3, record["record"]
        assert utf8_size(str(record["pk"])) <= 2048 and utf8_size(str(record["sk"])) <= 1024
        for key, value in record.items():
            if isinstance(value, str):
                assert utf8_size(value) <= AUDIT_FIELDS.get(key, 1024), key
    decision = next(r for r in records if r["record"] == "decision")
    assert MARKER.search(str(decision["share_name"]))
    # the standing condition's key is the bounded one that is stored, so de-duplication still matches
    assert standing == {str(r["dedupe"]) for r in records if r["dedupe"]}


def test_the_worst_case_record_is_far_below_dynamodb_s_limit():
    """Every field of the map at its bound, plus the other fields a record has at theirs."""
    fields = [*AUDIT_FIELDS, "record", "run_id", "trigger", "at", "decision", "action", "outcome"]
    fields += ["error_code", "sender_account_id", "endpoint_id", "source", "event", "consumer_list_digest"]
    worst = {k: "x" * AUDIT_FIELDS.get(k, 1024) for k in fields} | {"expires_at": 2**40}
    assert dynamodb_item_size(worst) <= AUDIT_ITEM_MAX_BYTES / 3


def test_a_read_failure_and_a_provider_record_are_bounded_too():
    failed = read_failure_record("r", "schedule", NOW, error_code="X", detail=HUGE, retention_days=1)
    assert utf8_size(str(failed["detail"])) <= AUDIT_FIELDS["detail"]
    provider = audit_record(
        AuditEntry(share_arn=SHARE, event="associate", outcome="refused", reason=HUGE, detail={"e": HUGE}),
        NOW,
        30,
    )
    assert dynamodb_item_size(provider) <= AUDIT_ITEM_MAX_BYTES / 3
    assert MARKER.search(str(provider["reason"])) and MARKER.search(str(provider["pk"]))


def test_a_provider_notification_bounds_each_string():
    sent: list[dict] = []

    class Notifier:
        def publish(self, subject, kinds, message):
            sent.append(dict(message))

    outputs = Outputs(audit=None, notifier=Notifier())
    outputs.notify("s", {"error": HUGE, "problems": [HUGE]}, error=True)
    (message,) = sent
    assert utf8_size(message["error"]) <= 8192 and utf8_size(message["problems"][0]) <= 8192
    assert MARKER.search(message["error"])


# -- SSM parameters and EventBridge events -------------------------------------------------------------------
def test_a_directory_value_fits_a_standard_parameter_and_its_event_an_entry():
    record = AssociationRecord(
        endpoint_id="vpce-0123456789abcdef0",
        endpoint_state="available",
        configuration_arn=CONFIG,
        association_id="vpce-rsc-asc-0123456789abcdef0",
        associated_resource_arn=CONFIG + "\x00\u202e",
        group_arn=CONFIG,
        dns_name="a" * 100_000 + ".on.aws",
        private_dns_name="\U0001f600" * 10_000,
        accessibility="accessible",
        service_network_arn="arn:aws:vpc-lattice:us-east-1:333333333333:servicenetwork/" + HUGE,
    )
    value = record.value()
    assert utf8_size(value) <= DIRECTORY_VALUE_MAX
    body = json.loads(value)
    assert body["endpoint_id"] == "vpce-0123456789abcdef0" and body["state"] == "available"
    assert MARKER.search(body["dns_name"]) and body["dns_name"].startswith("a" * 300)
    assert record.value() == value  # stable: an unchanged record is not rewritten
    plan = plan_directory([record], {})
    assert plan.puts == {record.parameter: value}
    (event,) = plan.events
    assert utf8_size(json.dumps(event.entry())) <= 256 * 1024


def test_a_real_directory_value_is_unchanged():
    cfg = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-0123456789abcdef0"
    dns = "vpce-0123456789abcdef0-snra-0123456789abcdef0.rcfg-0123456789abcdef0.4232ccc.vpc-lattice-rsc."
    dns += "us-east-1.on.aws"
    record = AssociationRecord("vpce-1", "available", cfg, "vpce-rsc-asc-1", cfg, dns_name=dns)
    assert json.loads(record.value())["dns_name"] == dns
    assert "truncated" not in record.value()


# -- SNS -----------------------------------------------------------------------------------------------------
def test_a_notification_bounds_each_string_and_reaches_subscribers_as_printable_ascii():
    found = notification(hostile_report())
    assert found is not None
    subject, kinds, message = found
    assert subject == "Linkpilot: 2 error(s)" and kinds == ["error"]  # the failed create, the side error
    (action,) = message["actions"]
    assert utf8_size(action["reason"]) <= 8192 and MARKER.search(action["reason"])
    assert all(utf8_size(e) <= 8192 for e in message["errors"])

    client = boto3.client("sns", region_name="us-east-1")
    sent: dict[str, str] = {}
    client.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: sent.update(params))
    with Stubber(client) as stub:
        stub.add_response("publish", {"MessageId": "m"})
        SnsNotifier(client, "arn:aws:sns:us-east-1:222222222222:t").publish(
            subject, kinds, {"share_name": "ops\x1b[2J\x07\r\n\u2028\u202eevil"}
        )
    assert re.fullmatch(r"[\x20-\x7e\n]*", sent["Message"]), sent["Message"]  # escapes, never the characters
    assert json.loads(sent["Message"]) == {"share_name": "ops\x1b[2J\x07\r\n\u2028\u202eevil"}


def test_an_sns_message_over_its_limit_is_cut_with_the_marker():
    client = boto3.client("sns", region_name="us-east-1")
    sent: dict[str, str] = {}
    client.meta.events.register("provide-client-params.sns.Publish", lambda params, **_: sent.update(params))
    many = {"actions": [{"reason": "r" * 8000} for _ in range(100)]}  # 800 KB in bounded strings
    with Stubber(client) as stub:
        stub.add_response("publish", {"MessageId": "m"})
        SnsNotifier(client, "arn:aws:sns:us-east-1:222222222222:t").publish("s", ["error"], many)
    assert utf8_size(sent["Message"]) <= MESSAGE_MAX < 256 * 1024
    assert sent["Message"].endswith("\n(the audit table has every record)")
    assert re.search(r"…\[truncated [\d,]+ chars, sha256:[0-9a-f]{16}\]\n", sent["Message"])
