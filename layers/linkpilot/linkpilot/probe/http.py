"""The pure half of the probe: the request it sends and the verdict on the bytes it got back so far.

:func:`judge` is called after every read with everything received; it returns a :class:`Judgement` as soon as
the bytes decide the verdict, or ``None`` when more bytes are needed. The client stops reading the moment a
judgement exists, so a responder that never closes its connection (netcat without ``-N``/``-q``) is judged
as soon as its status line (or the expected text) has arrived.

It accepts what minimal responders send: bare-LF line ends, no Content-Length (body ends at close),
interim 1xx responses, chunked bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from linkpilot import __version__
from linkpilot.probe.model import BODY, OK, STATUS, Target

USER_AGENT: Final = f"linkpilot-probe/{__version__}"
_STATUS_LINE = re.compile(rb"^HTTP/\d(?:\.\d)? +(\d{3})(?:[ \t].*)?$")
_DEFAULT_PORT: Final = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Judgement:
    verdict: str
    status_code: int | None = None
    error: str | None = None


def host_header(target: Target) -> str:
    if target.host_header:
        return target.host_header
    host = f"[{target.dns_name}]" if ":" in target.dns_name else target.dns_name
    if target.port == _DEFAULT_PORT[target.scheme]:
        return host
    return f"{host}:{target.port}"


def build_request(target: Target) -> bytes:
    return (
        f"GET {target.path} HTTP/1.1\r\n"
        f"Host: {host_header(target)}\r\n"
        f"User-Agent: {USER_AGENT}\r\n"
        "Accept: */*\r\n"
        "Accept-Encoding: identity\r\n"
        "Connection: close\r\n"
        "\r\n"
    ).encode("ascii")


def _line_end(data: bytes, start: int) -> tuple[int, int] | None:
    """(end of the line's content, start of the next line), tolerating bare LF."""
    nl = data.find(b"\n", start)
    if nl < 0:
        return None
    end = nl - 1 if nl > start and data[nl - 1 : nl] == b"\r" else nl
    return end, nl + 1


def _header_block_end(data: bytes, start: int) -> int | None:
    """Offset of the body: just after the first empty line at or after ``start`` (a header line start)."""
    pos = start
    while True:
        found = _line_end(data, pos)
        if found is None:
            return None
        end, nxt = found
        if end == pos:
            return nxt
        pos = nxt


def _headers(block: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw in block.split(b"\n"):
        name, sep, value = raw.rstrip(b"\r").partition(b":")
        if sep:
            headers[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return headers


def decode_chunked(data: bytes) -> tuple[bytes, bool, str | None]:
    """Chunked transfer coding, tolerant of a truncated tail: (body so far, finished, error)."""
    body = bytearray()
    pos = 0
    while True:
        found = _line_end(data, pos)
        if found is None:
            return bytes(body), False, None
        end, nxt = found
        size_text = data[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return bytes(body), True, f"malformed chunk size {size_text[:20]!r}"
        if size == 0:
            return bytes(body), True, None
        body += data[nxt : nxt + size]
        if len(data) < nxt + size:
            return bytes(body), False, None
        after = _line_end(data, nxt + size)
        if after is None:
            return bytes(body), False, None
        pos = after[1]


def _body(
    data: bytes, headers: dict[str, str], status: int, complete: bool
) -> tuple[bytes, bool, str | None]:
    """(body so far, body finished, framing error) for the response whose body starts at ``data[0]``."""
    if status in (204, 304):
        return b"", True, None
    if headers.get("transfer-encoding", "").lower().rsplit(",", 1)[-1].strip() == "chunked":
        return decode_chunked(data)
    length = headers.get("content-length")
    if length is not None and length.isdigit():
        n = int(length)
        return data[:n], len(data) >= n, None
    return data, complete, None  # close-delimited: the body ends when the connection does


def _final_status(
    data: bytes, *, expected_status: int, complete: bool, truncated: bool = False
) -> tuple[int, int] | Judgement | None:
    """(status code, offset of its first header line) of the final response; interim 1xx ones are skipped."""
    start = 0
    interim: int | None = None
    # an endless run of interim responses ends at the read limit, not at the end of the response
    ended = f"stopped at the {len(data) / 1024:g} KiB read limit" if truncated else "response ended"
    while True:
        if not b"HTTP/".startswith(data[start : start + 5]):
            return Judgement(STATUS, None, f"not an HTTP response: {data[start : start + 40]!r}")
        found = _line_end(data, start)
        if found is None:
            if start == len(data) and interim is not None:
                cut = Judgement(STATUS, interim, f"{ended} after an interim {interim} response")
            else:
                cut = Judgement(STATUS, None, f"{ended} inside the status line: {data[start:][:40]!r}")
            return cut if complete else None
        end, headers_at = found
        match = _STATUS_LINE.match(data[start:end])
        if match is None:
            return Judgement(STATUS, None, f"malformed status line {data[start:end][:80]!r}")
        status = int(match.group(1))
        if not (100 <= status < 200 and status != 101 and expected_status >= 200):
            return status, headers_at
        next_response = _header_block_end(data, headers_at)
        if next_response is None:
            cut = Judgement(STATUS, status, f"{ended} inside an interim {status} response")
            return cut if complete else None
        start, interim = next_response, status


def _judge_body(
    data: bytes, headers_at: int, status: int, expected_body: bytes, *, complete: bool, truncated: bool
) -> Judgement | None:
    body_at = _header_block_end(data, headers_at)
    if body_at is None:
        if not complete:
            return None
        why = "the read limit was reached" if truncated else "the response ended"
        return Judgement(BODY, status, f"{why} before the end of the headers")
    body, finished, framing_error = _body(
        data[body_at:], _headers(data[headers_at:body_at]), status, complete
    )
    if expected_body in body:
        return Judgement(OK, status)
    if not (finished or complete):
        return None
    shown = expected_body.decode("utf-8", "replace")
    detail = f"expected text {shown!r} not found in the {len(body)}-byte body"
    if framing_error:
        detail += f" ({framing_error})"
    elif truncated:
        detail += f" (stopped at the {len(data)}-byte read limit)"
    elif not finished:
        detail += " (connection closed before the body ended)"
    return Judgement(BODY, status, detail)


def judge(
    data: bytes,
    *,
    expected_status: int,
    expected_body: bytes | None,
    complete: bool,
    truncated: bool = False,
) -> Judgement | None:
    """The verdict on a response prefix, or ``None`` if more bytes are needed to decide.

    ``complete``: no more bytes will come (end of stream, reset, or the read limit; ``truncated`` says the
    last). With ``complete`` a judgement is always returned. An empty ``data`` is the caller's business
    (no response at all is a connection-level failure, not an HTTP one).
    """
    found = _final_status(data, expected_status=expected_status, complete=complete, truncated=truncated)
    if found is None or isinstance(found, Judgement):
        return found
    status, headers_at = found
    if status != expected_status:
        return Judgement(STATUS, status, f"expected status {expected_status}, got {status}")
    if expected_body is None:
        return Judgement(OK, status)
    return _judge_body(data, headers_at, status, expected_body, complete=complete, truncated=truncated)
