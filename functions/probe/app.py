"""Probe Lambda handler (placeholder until the probe issue lands)."""

from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    raise NotImplementedError("the probe is built by the endpoint probe issue")
