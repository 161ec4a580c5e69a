"""EventBridge Scheduler: the probe schedule(s) whose input is the probe function's target list.

The only module that makes the controller's Scheduler calls. Shard ``i`` of ``n`` is the schedule
``<prefix>-<i>`` in the stack's schedule group; every shard's description carries the digest of the whole
input set, so reading shard 0 (one ``ListSchedules`` + one ``GetSchedule``) says whether anything changed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, translates_errors

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_scheduler.type_defs import TargetTypeDef

DIGEST = re.compile(r"digest=([0-9a-f]+) shards=(\d+)")


@dataclass(frozen=True)
class PublishedInputs:
    names: tuple[str, ...]
    digest: str | None


@translates_errors
class ProbeSchedules:
    def __init__(
        self,
        client: EventBridgeSchedulerClient,
        *,
        group: str,
        function_arn: str,
        role_arn: str,
        expression: str = "rate(1 minute)",
        prefix: str = "linkpilot-probe",
    ) -> None:
        self._scheduler = client
        self._group = group
        self._function_arn = function_arn
        self._role_arn = role_arn
        self._expression = expression
        self._prefix = prefix

    @property
    def key(self) -> str:
        return f"{self._group}/{self._prefix}"

    def name(self, index: int) -> str:
        return f"{self._prefix}-{index:03d}"

    def published(self) -> PublishedInputs:
        # botocore's paginator follows NextToken (also past empty pages) and raises on a repeated token
        pages = self._scheduler.get_paginator("list_schedules").paginate(
            GroupName=self._group, NamePrefix=f"{self._prefix}-", PaginationConfig={"PageSize": 100}
        )
        names = [s.get("Name", "") for page in pages for s in page.get("Schedules", [])]
        names.sort()
        if not names:
            return PublishedInputs((), None)
        try:
            first = self._scheduler.get_schedule(GroupName=self._group, Name=names[0])
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return PublishedInputs(tuple(names), None)
            raise
        found = DIGEST.search(first.get("Description", ""))
        expected = [self.name(i) for i in range(int(found.group(2)))] if found else []
        digest = found.group(1) if found and names == expected else None
        return PublishedInputs(tuple(names), digest)

    def published_targets(self, names: Sequence[str]) -> frozenset[tuple[str, str]]:
        """(endpoint id, DNS name) of every target the schedules ``names`` carry: one ``GetSchedule`` each,
        made only when the target set changed and new targets may be probed at once. A schedule gone since
        it was listed, or an input that is not ours, carries none."""
        found: set[tuple[str, str]] = set()
        for name in names:
            try:
                answer = self._scheduler.get_schedule(GroupName=self._group, Name=name)
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    continue
                raise
            try:
                targets = json.loads(answer.get("Target", {}).get("Input", "") or "{}").get("targets", [])
            except (ValueError, AttributeError):
                continue
            for t in targets if isinstance(targets, list) else []:
                if isinstance(t, dict):
                    found.add((str(t.get("endpoint_id", "")), str(t.get("dns_name", ""))))
        return frozenset(found)

    def publish(self, inputs: Sequence[str], digest: str, existing: Sequence[str]) -> None:
        """Make the schedules carry exactly ``inputs``: update or create each shard, delete extra ones.

        Shard 0 carries the digest that later runs trust, so it is written last: a run that fails half way
        leaves a digest that does not match, and the next run writes everything again.
        """
        wanted = [self.name(i) for i in range(len(inputs))]
        for name in sorted(set(existing) - set(wanted)):
            try:
                self._scheduler.delete_schedule(GroupName=self._group, Name=name)
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
        description = f"Linkpilot probe targets; digest={digest} shards={len(inputs)}"
        for index in reversed(range(len(inputs))):
            self._put(wanted[index], inputs[index], description, exists=wanted[index] in existing)

    def _put(self, name: str, payload: str, description: str, *, exists: bool) -> None:
        target: TargetTypeDef = {
            "Arn": self._function_arn,
            "RoleArn": self._role_arn,
            "Input": payload,
            # a probe round that could not run is not worth running late: the next one is a minute away
            "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
        }

        # one definition for create and update (UpdateSchedule replaces the whole schedule)
        schedule: dict[str, Any] = {
            "GroupName": self._group,
            "Name": name,
            "ScheduleExpression": self._expression,
            "Description": description,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "State": "ENABLED",
            "Target": target,
        }
        if exists:
            try:
                self._scheduler.update_schedule(**schedule)
                return
            except ClientError as exc:
                if error_code(exc) != "ResourceNotFoundException":
                    raise
        try:
            self._scheduler.create_schedule(**schedule)
        except ClientError as exc:
            if error_code(exc) != "ConflictException":  # a concurrent run created it first: update it
                raise
            self._scheduler.update_schedule(**schedule)
