"""The one place the local AWS reaches below moto's public API.

moto's public API is ``moto.mock_aws`` and its server entry point; everything else in moto is internal
and changes between patch releases (5.2.6 changed ``determine_request_protocol`` to take the request
instead of its content type, which broke every VPC Lattice call through the emulation). Every other
module of the local AWS, and its tests, use the small named functions and re-exports here; each says
which moto internal it stands for and why the emulation needs it. The contract test
``tests/integration/local_aws/test_moto_compat.py`` calls each of them once and asserts the shapes the
emulation relies on: run it first against a new moto release.

Supported moto versions: ``SUPPORTED`` (``>=5.2.5,<5.3``, the range ``devtools/pyproject.toml`` allows);
checked against ``CHECKED`` (5.2.5 and 5.2.6). ``check_version`` refuses anything outside the range,
and ``LocalAws.start()`` and ``LocalAwsServer.start()`` call it first, so the local AWS does not start
on a moto it was never checked against. Widen ``SUPPORTED`` (and the pyproject range) only after the
contract test and the local AWS suites pass on the new version.

The internals, and why each is needed:

- ``moto.core.request``: ``Request`` (the werkzeug request type moto's core acts on: the emulation's
  handlers and the server build it), ``normalize_request`` (turns botocore's prepared request into
  one, in-process) and ``determine_request_protocol`` (which wire protocol a request uses: it picks
  the parser and the serializer). 5.2.5 takes ``request.content_type``, 5.2.6 the request itself
  (and also detects Smithy RPC v2 CBOR): ``request_protocol`` hides the difference, decided once from
  the function's signature.
- ``moto.core.routing.get_service_router``: which operation a request calls (and its URI parameters),
  for every service, from the botocore model.
- ``moto.core.parse.PROTOCOL_PARSERS``: the request parameters of an operation the emulation answers,
  parsed by the service model (the parser takes moto's ``RequestDict``; ``parse_request`` builds it).
- ``moto.core.serialize`` (``get_serializer_class``, ``SerializationContext``,
  ``XFormedAttributePicker``): the emulation's answers and errors in exactly the shape botocore parses.
- ``moto.core.utils.get_service_model``: the botocore service model, as moto's parser and serializer
  expect it (moto's subclass, with moto's model extras); ``moto.core.model`` names its types.
- ``moto.core.exceptions.ServiceException``: the base of the emulation's ``AwsError``, so moto's
  serializer renders it as the service's modelled error.
- ``moto.core.models.botocore_stubber``: moto's one interception point for every botocore client
  (in-process mode); the emulation answers first, else moto (``intercept_botocore``), and every answer
  can be passed through a function on its way to botocore (``wrap_botocore_answers``).
- ``moto.iam.models.get_account_id_from``: the account an access key acts as (STS ``AssumeRole``
  credentials map to the role's account), so each call is attributed to its account.
- ``moto.ec2.models.ec2_backends``: resource and service-network endpoints live in moto's own EC2
  backend, so moto's DescribeVpcEndpoints, tags and ENIs see them; Lattice checks VPCs and subnets there.
- ``moto.ec2.models.vpcs.VPCEndPoint``: the base of those endpoints (``VpcEndpointModel`` constructs it
  by keyword: the positional constructor is moto's to reorder).
- ``moto.ec2.models.core.TaggedEC2Resource``: moto's own ``get_tags``, which the endpoint's faster
  by-id lookup must match (the contract and endpoint tests compare them).
- ``moto.ec2.utils`` (``EC2_PREFIX_TO_RESOURCE``, ``get_prefix``, ``random_private_ip``): the resource
  type moto records in a tag row, and an ENI address in a subnet.
- ``moto.ec2.responses.EC2Response.RESPONSE_KEY_PATH_TO_TRANSFORMER``: moto's EC2 response fix-ups,
  applied to the emulation's EC2 answers too so they match moto's.
- ``moto.events.models.events_backends``: RAM state-change events go to the rules of an account's
  default bus (moto's PutEvents path would drop the event's ``account``).
- ``moto.sqs.models.unix_time`` / ``unix_time_millis``: the clock moto's SQS reads, set to the emulation's
  (``sqs_on_clock``), so message timers (``DelaySeconds``) run on the simulated clock; its queues'
  messages (``sqs_backends``, ``Queue._messages``), for when the next one becomes receivable.
- ``moto.moto_server.werkzeug_app`` (``DomainDispatcherApplication``, ``create_backend_app``): moto's
  WSGI app, behind the emulation's front door in server mode.
- ``moto.ec2.models``, ``moto.sts.models``, ``moto.events.models``, ``moto.sqs.models``: imported ahead
  of the first call in server mode (``warm_up_backends``), so that call is not the slow one.
"""

