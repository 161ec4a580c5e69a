"""DynamoDB, provider side: the onboarding function's audit trail (one item per decision, with a TTL).

Key design: ``pk`` is the resource share ARN, ``sk`` the record time (ISO 8601, UTC) plus a random suffix, so
one query reads a share's history in time order. ``expires_at`` (epoch seconds) is the table's TTL attribute.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from linkpilot.onboarding_service import AuditEntry


class DynamoAuditLog:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        ttl_days: int = 90,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ddb = client
        self._table = table_name
        self._ttl = timedelta(days=ttl_days)
        self._now = now

    def record(self, entry: AuditEntry) -> None:
        at = self._now()
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": entry.share_arn},
                "sk": {"S": f"{at.isoformat()}#{uuid.uuid4().hex[:8]}"},
                "source": {"S": "provider-onboarding"},
                "event": {"S": entry.event},
                "outcome": {"S": entry.outcome},
                "reason": {"S": entry.reason},
                "principal": {"S": entry.principal or "-"},
                "consumer_list_digest": {"S": entry.consumer_list_digest or "-"},
                "detail": {"S": json.dumps(dict(entry.detail), default=str)},
                "expires_at": {"N": str(int((at + self._ttl).timestamp()))},
            },
        )
