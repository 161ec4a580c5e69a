"""Deterministic idempotency tokens: the same request parts give the same token, in every run."""

from __future__ import annotations

import hashlib
import uuid


def uuid_token(*parts: str) -> str:
    """A UUID-shaped token derived from ``parts`` (RAM's ``clientToken``: every public example is a UUID).

    The first 16 bytes of the parts' SHA-256 read as a UUID: deterministic, 36 ASCII characters.
    """
    return str(uuid.UUID(bytes=hashlib.sha256("\x1f".join(parts).encode()).digest()[:16]))
