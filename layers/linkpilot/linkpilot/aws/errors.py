"""How the adapters turn AWS errors into the wings' own (``linkpilot.errors``).

Each adapter names the error codes it expects and raises ``Refused`` for those; everything else it meets
(throttling, 5xx, a network failure, a code nobody expected) leaves the adapter as ``Transient``, through
``translates_errors``. So the consumer and provider cores never see botocore.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from linkpilot.errors import AwsError, Transient

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


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def error_message(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Message", ""))


def is_transient(exc: ClientError) -> bool:
    return error_code(exc) in TRANSIENT_CODES


def transient(exc: ClientError | BotoCoreError) -> Transient:
    """The wing-level error for an AWS failure the adapter did not expect."""
    if isinstance(exc, ClientError):
        return Transient(error_code(exc), error_message(exc))
    return Transient(type(exc).__name__, str(exc))


def translates_errors[C: type](cls: C) -> C:
    """Class decorator: every public method raises ``Transient`` where it would raise a botocore error."""
    for name, member in list(vars(cls).items()):
        if name.startswith("_") or not callable(member):
            continue
        setattr(cls, name, _translating(member))
    return cls


def _translating(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AwsError:
            raise
        except (ClientError, BotoCoreError) as exc:
            raise transient(exc) from exc

    return wrapper
