"""DynamoDB: the audit trail of both sides (the controller's and the onboarding function's), one item per
decision or action, with a TTL.

The wings build the items (``linkpilot.consumer.audit``, ``linkpilot.provider.service.audit_record``):
``pk`` is the subject (share ARN, or resource configuration ARN for endpoint actions), ``sk`` the record time
(ISO 8601, UTC) plus a run id or random suffix, so one query reads a subject's history in order;
``expires_at`` (epoch seconds) is the table's TTL attribute.

One ``PutItem`` per item, never ``BatchWriteItem``: a ``BatchWriteItem`` grant also lets the role delete items
(a ``DeleteRequest``), and IAM has no condition key that tells the two apart (the IAM reference lists only
``dynamodb:Attributes``, ``dynamodb:LeadingKeys`` and ``dynamodb:ReturnConsumedCapacity`` for it), while
``PutItem`` cannot delete. Each put carries ``attribute_not_exists(pk)``: the code never overwrites a record
(a put whose condition fails found its own earlier try, whose answer was lost: already written). IAM
cannot require that condition, so a role's put could still overwrite an item; the docs say so. One item the
table refuses fails only itself: the others are still written, then the write raises.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from linkpilot.aws.errors import AWS_FAILURES, error_code, transient, translates_errors, unparseable_answer
from linkpilot.errors import Transient

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

NEVER_OVERWRITE = "attribute_not_exists(pk)"


class AuditWriteIncomplete(Transient):
    """Some audit items were not written (after botocore's retries): the run is retried by the platform."""


@translates_errors
class AuditTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    def write(self, records: Sequence[Mapping[str, str | int]]) -> None:
        failures: list[Transient] = []
        for record in records:
            try:
                self._ddb.put_item(
                    TableName=self._table, Item=_item(record), ConditionExpression=NEVER_OVERWRITE
                )
            except ClientError as exc:
                if error_code(exc) != "ConditionalCheckFailedException":  # else: already written
                    failures.append(transient(exc))
            except AWS_FAILURES as exc:
                failures.append(transient(exc))
            except Exception as exc:
                if not unparseable_answer(exc):
                    raise
                failures.append(transient(exc))
        if failures:
            first = failures[0]
            raise AuditWriteIncomplete(
                first.code,
                f"{len(failures)} of {len(records)} audit item(s) not written; first: {first.message}",
            )


def _item(record: Mapping[str, str | int]) -> dict[str, AttributeValueTypeDef]:
    item: dict[str, AttributeValueTypeDef] = {}
    for key, value in record.items():
        if isinstance(value, int):
            item[key] = {"N": str(value)}
        elif value != "":  # DynamoDB rejects empty key attributes; empty values carry no information
            item[key] = {"S": value}
    return item
