"""Lambda ``Invoke`` with ``InvocationType=Event``: the emulation keeps the invocation for whoever runs the
functions (the demo's and the bench's local Lambda service) and answers as Lambda does, 202 and no payload
(Lambda developer guide, "Invoking a Lambda function asynchronously"; botocore model: ``StatusCode`` is the
HTTP status). No function runs in the local AWS itself (no container engine); a synchronous invoke is left to
moto, which refuses a function it does not know.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .clock import Clock

if TYPE_CHECKING:
    from .dispatch import Call, Response


class InvocationSink(Protocol):
    """What this module uses of the emulation: its clock and where invocations are kept."""

    @property
    def clock(self) -> Clock: ...

    @property
    def invocations(self) -> list[Invocation]: ...


@dataclass(frozen=True)
class Invocation:
    account: str
    function: str  # as the caller named it: a name or an ARN
    payload: bytes
    at: datetime


def invoke(emu: InvocationSink, call: Call) -> Response | None:
    if str(call.params.get("InvocationType", "RequestResponse")) != "Event":
        return None
    payload = call.params.get("Payload") or b""
    body = payload.encode() if isinstance(payload, str) else bytes(payload)
    emu.invocations.append(Invocation(call.account, str(call.params["FunctionName"]), body, emu.clock.now()))
    return 202, {"x-amzn-requestid": call.request_id, "content-type": "application/json"}, b""


HANDLERS: dict[str, Any] = {"Invoke": invoke}
