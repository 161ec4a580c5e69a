"""Controller Lambda handler (placeholder until the controller issue lands)."""

from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    raise NotImplementedError("the controller is built by the consumer onboarding controller issue")
