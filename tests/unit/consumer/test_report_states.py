"""The report's states are enumerations: the probe refresh's, the endpoint directory's and each published
address's; the report is built by keyword and each run is named by the one run-id maker."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from linkpilot.consumer.directory import AddressState, AssociationRecord, plan_directory
from linkpilot.consumer.models import Plan
from linkpilot.consumer.report import (
    DirectoryRefresh,
    DirectoryStatus,
    ProbeRefresh,
    ProbeStatus,
    ReconcileReport,
    new_run_id,
)

NOW = datetime(2026, 11, 29, 12, 0, 5, tzinfo=UTC)


def test_a_status_given_as_its_text_is_the_enumeration_and_an_unknown_one_is_refused():
    assert ProbeRefresh("covered").status is ProbeStatus.COVERED
    assert DirectoryRefresh("skipped").status is DirectoryStatus.SKIPPED
    with pytest.raises(ValueError, match="bogus"):
        ProbeRefresh("bogus")
    with pytest.raises(ValueError, match="covered"):
        DirectoryRefresh("covered")  # only a probe refresh is ever covered by another run


def test_the_report_is_built_by_keyword_and_its_json_carries_the_texts():
    with pytest.raises(TypeError):
        ReconcileReport("run", "schedule", False, NOW, Plan(), (), ProbeRefresh("unchanged"))  # type: ignore[misc]
    report = ReconcileReport(
        run_id="run",
        trigger="schedule",
        dry_run=False,
        started_at=NOW,
        plan=Plan(),
        results=(),
        probe=ProbeRefresh(ProbeStatus.UPDATED, 2, 1),
    )
    document = json.loads(json.dumps(report.to_json()))
    assert document["probe_targets"]["status"] == "updated"
    assert document["endpoint_directory"]["status"] == "not-configured"
    assert type(report.to_json()["probe_targets"]["status"]) is str


def test_a_published_address_is_available_degraded_or_gone():
    config = "arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-1"
    record = AssociationRecord("vpce-1", "available", config)
    assert record.state is AddressState.AVAILABLE
    assert AssociationRecord("vpce-1", "pendingacceptance", config).state is AddressState.DEGRADED
    inaccessible = AssociationRecord("vpce-1", "available", config, accessibility="inaccessible")
    assert inaccessible.state is AddressState.DEGRADED
    published = plan_directory([record], {})
    assert [e.state for e in published.events] == [AddressState.AVAILABLE]
    assert json.loads(published.events[0].entry()["Detail"])["state"] == "available"
    gone = plan_directory([], dict(published.puts))
    assert [e.state for e in gone.events] == [AddressState.GONE]


def test_one_run_id_maker_names_runs_by_their_start():
    first, second = new_run_id(NOW), new_run_id(NOW)
    assert re.fullmatch(r"20261129T120005Z-[0-9a-f]{8}", first) and first != second
