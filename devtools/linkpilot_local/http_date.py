"""Every answer of the local AWS carries an HTTP ``Date`` from the emulation's clock, as AWS dates answers.

AWS: DynamoDB's answers carry ``Date`` (DynamoDB developer guide, "DynamoDB low-level API", Response
format: ``Date: <Date>``); an origin server with a clock sends it on every answer, in whole seconds (RFC 9110,
section 6.6.1, HTTP-date). Linkpilot takes the state table's ``Date`` for the time every run shares (the run
lease, the unshare grace), so here it is the simulated clock's, the time the emulation stamps endpoints and
expiries with, never the host's: moto would date its own answers with the host's clock, and the emulation's
answers not at all.

- in-process (``LocalAws``): ``date_botocore_answers`` wraps the interception of botocore's requests, so every
  answer (the emulation's or moto's) leaves with the clock's ``Date``;
- server (``linkpilot local serve``): ``DatedRequestHandler`` is the HTTP server's handler: the ``Date`` it
  sends with every answer is the clock's, and an application's own ``Date`` is not sent a second time.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from . import moto_compat
from .clock import Clock

if TYPE_CHECKING:
    from werkzeug.serving import WSGIRequestHandler


def http_date(clock: Clock) -> str:
    """``clock``'s time as an HTTP-date (IMF-fixdate, whole seconds, GMT)."""
    return formatdate(clock.time(), usegmt=True)


def dated(answer: tuple[int, Mapping[str, Any], Any], clock: Clock) -> tuple[int, dict[str, Any], Any]:
    """``answer`` (status, headers, body) with its one ``Date`` from ``clock``."""
    status, headers, body = answer
    kept = {k: v for k, v in headers.items() if k.lower() != "date"}
    kept["Date"] = http_date(clock)
    return status, kept, body


def date_botocore_answers(clock: Clock) -> None:
    """In-process: date every answer the interception gives botocore. Call after the interception is in place
    (``moto_compat.intercept_botocore``); ``moto_compat.release_botocore`` removes both."""
    moto_compat.wrap_botocore_answers(lambda answer: dated(answer, clock))


def dated_request_handler(clock: Clock) -> type[WSGIRequestHandler]:
    """Server: a request handler whose every answer is dated by ``clock``."""
    from werkzeug.serving import WSGIRequestHandler

    class DatedRequestHandler(WSGIRequestHandler):
        _date_sent = False

        def date_time_string(self, timestamp: float | None = None) -> str:
            return formatdate(clock.time() if timestamp is None else timestamp, usegmt=True)

        def send_response_only(self, code: int, message: str | None = None) -> None:
            self._date_sent = False
            super().send_response_only(code, message)

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "date":
                if self._date_sent:
                    return  # the application's own Date (moto's): the clock's went first
                self._date_sent = True
            super().send_header(keyword, value)

    return DatedRequestHandler
