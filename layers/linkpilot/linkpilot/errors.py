"""The errors every wing speaks: what the adapters turn AWS errors into, so no core module imports botocore.

- ``Refused``: AWS refused this one action (or read) for a reason a retry will not fix. It concerns one
  invitation, endpoint or principal: recorded, reported, and never blocks the others.
- ``Transient``: throttling, a 5xx, a network failure, or an error code nobody expected. The run records it
  and the Lambda invocation raises at the end, so the platform retries and the DLQ keeps the event.

Both carry the AWS error ``code`` (or the exception's class name) and its message.
"""

from __future__ import annotations


class AwsError(Exception):
    """An AWS call failed. ``code`` is the AWS error code (or the failure's class name)."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if message else code)


class Refused(AwsError):
    """AWS refused one action for a reason retrying will not fix. ``category`` (for people) prefixes the
    message when set."""

    default_category = "refused"

    def __init__(self, code: str, message: str = "", category: str | None = None) -> None:
        self.category = self.default_category if category is None else category
        super().__init__(code, message)
        if self.category:
            self.args = (f"{self.category}: {self.args[0]}",)


class Transient(AwsError):
    """A failure a later attempt may not meet: the run is retried by the platform."""