from __future__ import annotations

import copy
import functools
import importlib
import inspect
import os
import re
from collections.abc import Callable, Mapping
from importlib import metadata
from typing import Any, cast

from linkpilot_cli.output import CliError

try:
    from moto.core.exceptions import ServiceException
    from moto.core.model import OperationModel, ServiceModel
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import Request, determine_request_protocol
    from moto.core.request import normalize_request as _normalize_request
    from moto.core.routing import get_service_router
    from moto.core.serialize import SerializationContext, XFormedAttributePicker, get_serializer_class
    from moto.core.utils import get_service_model
    from moto.ec2.models.core import TaggedEC2Resource
    from moto.ec2.models.vpcs import VPCEndPoint
    from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix
    from moto.ec2.utils import random_private_ip as _random_private_ip
except ImportError as _err:  # moto moved an internal: the version guard below says which moto it is
    _IMPORT_ERROR: ImportError | None = _err
else:
    _IMPORT_ERROR = None

__all__ = [
    "CHECKED",
    "SUPPORTED",
    "OperationModel",
    "Request",
    "ServiceException",
    "ServiceModel",
    "TaggedEC2Resource",
    "UnsupportedMotoVersion",
    "VpcEndpointModel",
    "account_for_access_key",
    "check_version",
    "deliver_to_default_bus",
    "ec2_backend",
    "ec2_resource_type",
    "ec2_response_transformers",
    "installed_version",
    "intercept_botocore",
    "is_supported",
    "match_operation",
    "moto_wsgi_app",
    "normalize_request",
    "parse_request",
    "random_private_ip",
    "release_botocore",
    "request_protocol",
    "serialize_response",
    "service_model",
    "unsupported_message",
    "warm_up_backends",
    "wrap_botocore_answers",
]

# ---------------------------------------------------------------------------------------- versions

SUPPORTED = ">=5.2.5,<5.3"
CHECKED = ("5.2.5", "5.2.6")
_LOWEST = (5, 2, 5)  # SUPPORTED's bounds, as release tuples
_BELOW = (5, 3)
_RELEASE = re.compile(r"^\s*v?(\d+(?:\.\d+)*)")


class UnsupportedMotoVersion(CliError):
    """The installed moto is outside ``SUPPORTED``: the local AWS refuses to start (one-line message)."""


@functools.cache
def installed_version() -> str:
    """The installed moto's version, from its distribution metadata."""
    return metadata.version("moto")


def _release(version: str) -> tuple[int, ...] | None:
    """The release numbers of a version (``5.2.6.dev1`` -> (5, 2, 6)), or None if it has none."""
    match = _RELEASE.match(version)
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def is_supported(version: str) -> bool:
    release = _release(version)
    return release is not None and _LOWEST <= release < _BELOW


def unsupported_message(version: str) -> str:
    return (
        f"linkpilot local AWS: moto {version} is not supported (checked: {SUPPORTED}); "
        "install from the lock: make venv"
    )


# moto's documented settings (environment variables, public API) the local AWS starts with, unless the
# environment already sets them. ``MOTO_EC2_LOAD_DEFAULT_AMIS``: moto otherwise builds its catalogue of
# about 1,300 public AMIs for every account and Region whose EC2 backend it creates (0.13 s each, most of
# a local-AWS test's set-up: six backends per consumer-and-provider test); nothing Linkpilot emulates
# describes or launches a public AMI (the provider's sample instance takes its image id from an SSM
# parameter, which moto does not check against the catalogue).
MOTO_SETTINGS: dict[str, str] = {"MOTO_EC2_LOAD_DEFAULT_AMIS": "false"}


def apply_settings() -> None:
    """Set ``MOTO_SETTINGS`` in the process environment, keeping any value already there; moto reads
    them when it creates a backend, so call this before the first call (``LocalAws.start()`` and
    ``LocalAwsServer.start()`` do)."""
    for name, value in MOTO_SETTINGS.items():
        os.environ.setdefault(name, value)


def check_version(version: str | None = None) -> str:
    """The installed moto's version (or ``version``) if it is in ``SUPPORTED``; else raise
    ``UnsupportedMotoVersion`` with a one-line message naming the version found and the range."""
    found = installed_version() if version is None else version
    if not is_supported(found):
        raise UnsupportedMotoVersion(unsupported_message(found))
    return found


if _IMPORT_ERROR is not None:  # pragma: no cover - only on a moto that moved an internal
    if not is_supported(installed_version()):
        raise UnsupportedMotoVersion(unsupported_message(installed_version())) from _IMPORT_ERROR
    raise _IMPORT_ERROR


