"""Small helpers shared by the emulated services: ids, ARNs, pagination tokens, idempotency fingerprints."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from .errors import AwsError


def hex_id(prefix: str, length: int = 17) -> str:
    """``rgw-``/``rcfg-``/``vpce-`` style id: prefix plus ``length`` lowercase hex digits."""
    return prefix + secrets.token_hex((length + 1) // 2)[:length]


def fingerprint(params: dict[str, Any], *, ignore: Sequence[str] = ()) -> str:
    """Stable digest of request parameters, for ClientToken idempotency checks."""
    relevant = {k: v for k, v in params.items() if k not in ignore}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()


def token_replay[K, V](
    store: dict[K, tuple[str, V]], key: K, params: dict[str, Any], mismatch: Callable[[V], AwsError]
) -> V | None:
    """What a client token answered before (``store[key]``: the request's fingerprint and the answer), or
    None when the token is new; the same token with other parameters raises ``mismatch(answer)``."""
    entry = store.get(key)
    if entry is None:
        return None
    digest, answer = entry
    if digest != fingerprint(params):
        raise mismatch(answer)
    return answer


def remember_token[K, V](store: dict[K, tuple[str, V]], key: K, params: dict[str, Any], answer: V) -> None:
    """Keep a client token's answer for :func:`token_replay`."""
    store[key] = (fingerprint(params), answer)


def paginate[T](
    items: Sequence[T],
    *,
    max_results: int | None,
    next_token: str | None,
    scope: str,
    default_max: int,
    bad_token: Callable[[], AwsError],
) -> tuple[list[T], str | None]:
    """Offset pagination with opaque tokens bound to ``scope`` (operation plus filters).

    A token from another listing, or garbage, raises ``bad_token()`` as AWS raises
    InvalidNextTokenException / InvalidNextToken.
    """
    start = 0
    if next_token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(next_token.encode()))
            start = int(decoded["o"])
            if decoded["s"] != hashlib.sha256(scope.encode()).hexdigest()[:16] or start < 0:
                raise ValueError(next_token)
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
            raise bad_token() from None
    size = max_results or default_max
    page = list(items[start : start + size])
    end = start + size
    token = None
    if end < len(items):
        token = base64.urlsafe_b64encode(
            json.dumps({"o": end, "s": hashlib.sha256(scope.encode()).hexdigest()[:16]}).encode()
        ).decode()
    return page, token


def arn_parts(arn: str) -> dict[str, str] | None:
    """Split ``arn:partition:service:region:account:resource``; None when it is not an ARN."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        return None
    return {
        "partition": parts[1],
        "service": parts[2],
        "region": parts[3],
        "account": parts[4],
        "resource": parts[5],
    }


def short_hash(*values: str, length: int = 7) -> str:
    return hashlib.sha256("/".join(values).encode()).hexdigest()[:length]
