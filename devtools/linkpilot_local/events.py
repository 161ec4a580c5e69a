"""``aws.ram`` events on the default EventBridge bus of each affected account (shape: EVENTS.md)."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from . import moto_compat

if TYPE_CHECKING:
    from .store_context import EventSink

DETAIL_TYPE = "Resource Sharing State Change"
SOURCE = "aws.ram"
log = logging.getLogger(__name__)


def ram_event(
    emu: EventSink, account: str, region: str, detail: dict[str, Any], resources: list[str]
) -> None:
    """Deliver one RAM state-change event to ``account``'s default bus through moto's EventBridge.

    The event is built in AWS's envelope (ISO ``time``, ``account``, ...) and handed to every enabled
    rule of the account's default bus in moto; moto matches the rule's pattern and sends it to the
    rule's targets (SQS, Lambda, logs, ...). moto's own PutEvents path would drop ``account``, hence
    this route. Every emitted event is also kept in
    ``emu.events`` (server: ``GET /_linkpilot/events``).
    """
    clean = {k: v for k, v in detail.items() if v is not None}
    event = {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": DETAIL_TYPE,
        "source": SOURCE,
        "account": account,
        "time": emu.clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": resources,
        "detail": clean,
    }
    emu.events.append(event)
    if emu.drop_events:
        return
    try:
        # moto's targets take the envelope with a numeric ``time`` and render it (SQS: ISO 8601).
        moto_form = dict(event, time=emu.clock.time(), **{"ingestion-time": emu.clock.time()})
        moto_compat.deliver_to_default_bus(account, region, moto_form)
    except Exception:  # RAM events are best effort in AWS too: never fail the API call
        log.exception("could not deliver aws.ram event to %s/%s", account, region)
