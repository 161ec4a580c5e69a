"""How the adapters turn AWS errors into the wings' own (``linkpilot.errors``).

Each adapter names the error codes it expects and raises ``Refused`` for those; everything else it meets
(throttling, 5xx, a network failure, a code nobody expected, an answer botocore cannot parse) leaves the
adapter as ``Transient``, through ``translates_errors``. So the consumer and provider cores never see
botocore.

``AWS_FAILURES`` is every exception class an AWS call itself raises: botocore's ``ClientError`` and
``BotoCoreError``, and ``botocore.parsers.ResponseParserError``, which derives from neither (an XML answer
that does not parse: "invalid XML received. Further retries may succeed"). A JSON answer of the wrong shape
makes botocore's parser raise plain ``TypeError``/``AttributeError``/``UnicodeDecodeError`` (botocore
1.x; a body that is not JSON at all parses as an empty answer): :func:`unparseable_answer` tells those from a
bug of ours by where they were raised (inside ``botocore.parsers``). Both are AWS failures here, and the CLI
reports them as "reading AWS failed" (exit 3), never as an unexpected error.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from linkpilot.errors import AwsError, Transient

AWS_FAILURES: tuple[type[Exception], ...] = (ClientError, BotoCoreError, ResponseParserError)
# the same, or an adapter's translation of it: what the CLI reports as "reading AWS failed"
ANY_AWS_FAILURE: tuple[type[Exception], ...] = (AwsError, *AWS_FAILURES)
# an unparseable answer quotes the whole body: enough of it to recognise, not a page of it
MAX_PARSER_DETAIL = 300

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


def unparseable_answer(exc: BaseException) -> bool:
    """Whether botocore failed to parse an answer: ``ResponseParserError``, or an error raised while
    ``botocore.parsers`` was on the stack (a JSON answer whose shape is not the model's; the parser calls
    none of our code, so this is never one of our own bugs)."""
    if isinstance(exc, ResponseParserError):
        return True
    if not isinstance(exc, (TypeError, AttributeError, ValueError, KeyError)):
        return False
    return any(
        frame.filename.replace("\\", "/").endswith("/botocore/parsers.py")
        for frame in traceback.extract_tb(exc.__traceback__)
    )


def transient(exc: Exception) -> Transient:
    """The wing-level error for an AWS failure the adapter did not expect (``AWS_FAILURES``, or an answer
    botocore could not parse)."""
    if isinstance(exc, ClientError):
        return Transient(error_code(exc), error_message(exc))
    if unparseable_answer(exc):
        detail = f"{type(exc).__name__}: {exc}"
        if len(detail) > MAX_PARSER_DETAIL:
            detail = f"{detail[:MAX_PARSER_DETAIL]}... ({len(detail)} characters)"
        return Transient("UnparseableAnswer", f"AWS answered something botocore cannot parse: {detail}")
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
        except AWS_FAILURES as exc:
            raise transient(exc) from exc
        except Exception as exc:
            if unparseable_answer(exc):
                raise transient(exc) from exc
            raise

    return wrapper
