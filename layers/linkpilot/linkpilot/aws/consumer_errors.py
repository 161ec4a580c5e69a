"""How the consumer-side adapters sort AWS errors: per-resource refusals versus reasons to retry the run.

A refusal (``ActionRefused``) concerns one invitation or endpoint: recorded, reported, and never blocks the
others. Everything else (throttling, 5xx, an error code nobody expected) propagates as ``ClientError``;
the reconcile records it and raises at the end of the run, so the platform retries and the DLQ keeps it.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

# Codes AWS services use for "slow down" or "try again": retried by botocore first, then by the platform.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "ServiceUnavailable",
        "Unavailable",
        "ServiceUnavailableException",
        "ServerInternalException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "InternalServerException",
    }
)


class ActionRefused(RuntimeError):
    """AWS refused one action for a reason retrying will not fix. ``category`` is for people."""

    def __init__(self, code: str, message: str, category: str = "refused") -> None:
        self.code = code
        self.category = category
        super().__init__(f"{category}: {code}: {message}" if message else f"{category}: {code}")


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def is_transient(exc: ClientError) -> bool:
    return error_code(exc) in TRANSIENT_CODES