def _takes_request() -> bool:
    """Whether ``determine_request_protocol`` takes the request (5.2.6) or its content type (5.2.5)."""
    second = list(inspect.signature(determine_request_protocol).parameters)[1]
    if second not in {"request", "content_type"}:  # pragma: no cover - a moto outside CHECKED
        raise UnsupportedMotoVersion(unsupported_message(installed_version()))
    return second == "request"


_PROTOCOL_TAKES_REQUEST = _takes_request()
# Called through a loosely typed name: its second parameter's type is the one thing that differs.
_determine_protocol: Callable[..., str] = determine_request_protocol

# ----------------------------------------------------------------------------- requests and answers

Response = tuple[int, dict[str, str], str | bytes]


def normalize_request(request: Any) -> Request:
    """moto's ``Request`` for whatever reached the botocore stubber (botocore's prepared request)."""
    return _normalize_request(request)


@functools.cache
def service_model(service: str) -> ServiceModel:
    """The botocore service model (boto3 client name), as moto's parsers and serializers take it."""
    return get_service_model(service)


def match_operation(service: str, request: Request) -> tuple[str, dict[str, Any]]:
    """The operation ``request`` calls and its URI parameters; raises when no operation matches (usually
    werkzeug's ``NotFound``)."""
    op_model, uri_params = get_service_router(service).match(request)
    return str(op_model.name), dict(uri_params)


def request_protocol(model: ServiceModel, request: Request) -> str:
    """The wire protocol of ``request`` (``rest-json``, ``ec2``, ``json``, ``query``, ...)."""
    if _PROTOCOL_TAKES_REQUEST:
        return _determine_protocol(model, request)
    return _determine_protocol(model, request.content_type)


def parse_request(
    operation: OperationModel, protocol: str, request: Request, uri_params: Mapping[str, Any]
) -> dict[str, Any]:
    """The operation's parameters, parsed from ``request`` by moto's parser for ``protocol``."""
    parser = PROTOCOL_PARSERS[protocol](operation)
    return dict(
        parser.parse(
            {
                "method": request.method,
                "values": request.values,
                "headers": request.headers,
                "body": request.data,
                "url_path": request.path,
                "url_params": dict(uri_params),
            }
        )
    )


def serialize_response(
    operation: OperationModel,
    protocol: str,
    result: Any,
    *,
    request_id: str,
    transformers: Mapping[str, Callable[[Any], Any]] | None = None,
) -> Response:
    """(status, headers, body) of ``result`` (a dict, or a ``ServiceException``) as the service answers
    it in ``protocol``, by moto's serializer."""
    serializer_cls = get_serializer_class(str(operation.service_model.service_name), protocol)
    serializer = serializer_cls(
        operation_model=operation,
        context=SerializationContext(request_id=request_id),
        value_picker=XFormedAttributePicker(
            response_transformers=None if transformers is None else dict(transformers)
        ),
    )
    out = serializer.serialize(result)
    headers = {str(k): str(v) for k, v in out["headers"].items()}
    return int(out["status_code"]), headers, out["body"]


def account_for_access_key(access_key: str) -> str:
    """The account ``access_key`` acts as in moto (AssumeRole credentials: the role's account)."""
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


# ------------------------------------------------------------------------------------ interception

Answer = Callable[[Request], Any]


def intercept_botocore(answer: Answer) -> None:
    """Every botocore request (moto's mock active) goes to ``answer`` first; when it returns None, moto
    answers. ``release_botocore`` undoes it."""
    from moto.core.models import botocore_stubber

    moto_process = type(botocore_stubber).process_request

    def process_request(request: Any) -> Any:
        result = answer(_normalize_request(request))
        if result is not None:
            return result
        return moto_process(botocore_stubber, request)

    botocore_stubber.process_request = process_request  # type: ignore[method-assign]


def wrap_botocore_answers(wrap: Callable[[Any], Any]) -> None:
    """After ``intercept_botocore``: every answer botocore gets (the emulation's or moto's, a (status,
    headers, body) tuple) passes through ``wrap`` first. ``release_botocore`` removes both."""
    from moto.core.models import botocore_stubber

    inner = botocore_stubber.process_request

    def process_request(request: Any) -> Any:
        result = inner(request)
        return None if result is None else wrap(result)

    botocore_stubber.process_request = process_request  # type: ignore[method-assign]


def release_botocore() -> None:
    """Undo ``intercept_botocore`` (and ``wrap_botocore_answers``): moto's own ``process_request`` again."""
    from moto.core.models import botocore_stubber

    botocore_stubber.__dict__.pop("process_request", None)


# ----------------------------------------------------------------------------------------------- SQS


