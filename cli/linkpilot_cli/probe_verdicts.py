"""What the probe says about one endpoint, as ``linkpilot status`` shows it.

The verdict is the newest ``ProbeSuccess`` datapoint (the share of the endpoint's addresses that serve: 1
ok, between 0 and 1 degraded, 0 down; read by ``linkpilot_cli.adapters.probe_metrics``). Which addresses
failed, and a certificate near expiry, come from the probe function's log line of that run ("probe target
failed"; read by ``linkpilot_cli.adapters.probe_logs``). Pure: values and how they combine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PROBE_FAILED_MESSAGE = "probe target failed"  # the probe function's log line for a target not ok


@dataclass(frozen=True)
class ProbeVerdict:
    """The newest ProbeSuccess datapoint of one endpoint (``health``: its value, the share serving)."""

    ok: bool
    at: datetime
    health: float | None = None

    @property
    def label(self) -> str:
        if self.ok:
            return "ok"
        return "degraded" if self.health is not None and 0 < self.health < 1 else "down"


@dataclass(frozen=True)
class ProbeDetail:
    """The probe's log line for a target that was not ok: its verdict and the addresses that failed."""

    verdict: str  # degraded | down | cert_expiring | invalid
    at: datetime
    failed_addresses: tuple[str, ...] = ()  # "ADDRESS REASON", e.g. "10.0.1.7 timeout"
    error: str | None = None


def probe_detail(message: str, timestamp_ms: int) -> tuple[str, ProbeDetail] | None:
    """(endpoint id, detail) from one probe function log line; None for any other line."""
    try:
        record = json.loads(message)
    except ValueError:
        return None
    if not isinstance(record, dict) or record.get("message") != PROBE_FAILED_MESSAGE:
        return None
    row = record.get("probe")
    if not isinstance(row, dict) or not row.get("target"):
        return None
    failed = tuple(
        f"{a.get('address')} {a.get('reason')}"
        for a in row.get("addresses") or ()
        if isinstance(a, dict) and not a.get("ok")
    )
    at = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
    return str(row["target"]), ProbeDetail(str(row.get("verdict")), at, failed, row.get("error"))


def probe_cells(verdict: ProbeVerdict | None, detail: ProbeDetail | None) -> dict[str, Any]:
    """An endpoint's probe columns: the verdict from the metric; the log line's details only when it belongs
    to that run or a later one (a datapoint is stamped with its minute, the log line with the moment the run
    logged it)."""
    if verdict is None:
        return {"probe": "no data", "probe_at": None}
    cells: dict[str, Any] = {"probe": verdict.label, "probe_at": verdict.at.isoformat()}
    if detail is not None and detail.at >= verdict.at:
        if verdict.ok and detail.verdict == "cert_expiring":  # serving: the metric counts it as ok
            cells["probe"] = "cert_expiring"
        if not verdict.ok or detail.verdict == "cert_expiring":
            cells["failed_addresses"], cells["probe_error"] = detail.failed_addresses, detail.error
    return cells
