"""DynamoDB: the audit trail of both sides (the controller's and the onboarding function's), one item per
decision or action, with a TTL.

The wings build the items (``linkpilot.consumer.audit``, ``linkpilot.provider.service.audit_record``):
``pk`` is the subject (share ARN, or resource configuration ARN for endpoint actions), ``sk`` the record time
(ISO 8601, UTC) plus a run id or random suffix, so one query reads a subject's history in order;
``expires_at`` (epoch seconds) is the table's TTL attribute. Items go in batches of 25.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, cast

from linkpilot.aws.errors import translates_errors
from linkpilot.errors import Transient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, WriteRequestTypeDef

BATCH = 25  # BatchWriteItem's maximum
UNPROCESSED_RETRIES = 5


class AuditWriteIncomplete(Transient):
    """DynamoDB kept returning unprocessed items (throttling): the run is retried by the platform."""


@translates_errors
class AuditTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def write(self, records: Sequence[Mapping[str, str | int]]) -> None:
        for start in range(0, len(records), BATCH):
            requests: list[WriteRequestTypeDef] = [
                {"PutRequest": {"Item": _item(r)}} for r in records[start : start + BATCH]
            ]
            for attempt in range(UNPROCESSED_RETRIES + 1):
                response = self._ddb.batch_write_item(RequestItems={self._table: requests})
                requests = cast(
                    "list[WriteRequestTypeDef]",
                    list(response.get("UnprocessedItems", {}).get(self._table, [])),
                )
                if not requests:
                    break
                if attempt < UNPROCESSED_RETRIES:
                    time.sleep(min(2.0, 0.05 * 2**attempt))
            else:
                raise AuditWriteIncomplete(
                    "UnprocessedItems", f"{len(requests)} audit item(s) unprocessed after retries"
                )


def _item(record: Mapping[str, str | int]) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {}
    for key, value in record.items():
        if isinstance(value, int):
            item[key] = {"N": str(value)}
        elif value != "":  # DynamoDB rejects empty key attributes; empty values carry no information
            item[key] = {"S": value}
    return item
