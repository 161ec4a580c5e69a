"""The pure verdict logic: every response shape the probe meets, in one piece or split anywhere."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkpilot.probe.http import decode_chunked, judge

NC = b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\nHello, World!"


def verdict(data: bytes, *, status: int = 200, body: bytes | None = None, complete: bool = False, **kw):
    j = judge(data, expected_status=status, expected_body=body, complete=complete, **kw)
    return None if j is None else (j.verdict, j.status_code)


def test_reference_reply_is_ok_as_soon_as_the_text_arrives():
    assert verdict(NC, body=b"Hello, World!") == ("ok", 200)
    assert verdict(NC[:-1], body=b"Hello, World!") is None  # not yet: no close, no length
    assert verdict(NC[:-1], body=b"Hello, World!", complete=True) == ("body", 200)


def test_status_is_decided_by_the_status_line_alone():
    assert verdict(b"HTTP/1.1 200 OK\n") == ("ok", 200)
    assert verdict(b"HTTP/1.1 200 OK") is None
    assert verdict(b"HTTP/1.0 503 Service Unavailable\r\n") == ("status", 503)
    assert verdict(b"HTTP/1.1 204\r\n", status=204) == ("ok", 204)


@pytest.mark.parametrize(
    "data",
    [b"SSH-2.0-OpenSSH_9.6\r\n", b"<html>", b"\x16\x03\x01\x02\x00", b"HTTP/1.1 2OO OK\r\n", b"HTTP/1.1\r\n"],
)
def test_non_http_replies_are_status_failures(data):
    assert verdict(data) == ("status", None)


def test_partial_prefix_waits_and_a_truncated_status_line_fails_at_close():
    assert verdict(b"HTT") is None
    assert verdict(b"HTT", complete=True) == ("status", None)


def test_content_length_ends_the_body():
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHelloTRAILING"
    assert verdict(data, body=b"Hello") == ("ok", 200)
    assert verdict(data, body=b"TRAILING") == ("body", 200)


def test_body_not_found_is_decided_when_content_length_is_reached_without_close():
    data = b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\nGoodbye"
    assert verdict(data, body=b"Hello") == ("body", 200)
    assert verdict(data[:-1], body=b"Hello") is None


def test_chunked_body():
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n8\r\n, World!\r\n0\r\n\r\n"
    assert verdict(data, body=b"Hello, World!") == ("ok", 200)
    assert verdict(data, body=b"5\r\n") == ("body", 200)  # framing is not body


def test_interim_responses_are_skipped():
    data = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\n\r\nhi"
    assert verdict(data, body=b"hi", complete=True) == ("ok", 200)
    assert verdict(b"HTTP/1.1 100 Continue\r\n\r\n") is None
    assert verdict(b"HTTP/1.1 100 Continue\r\n\r\n", complete=True) == ("status", 100)


def test_no_body_statuses():
    assert verdict(b"HTTP/1.1 304 Not Modified\r\n\r\n", status=304, body=b"x") == ("body", 304)


def test_read_limit_is_reported():
    data = b"HTTP/1.1 200 OK\n\n" + b"x" * 100
    j = judge(data, expected_status=200, expected_body=b"needle", complete=True, truncated=True)
    assert j is not None and j.verdict == "body" and "read limit" in (j.error or "")
    j = judge(
        b"HTTP/1.1 200 OK\nX: " + b"y" * 100,
        expected_status=200,
        expected_body=b"n",
        complete=True,
        truncated=True,
    )
    assert j is not None and j.verdict == "body" and "before the end of the headers" in (j.error or "")


# at a response boundary, inside a status line, inside an interim response's header block
@pytest.mark.parametrize("cut", [0, 3, 24])
def test_endless_interim_responses_report_the_read_limit(cut):
    """An endless ``100 Continue`` stream fills the 64 KiB read buffer: say so, not "response ended"."""
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    data = interim * 100 + interim[:cut]
    j = judge(data, expected_status=200, expected_body=None, complete=True, truncated=True)
    assert j is not None and j.verdict == "status"
    assert (j.error or "").startswith(f"stopped at the {len(data) / 1024:g} KiB read limit"), j.error
    # without the limit the same bytes are a response that ended early
    j = judge(data, expected_status=200, expected_body=None, complete=True)
    assert j is not None and (j.error or "").startswith("response ended"), j.error


def test_the_read_limit_is_named_in_kib():
    from linkpilot.probe.model import MAX_READ_BYTES

    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    data = (interim * (MAX_READ_BYTES // len(interim) + 1))[:MAX_READ_BYTES]
    j = judge(data, expected_status=200, expected_body=None, complete=True, truncated=True)
    assert j is not None and (j.error or "").startswith("stopped at the 64 KiB read limit"), j.error


def test_error_texts_name_what_was_expected():
    j = judge(b"HTTP/1.1 302 Found\r\n", expected_status=200, expected_body=None, complete=False)
    assert j is not None and j.error == "expected status 200, got 302"
    j = judge(NC, expected_status=200, expected_body=b"Bye", complete=True)
    assert j is not None and j.error == "expected text 'Bye' not found in the 13-byte body"


def test_decode_chunked_tolerates_truncation_and_reports_garbage():
    assert decode_chunked(b"5\r\nHel") == (b"Hel", False, None)
    assert decode_chunked(b"5\r\nHello\r\n") == (b"Hello", False, None)
    assert decode_chunked(b"5;ext=1\r\nHello\r\n0\r\n\r\n") == (b"Hello", True, None)
    body, finished, error = decode_chunked(b"zz\r\n")
    assert (body, finished) == (b"", True) and error is not None


RESPONSES = [
    (NC, b"Hello, World!"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!", b"World"),
    (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nHello,\r\n7\r\n World!\r\n0\r\n\r\n",
        b"o, W",
    ),
    (b"HTTP/1.1 500 Oops\r\n\r\nHello", b"Hello"),
    (b"HTTP/1.1 200 OK\n\nGoodbye", b"Hello"),
]


@given(
    case=st.sampled_from(RESPONSES),
    cuts=st.lists(st.integers(min_value=1, max_value=200), max_size=6),
)
def test_verdict_does_not_depend_on_how_the_bytes_arrive(case, cuts):
    """Fed prefix by prefix, the first decisive prefix gives the same verdict as the whole response."""
    data, body = case
    whole = verdict(data, body=body, complete=True)
    decided = None
    for cut in [*sorted({min(c, len(data)) for c in cuts}), len(data)]:
        decided = verdict(data[:cut], body=body)
        if decided is not None:
            break
    if decided is None:
        decided = verdict(data, body=body, complete=True)
    assert decided == whole