def sqs_on_clock(clock_time: Callable[[], float] | None) -> None:
    """Make moto's SQS read the time from ``clock_time`` (epoch seconds; None: moto's own again): its
    message timers (``DelaySeconds``), visibility timeouts and timestamps read ``moto.sqs.models.unix_time``
    and ``unix_time_millis``, so a delayed message becomes visible when the emulation's clock says so."""
    import moto.sqs.models as sqs_models
    from moto.core import utils

    if clock_time is None:
        sqs_models.unix_time = utils.unix_time  # type: ignore[attr-defined]
        sqs_models.unix_time_millis = utils.unix_time_millis  # type: ignore[attr-defined]
        return

    def seconds(dt: Any = None) -> float:
        return utils.unix_time(dt) if dt is not None else clock_time()

    def millis(dt: Any = None) -> float:
        return seconds(dt) * 1000.0

    sqs_models.unix_time = seconds  # type: ignore[attr-defined]
    sqs_models.unix_time_millis = millis  # type: ignore[attr-defined]


def sqs_message_times(account: str, region: str, queue_name: str) -> list[float]:
    """When each message of a queue becomes receivable (epoch seconds on the clock moto's SQS reads: its
    timer and its visibility), for a local poller that waits for the next one instead of polling."""
    from moto.sqs.models import sqs_backends

    queue = sqs_backends[account][region].queues.get(queue_name)
    if queue is None:
        return []
    return [max(m.delayed_until, m.visible_at) / 1000.0 for m in list(queue._messages)]


# ----------------------------------------------------------------------------------------------- EC2


def ec2_backend(account: str, region: str) -> Any:
    """moto's EC2 backend of ``account`` in ``region``."""
    from moto.ec2.models import ec2_backends

    return ec2_backends[account][region]


class VpcEndpointModel(VPCEndPoint):
    """moto's VPC endpoint model, constructed by keyword with what a Resource or ServiceNetwork endpoint
    has: no service name, no policy, no route tables and no DNS entries."""

    def __init__(
        self,
        ec2_backend: Any,
        *,
        endpoint_id: str,
        vpc_id: str,
        endpoint_type: str,
        subnet_ids: list[str],
        network_interface_ids: list[str],
        client_token: str | None,
        security_group_ids: list[str],
        tags: dict[str, str],
        private_dns_enabled: bool,
    ) -> None:
        super().__init__(
            ec2_backend=ec2_backend,
            endpoint_id=endpoint_id,
            vpc_id=vpc_id,
            service_name=cast(str, None),
            endpoint_type=endpoint_type,
            policy_document=None,
            route_table_ids=[],
            subnet_ids=subnet_ids,
            network_interface_ids=network_interface_ids,
            dns_entries=[],
            client_token=client_token,
            security_group_ids=security_group_ids,
            tags=tags,
            private_dns_enabled=private_dns_enabled,
        )


def ec2_resource_type(resource_id: str) -> str:
    """The resource type moto records for an id in a tag row (``vpce-...`` -> ``vpc-endpoint``)."""
    return str(EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), ""))


def random_private_ip(cidr: str) -> str:
    """A random address in ``cidr``, as moto picks an ENI's."""
    return str(_random_private_ip(cidr))


def ec2_response_transformers() -> dict[str, Callable[[Any], Any]]:
    """moto's EC2 response fix-ups (response key path -> transform), copied: moto changes them at runtime."""
    from moto.ec2.responses import EC2Response

    return dict(getattr(EC2Response, "RESPONSE_KEY_PATH_TO_TRANSFORMER", {}) or {})


# -------------------------------------------------------------------------------------- EventBridge


def deliver_to_default_bus(account: str, region: str, event: Mapping[str, Any]) -> None:
    """Hand ``event`` (AWS's envelope, numeric ``time``) to every enabled rule of ``account``'s default bus
    in moto: each rule matches its pattern and sends it to its targets."""
    from moto.events.models import events_backends

    bus = events_backends[account][region].describe_event_bus("default")
    for rule in list(bus.rules.values()):
        if rule.state != "ENABLED":
            continue
        transform = any("InputTransformer" in t for t in rule.targets)
        rule.send_to_targets(cast(Any, copy.deepcopy(dict(event))), transform_input=transform)


# ------------------------------------------------------------------------------------------- server

WARM_UP_MODULES = ("moto.ec2.models", "moto.sts.models", "moto.events.models", "moto.sqs.models")


def moto_wsgi_app() -> Callable[..., Any]:
    """moto's server as a WSGI app (every service, dispatched by host)."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return cast(Callable[..., Any], DomainDispatcherApplication(create_backend_app))


def warm_up_backends() -> list[str]:
    """Import the backends the Linkpilot flow uses; the modules that could not be imported."""
    failed = []
    for module in WARM_UP_MODULES:
        try:
            importlib.import_module(module)
        except ImportError:  # pragma: no cover - every module is part of moto[server]
            failed.append(module)
    return failed
