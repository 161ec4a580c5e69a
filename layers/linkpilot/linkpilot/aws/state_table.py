"""DynamoDB: the stack's state table, two kinds of item (``pk`` is the only key):

- ``lease#<name>``: who holds the run lease and until when (``linkpilot.lease``). Taken with one conditional
  ``PutItem`` (free or expired, and last changed before the take began; or already ours), given back with
  another (expiry 0, the release's time as the last change). The item also records the pending follow-up
  run (``follow_up_at``, ``follow_up_token``, ``follow_up_reason``): a take carries it over, the give-back
  writes the holder's. Conditional writes are
  strongly consistent (DynamoDB developer guide, "Condition expressions"), so two runs can never both
  succeed. ``expires_at`` (the table's TTL) clears a stale item a day after its expiry.
- ``grace#endpoints``: when each managed endpoint was first seen without its configuration (one map).
  Written only by the lease holder, so a read-modify-write of the one item is safe; it survives cold starts
  and is shared by Lambda and ``linkpilot reconcile``, which a warm process's memory would not be.

Every time written here is AWS's, never the caller's clock: ``clock`` (a ``linkpilot.lease.ReadingClock``)
reads the HTTP ``Date`` of every answer of this table (DynamoDB dates its answers: developer guide, "DynamoDB
low-level API", Response format; botocore itself takes that header for the server's clock, ``Endpoint.
_calculate_ttl``). A run with no reading yet reads one (``read_time``: a ``GetItem`` of ``clock_key``, an item
the function may read anyway).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, cast

from botocore.exceptions import BotoCoreError, ClientError

from linkpilot.aws.errors import error_code, translates_errors
from linkpilot.follow_up import FollowUp
from linkpilot.lease import Lease, ReadingClock

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
    changed = item.get("acquired_epoch", {}).get("N")
    return Lease(
        name,
        owner,
        datetime.fromtimestamp(expires, UTC),
        datetime.fromisoformat(acquired) if acquired else None,
        datetime.fromtimestamp(float(str(changed)), UTC) if changed is not None else None,
        _follow_up(item),
    )


def _follow_up(item: Mapping[str, AttributeValueTypeDef]) -> FollowUp | None:
    due = item.get("follow_up_at", {}).get("N")
    token = str(item.get("follow_up_token", {}).get("S", ""))
    if due is None or not token:
        return None
    reason = str(item.get("follow_up_reason", {}).get("S", ""))
    return FollowUp(datetime.fromtimestamp(float(str(due)), UTC), token, reason)


def _changed(lease: Lease) -> datetime:
    """A lease item's last change (``acquired_epoch``), as ``peek`` read it."""
    return lease.changed_at or lease.acquired_at or lease.expires_at


def served_at(response: Mapping[str, Any]) -> datetime | None:
    """The ``Date`` of an answer (success or error), as botocore keeps its HTTP headers; None without one."""
    headers = (response.get("ResponseMetadata") or {}).get("HTTPHeaders") or {}
    date = headers.get("date")
    if not isinstance(date, str):
        return None
    try:
        served = parsedate_to_datetime(date)
    except (TypeError, ValueError, IndexError):
        return None
    return served.astimezone(UTC) if served.tzinfo is not None else served.replace(tzinfo=UTC)


