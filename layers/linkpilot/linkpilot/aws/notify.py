"""SNS: the notifications of both sides. The controller sends one per reconcile that accepted, rejected,
created, deleted or failed (one per run keeps a burst of onboarding to a single publish); the onboarding
function one per change or rejection. The ``kinds`` message attribute lets a subscription filter (for
example only ``error``).

The message is JSON written with ``ensure_ascii``: every control character, line separator or bidi override
another account put in a name reaches an e-mail subscriber as a visible ``\\uXXXX`` escape, never as itself.
Its strings are bounded where the message is built (``linkpilot.foreign``); a message still over
``MESSAGE_MAX`` (many actions in one run) is cut with the same truncation marker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from linkpilot.aws.errors import translates_errors
from linkpilot.foreign import bound

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SUBJECT_MAX = 100  # SNS rejects longer subjects
MESSAGE_MAX = 200_000  # well below SNS's 256 KiB (ASCII: characters are bytes)
_MORE = "\n(the audit table has every record)"


@translates_errors
class SnsNotifier:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._sns = client
        self._topic = topic_arn

    def publish(self, subject: str, kinds: Sequence[str], message: Mapping[str, Any]) -> None:
        body = json.dumps(dict(message), default=str, indent=1, ensure_ascii=True)
        if len(body) > MESSAGE_MAX:
            body = bound(body, MESSAGE_MAX - len(_MORE)) + _MORE
        self._sns.publish(
            TopicArn=self._topic,
            Subject=subject[:SUBJECT_MAX],
            Message=body,
            MessageAttributes={
                "kinds": {"DataType": "String.Array", "StringValue": json.dumps(sorted(kinds))}
            },
        )
