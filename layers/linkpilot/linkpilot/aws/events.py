"""EventBridge: the controller's ``Linkpilot Endpoint State Change`` events on the account's default bus.

``PutEvents`` takes at most 10 entries a call and reports per-entry failures in ``FailedEntryCount`` /
``Entries[].ErrorCode`` instead of raising (botocore model): any failed entry makes the call ``Transient``,
so the run is retried and the events are sent again (at least once; consumers of the event de-duplicate on
its detail).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from linkpilot.aws.errors import translates_errors
from linkpilot.errors import Transient

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

BATCH = 10


@translates_errors
class EventBridgeEvents:
    def __init__(self, client: EventBridgeClient, bus: str = "default") -> None:
        self._events = client
        self._bus = bus

    def put(self, entries: Sequence[Mapping[str, str]]) -> None:
        for start in range(0, len(entries), BATCH):
            batch: list[Any] = [{**e, "EventBusName": self._bus} for e in entries[start : start + BATCH]]
            answer = self._events.put_events(Entries=batch)
            if answer.get("FailedEntryCount", 0):
                codes = sorted({e.get("ErrorCode", "") for e in answer["Entries"] if e.get("ErrorCode")})
                raise Transient(
                    "PutEventsFailedEntries", f"{answer['FailedEntryCount']} event(s) not sent: {codes}"
                )
