"""The follow-up run an account has pending, as the run lease's item records it (``linkpilot.lease``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class FollowUp:
    """A run the last holder arranged for later (``linkpilot.consumer.follow_ups``): due when, its message's
    token, why. Kept in the lease item: read and written by the calls every run makes, under the lease."""

    due_at: datetime
    token: str
    reason: str
