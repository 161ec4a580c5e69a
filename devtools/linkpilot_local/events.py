"""``aws.ram`` events on the default EventBridge bus of each affected account (shape: EVENTS.md)."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulation import Emulation

DETAIL_TYPE = "Resource Sharing State Change"
SOURCE = "aws.ram"
log = logging.getLogger(__name__)


def ram_event(
    emu: Emulation, account: str, region: str, detail: dict[str, Any], resources: list[str]
) -> None:
    """Deliver one RAM state-change event to ``account``'s default bus through moto's EventBridge.

    moto matches the account's rules on the default bus and sends to their targets (SQS, Lambda,
    logs, ...). Every emitted event is also kept in ``emu.events`` for inspection in tests.
    """
    from moto.events.models import events_backends

    clean = {k: v for k, v in detail.items() if v is not None}
    entry = {
        "Source": SOURCE,
        "DetailType": DETAIL_TYPE,
        "Detail": json.dumps(clean),
        "Resources": resources,
        "Time": emu.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    emu.events.append(
        {
            "account": account,
            "region": region,
            "detail-type": DETAIL_TYPE,
            "source": SOURCE,
            "resources": resources,
            "detail": clean,
        }
    )
    if emu.drop_events:
        return
    try:
        events_backends[account][region].put_events([entry])
    except Exception:  # RAM events are best effort in AWS too: never fail the API call
        log.exception("could not deliver aws.ram event to %s/%s", account, region)
