"""CloudWatch Logs: which addresses failed, from the probe function's log line of the run.

The only module that calls CloudWatch Logs. The probe function logs one "probe target failed" line per
target that is not ok (Powertools JSON, ``{"probe": <the target's result>}``); the newest such line per
endpoint since a time says which addresses failed and why (``linkpilot_cli.probe_verdicts``).
``FilterLogEvents`` is read for at most ``LOG_PAGES`` pages (10,000 events or 1 MB each). The group is
named with ``--probe-log-group`` or found by name (``/aws/lambda/STACK-ProbeFunction[-SUFFIX]``).
Failures leave as ``Transient`` (``translates_errors``).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from linkpilot.aws.errors import translates_errors
from linkpilot_cli.probe_verdicts import PROBE_FAILED_MESSAGE, ProbeDetail, probe_detail

if TYPE_CHECKING:
    from mypy_boto3_logs import CloudWatchLogsClient

LOG_PAGES = 10  # FilterLogEvents pages read at most: a bound on what status reads
# CloudFormation names a function STACK-LOGICALID-SUFFIX
PROBE_GROUP = re.compile(r"^/aws/lambda/.+-ProbeFunction(-[A-Za-z0-9]+)?$")


@translates_errors
class ProbeLogs:
    def __init__(self, logs: CloudWatchLogsClient) -> None:
        self._logs = logs

    def find_probe_log_group(self) -> str | None:
        """The one probe function log group; None when there is none or several (then
        ``--probe-log-group`` says which)."""
        found: list[str] = []
        pages = self._logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/lambda/")
        for page in pages:
            found.extend(
                g["logGroupName"] for g in page.get("logGroups", []) if PROBE_GROUP.match(g["logGroupName"])
            )
        return found[0] if len(found) == 1 else None

    def last_probe_details(self, log_group: str, *, since: datetime, now: datetime) -> dict[str, ProbeDetail]:
        """The newest "probe target failed" line per endpoint since ``since`` (a bounded number of pages)."""
        details: dict[str, ProbeDetail] = {}
        pages = self._logs.get_paginator("filter_log_events").paginate(
            logGroupName=log_group,
            startTime=int(since.timestamp() * 1000),
            endTime=int(now.timestamp() * 1000) + 60_000,  # the run of the newest minute may log a bit later
            filterPattern=f'"{PROBE_FAILED_MESSAGE}"',  # an exact phrase (CloudWatch Logs filter syntax)
        )
        for n, page in enumerate(pages):
            for event in page.get("events", []):
                found = probe_detail(event.get("message", ""), event.get("timestamp", 0))
                if found and (found[0] not in details or found[1].at >= details[found[0]].at):
                    details[found[0]] = found[1]
            if n + 1 >= LOG_PAGES:
                break
        return details
