"""SQS: the controller's follow-up runs, each a message to the stack's follow-up queue, which the controller
function reads (an event source mapping, batch size 1). ``DelaySeconds`` (0-900, ``SendMessage`` in the
botocore model) holds the message back until the run is due, to the second, where EventBridge Scheduler
invokes a one-time schedule anywhere within the minute it names (its user guide, "Schedule types"): a
15-second backoff needs the queue.

The message names the follow-up (its token: the run drops a message that is no longer the one the lease item
records), when it is due and why; nothing in it is trusted beyond that hint (the run reads AWS afresh).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from linkpilot.aws.errors import translates_errors
from linkpilot.follow_up import FollowUp

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# the body's marker: what tells a follow-up message from anything else on the queue
KIND = "follow-up"


def message_body(follow_up: FollowUp) -> str:
    return json.dumps(
        {
            "linkpilot": KIND,
            "token": follow_up.token,
            "due": follow_up.due_at.isoformat(),
            "reason": follow_up.reason,
        },
        separators=(",", ":"),
    )


@translates_errors
class FollowUpQueue:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._sqs = client
        self._queue_url = queue_url

    def send(self, follow_up: FollowUp, delay_s: int) -> None:
        self._sqs.send_message(
            QueueUrl=self._queue_url, MessageBody=message_body(follow_up), DelaySeconds=delay_s
        )
