"""DynamoDB: the stack's state table, two kinds of item (``pk`` is the only key):

- ``lease#<name>``: who holds the run lease and until when (``linkpilot.lease``). Taken with one conditional
  ``PutItem`` (free or expired, and last changed before the take began; or already ours), given back with
  another (expiry 0, the release's time as the last change). Conditional writes are
  strongly consistent (DynamoDB developer guide, "Condition expressions"), so two runs can never both
  succeed. ``expires_at`` (the table's TTL) clears a stale item a day after its expiry.
- ``grace#endpoints``: when each managed endpoint was first seen without its configuration (one map).
  Written only by the lease holder, so a read-modify-write of the one item is safe; it survives cold starts
  and is shared by Lambda and ``linkpilot reconcile``, which a warm process's memory would not be.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

from botocore.exceptions import BotoCoreError, ClientError

from linkpilot.aws.errors import error_code, translates_errors
from linkpilot.lease import Lease

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

GRACE_KEY = "grace#endpoints"
RELEASE_TRIES = 3
STALE_ITEM_DAYS = 1


def _epoch(at: datetime) -> str:
    return f"{at.timestamp():.3f}"


def _holder(name: str, item: Mapping[str, AttributeValueTypeDef]) -> Lease:
    owner = str(item.get("owner", {}).get("S", "?"))
    expires = float(str(item.get("lease_expires", {}).get("N", "0")))
    acquired = str(item.get("acquired_at", {}).get("S", ""))
    return Lease(
        name,
        owner,
        datetime.fromtimestamp(expires, UTC),
        datetime.fromisoformat(acquired) if acquired else None,
    )


@translates_errors
class StateTable:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._ddb = client
        self._table = table_name

    # --- the run lease ---------------------------------------------------------------------------
    def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
        """One conditional put: free, or expired (and taken before this take began), or this take again (a
        retry of our own request while the lease is live). A released lease keeps its owner with expiry 0,
        so a delayed duplicate of our own take cannot land after we gave it back."""
        try:
            self._put_if_free_or_ours(lease, now, lease.expires_at)
        except ClientError as exc:
            if error_code(exc) != "ConditionalCheckFailedException":
                raise
            # the holder, as ReturnValuesOnConditionCheckFailure=ALL_OLD returns it (botocore model, PutItem)
            old = cast("Mapping[str, AttributeValueTypeDef]", exc.response.get("Item") or {})
            if not old:  # no old item came back: an unknown holder, asked again after a short wait
                return Lease(lease.name, "unknown", now + timedelta(seconds=1))
            return _holder(lease.name, old)
        return None

    def abandon(self, lease: Lease, now: datetime) -> None:
        """Our take's answer was lost: mark the lease given back by us (expiry 0, our take's acquired time)
        if it is free, expired or ours, so that the take, if it lands late, fails its condition. Another
        live holder: nothing to do. Retried like ``release``: a late take left standing blocks every run."""
        _retried(lambda: self._put_if_free_or_ours(lease, now, None))

    def _put_if_free_or_ours(self, lease: Lease, now: datetime, expires: datetime | None) -> None:
        acquired = lease.acquired_at or now
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": f"lease#{lease.name}"},
                "owner": {"S": lease.owner},
                "lease_expires": {"N": _epoch(expires) if expires is not None else "0"},
                "acquired_at": {"S": acquired.isoformat()},
                "acquired_epoch": {"N": _epoch(acquired)},
                "expires_at": {"N": str(int(lease.expires_at.timestamp()) + STALE_ITEM_DAYS * 86400)},
            },
            ConditionExpression=(
                "attribute_not_exists(pk)"
                " OR (lease_expires < :now AND acquired_epoch < :acquired)"
                " OR (#owner = :me AND lease_expires > :zero)"
            ),
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={
                ":now": {"N": _epoch(now)},
                ":acquired": {"N": _epoch(acquired)},
                ":me": {"S": lease.owner},
                ":zero": {"N": "0"},
            },
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )

    def release(self, lease: Lease, now: datetime | None = None) -> None:
        """Give it back (expiry 0, owner kept), with retries: a lease left behind blocks the other runs
        until it expires. ``acquired_epoch`` becomes the time of the release (``now``, the caller's clock;
        else this host's): a take sent before the release that lands after it (a request that outlived
        its client's timeout) then fails its condition, instead of holding the lease for a run that gave up.
        """
        acquired = lease.acquired_at or lease.expires_at
        changed = now or datetime.now(UTC)
        _retried(
            lambda: self._ddb.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": f"lease#{lease.name}"},
                    "owner": {"S": lease.owner},
                    "lease_expires": {"N": "0"},
                    "acquired_at": {"S": acquired.isoformat()},
                    # the last change: a take is refused unless the lease changed before the take began
                    "acquired_epoch": {"N": _epoch(max(changed, acquired))},
                    "expires_at": {"N": str(int(lease.expires_at.timestamp()) + STALE_ITEM_DAYS * 86400)},
                },
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":me": {"S": lease.owner}},
            )
        )

    # --- grace marks -----------------------------------------------------------------------------
    def missing_since(self) -> dict[str, datetime]:
        item = self._ddb.get_item(
            TableName=self._table, Key={"pk": {"S": GRACE_KEY}}, ConsistentRead=True
        ).get("Item", {})
        marks = item.get("marks", {}).get("M", {})
        return {eid: datetime.fromisoformat(str(v.get("S", ""))) for eid, v in marks.items() if v.get("S")}

    def save_missing(self, marks: Mapping[str, datetime]) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "pk": {"S": GRACE_KEY},
                "marks": {"M": {eid: {"S": at.isoformat()} for eid, at in sorted(marks.items())}},
            },
        )


def _retried(put: Callable[[], object]) -> None:
    """A conditional write that gives the lease back, tried ``RELEASE_TRIES`` times on an error (botocore
    retries first): a lease left behind blocks the other runs until it expires. A failed condition means
    nothing of ours is there to give back."""
    for attempt in range(RELEASE_TRIES):
        try:
            put()
            return
        except ClientError as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return  # expired and taken by another run, or never written: nothing of ours
            if attempt == RELEASE_TRIES - 1:
                raise
        except BotoCoreError:
            if attempt == RELEASE_TRIES - 1:
                raise
        time.sleep(0.2 * 2**attempt)
