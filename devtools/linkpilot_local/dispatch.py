"""Front door of the emulation: every AWS request passes here before moto sees it.

For each request this module works out (account, service, operation) the way AWS would (the SigV4
credential scope names the service, the access key names the account through moto's STS/IAM
mapping), records it in the call log, applies fault injection, and either answers it with one of
the emulation's handlers or returns ``None`` so that moto answers it. Request parsing and response
serialization reuse moto's model-driven protocol parsers and serializers, so responses follow the
botocore service model shapes exactly.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import moto_compat
from .errors import AwsError
from .moto_compat import Request

Response = tuple[int, dict[str, str], str | bytes]

_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_HOST = re.compile(r"^(?P<service>[a-z0-9-]+)\.(?P<region>[a-z0-9-]+)\.amazonaws\.com")
# SigV4 signing names that differ from the boto3 client name.
_SIGNING_TO_CLIENT = {"monitoring": "cloudwatch", "eventbridge": "events", "email": "ses"}


@dataclass
class Call:
    """One identified AWS API call."""

    account: str
    region: str
    service: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))


# an operation's handler, given the emulation as its context type (emulation.py: ``Handler[Emulation]``)
type Handler[Ctx] = Callable[[Ctx, Call], Any]


def _account_for(access_key: str) -> str:
    import os

    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    return moto_compat.account_for_access_key(access_key)


@dataclass
class Identified:
    account: str
    region: str
    service: str
    operation: str | None
    uri_params: dict[str, Any]


def identify(request: Request) -> Identified | None:
    """Service, region, account and operation of a request, or None for non-AWS traffic."""
    auth = request.headers.get("Authorization", "")
    match = _CREDENTIAL.search(auth)
    if match:
        access_key, region, signing_name = match.groups()
    else:
        host_match = _HOST.match(request.host or "")
        if not host_match:
            return None
        access_key, region, signing_name = "", host_match["region"], host_match["service"]
    if "x-moto-account-id" in request.headers:
        account = request.headers["x-moto-account-id"]
    else:
        account = _account_for(access_key)
    service = _SIGNING_TO_CLIENT.get(signing_name, signing_name)
    operation: str | None = None
    uri_params: dict[str, Any] = {}
    try:
        operation, uri_params = moto_compat.match_operation(service, request)
    except Exception:  # noqa: BLE001 - an unroutable request is moto's to answer (usually a 404)
        operation = None
    return Identified(account, region, service, operation, uri_params)


def parse_params(
    request: Request, service: str, operation: str, uri_params: dict[str, Any]
) -> dict[str, Any]:
    service_model = moto_compat.service_model(service)
    op_model = service_model.operation_model(operation)
    protocol = moto_compat.request_protocol(service_model, request)
    return moto_compat.parse_request(op_model, protocol, request, uri_params)


def serialize(
    request: Request,
    service: str,
    operation: str,
    result: Any,
    *,
    request_id: str,
    transformers: dict[str, Callable[[Any], Any]] | None = None,
) -> Response:
    """Serialize a result dict (or an AwsError) with moto's serializer for the service's protocol."""
    service_model = moto_compat.service_model(service)
    op_model = service_model.operation_model(operation)
    protocol = moto_compat.request_protocol(service_model, request)
    status, headers, body = moto_compat.serialize_response(
        op_model, protocol, result, request_id=request_id, transformers=transformers
    )
    if isinstance(result, AwsError) and result.status is not None:
        status = result.status
    headers.setdefault("x-amzn-RequestId", request_id)
    return status, headers, body
