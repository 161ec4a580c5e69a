"""SNS, provider side: the onboarding function's notifications (one message per change or rejection)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

SUBJECT_MAX = 100  # SNS rejects longer subjects


class SnsNotifier:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._sns = client
        self._topic = topic_arn

    def notify(self, subject: str, message: Mapping[str, Any]) -> None:
        self._sns.publish(
            TopicArn=self._topic,
            Subject=subject[:SUBJECT_MAX],
            Message=json.dumps(dict(message), default=str, indent=2),
        )
