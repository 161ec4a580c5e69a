"""The controller's pending follow-up run, as the stack's state table records it with the run lease
(``linkpilot.consumer.follow_ups``): one consistent read of the lease item, for ``linkpilot status``."""

from __future__ import annotations

from typing import Any

from linkpilot.follow_up import FollowUp


def pending_follow_up(session: Any, state_table: str) -> FollowUp | None:
    """The follow-up run the account has pending (None: none; the reconcile schedule comes next)."""
    from linkpilot.aws.state_table import StateTable
    from linkpilot.consumer.reconcile import LEASE_NAME
    from linkpilot_cli.aws import client

    held = StateTable(client(session, "dynamodb"), state_table).peek(LEASE_NAME)
    return held.follow_up if held is not None else None