@translates_errors
class StateTable:
    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str,
        *,
        clock_key: str = "lease#reconcile",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ddb = client
        self._table = table_name
        self._clock_key = clock_key
        self.clock = ReadingClock(self.read_time, monotonic)

    def _dated[R: Mapping[str, Any]](self, call: Callable[[], R]) -> R:
        """Make one call, and read AWS's clock off its answer (an error's too)."""
        sent = self.clock.monotonic()
        try:
            response = call()
        except ClientError as exc:
            self._observe(exc.response, sent)
            raise
        self._observe(response, sent)
        return response

    def _observe(self, response: Mapping[str, Any], sent: float) -> None:
        served = served_at(response)
        if served is not None:
            self.clock.observe(served, sent, self.clock.monotonic())

    # --- AWS's clock -----------------------------------------------------------------------------
    def read_time(self) -> None:
        """One small read whose answer's ``Date`` gives this run its first reading of AWS's clock."""
        self._dated(
            lambda: self._ddb.get_item(
                TableName=self._table, Key={"pk": {"S": self._clock_key}}, ProjectionExpression="pk"
            )
        )

    # --- the run lease ---------------------------------------------------------------------------
    def peek(self, name: str) -> Lease | None:
        """The lease item as it stands (a strongly consistent read; None: never taken), and a reading of
        AWS's clock off the same answer."""
        item = self._dated(
            lambda: self._ddb.get_item(
                TableName=self._table, Key={"pk": {"S": f"lease#{name}"}}, ConsistentRead=True
            )
        ).get("Item")
        return _holder(name, item) if item else None

    def try_acquire(self, lease: Lease, now: datetime) -> Lease | None:
        """One conditional put: free, or expired (and taken before this take began), or this take again (a
        retry of our own request while the lease is live). A released lease keeps its owner with expiry 0,
        so a delayed duplicate of our own take cannot land after we gave it back."""
        return self._taken_or_holder(
            lease, now, lambda: self._put_if_free_or_ours(lease, now, lease.expires_at)
        )

    def take_over(self, lease: Lease, seen: Lease) -> Lease | None:
        """One conditional put: the lease is still exactly ``seen`` (its owner, expiry and last change). The
        last change stays at least ``seen``'s, so a take sent before that give-back still fails after this."""
        began = lease.acquired_at or _changed(seen)  # acquire always dates its takes
        return self._taken_or_holder(
            lease, began, lambda: self._put_over(lease, seen, lease.expires_at, max(_changed(seen), began))
        )

    def _taken_or_holder(self, lease: Lease, now: datetime, put: Callable[[], object]) -> Lease | None:
        try:
            put()
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

    def abandon_over(self, lease: Lease, seen: Lease) -> None:
        """Our take-over's answer was lost: if the lease is still ``seen``, or ours, mark it given back by us
        (expiry 0), keeping ``seen``'s last change; the take-over, if it lands late, then fails its
        condition. Retried like ``release``."""
        changed = max(_changed(seen), lease.acquired_at or _changed(seen))
        _retried(lambda: self._put_over(lease, seen, None, changed, or_ours=True))

    def _put_over(
        self, lease: Lease, seen: Lease, expires: datetime | None, changed: datetime, *, or_ours: bool = False
    ) -> None:
        condition = "(#owner = :seen AND lease_expires = :seen_expires AND acquired_epoch = :seen_changed)"
        values: dict[str, AttributeValueTypeDef] = {
            ":seen": {"S": seen.owner},
            ":seen_expires": {"N": _epoch(seen.expires_at)},
            ":seen_changed": {"N": _epoch(_changed(seen))},
        }
        if or_ours:
            condition += " OR (#owner = :me AND lease_expires > :zero)"
            values |= {":me": {"S": lease.owner}, ":zero": {"N": "0"}}
        self._dated(
            lambda: self._ddb.put_item(
                TableName=self._table,
                Item=self._lease_item(lease, expires, changed),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues=values,
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        )

    @staticmethod
    def _lease_item(
        lease: Lease, expires: datetime | None, changed: datetime
    ) -> dict[str, AttributeValueTypeDef]:
        """The lease item: held until ``expires`` (None: given back, expiry 0), last change ``changed``."""
        acquired = lease.acquired_at or changed
        item: dict[str, AttributeValueTypeDef] = {
            "pk": {"S": f"lease#{lease.name}"},
            "owner": {"S": lease.owner},
            "lease_expires": {"N": _epoch(expires) if expires is not None else "0"},
            "acquired_at": {"S": acquired.isoformat()},
            "acquired_epoch": {"N": _epoch(changed)},
            "expires_at": {"N": str(int(lease.expires_at.timestamp()) + STALE_ITEM_DAYS * 86400)},
        }
        if lease.follow_up is not None:  # the reason is bounded by whoever made it (follow_ups.coalesce)
            item["follow_up_at"] = {"N": _epoch(lease.follow_up.due_at)}
            item["follow_up_token"] = {"S": lease.follow_up.token}
            item["follow_up_reason"] = {"S": lease.follow_up.reason or "-"}
        return item

    def _put_if_free_or_ours(self, lease: Lease, now: datetime, expires: datetime | None) -> None:
        acquired = lease.acquired_at or now
        self._dated(
            lambda: self._ddb.put_item(
                TableName=self._table,
                Item=self._lease_item(lease, expires, acquired),
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
        )

    def release(self, lease: Lease, now: datetime) -> None:
        """Give it back (expiry 0, owner kept), with retries: a lease left behind blocks the other runs
        until it expires. ``acquired_epoch`` becomes the time of the release (``now``: the shared clock's
        ``latest``): a take sent before the release that lands after it (a request that outlived its client's
        timeout) then fails its condition, instead of holding the lease for a run that gave up.
        """
        acquired = lease.acquired_at or lease.expires_at
        # the last change: a take is refused unless the lease changed before the take began
        item = self._lease_item(replace(lease, acquired_at=acquired), None, max(now, acquired))
        _retried(
            lambda: self._dated(
                lambda: self._ddb.put_item(
                    TableName=self._table,
                    Item=item,
                    ConditionExpression="#owner = :me",
                    ExpressionAttributeNames={"#owner": "owner"},
                    ExpressionAttributeValues={":me": {"S": lease.owner}},
                )
            )
        )

    # --- grace marks -----------------------------------------------------------------------------
    def missing_since(self) -> dict[str, datetime]:
        """The marks, each on AWS's clock (``SharedClock.stamp`` of the run that first saw the absence)."""
        item = self._dated(
            lambda: self._ddb.get_item(
                TableName=self._table, Key={"pk": {"S": GRACE_KEY}}, ConsistentRead=True
            )
        ).get("Item", {})
        marks = item.get("marks", {}).get("M", {})
        return {eid: datetime.fromisoformat(str(v.get("S", ""))) for eid, v in marks.items() if v.get("S")}

    def save_missing(self, marks: Mapping[str, datetime]) -> None:
        self._dated(
            lambda: self._ddb.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": GRACE_KEY},
                    "marks": {"M": {eid: {"S": at.isoformat()} for eid, at in sorted(marks.items())}},
                },
            )
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
