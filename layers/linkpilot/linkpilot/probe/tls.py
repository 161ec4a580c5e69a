"""The probe's TLS helpers: trust contexts (system store, or a target's CA bundle) and certificate expiry.

``ssl`` is imported here only, and this module only when a target needs TLS: an http/tcp-only run never
loads OpenSSL bindings.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

_SECONDS_PER_DAY = 86400.0


@lru_cache(maxsize=1)
def default_context() -> ssl.SSLContext:
    """System trust store, hostname checking on (against ``server_name`` when a target sets one)."""
    return ssl.create_default_context()


@lru_cache(maxsize=32)  # bounded: a few distinct bundles per run in practice
def bundle_context(pem: str) -> ssl.SSLContext:
    """Trusts exactly the CA certificates in ``pem`` (hostname checking on). Raises ``ssl.SSLError``."""
    return ssl.create_default_context(cadata=pem)


def days_left(cert: Mapping[str, Any] | None, now: Callable[[], float] = time.time) -> float | None:
    """Days until the peer certificate's ``notAfter``; None if unknown (verification off: no parsed cert)."""
    not_after = (cert or {}).get("notAfter")
    if not isinstance(not_after, str):
        return None
    return round((ssl.cert_time_to_seconds(not_after) - now()) / _SECONDS_PER_DAY, 2)
