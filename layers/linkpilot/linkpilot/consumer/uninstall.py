"""Uninstall: remove the endpoints Linkpilot manages, for ``linkpilot cleanup`` and for the consumer stack's
custom resource (``ManagedEndpointsCleanup``), whose Delete runs this when the stack parameter
``DeleteEndpointsOnStackDelete`` is "true".

Only endpoints carrying the managed tag are listed or deleted (the EC2 adapter reads nothing else); with VPC
Lattice access (the stack takes service networks), the managed service-network VPC associations too. Under the
stack's lease when configured, so no reconcile acts meanwhile; on stack delete the lease is kept (taken for
an hour, never given back), so a reconcile triggered while the stack's rules are being deleted cannot create
an endpoint again (its state table goes with the stack).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from linkpilot.consumer.models import Endpoint
from linkpilot.consumer.ports import AssociationsPort, Ec2Port
from linkpilot.errors import AwsError, Refused
from linkpilot.lease import GiveBack, LeasePort, LeaseTiming, SharedClock, lease_held, new_owner
from linkpilot.outcome import Done

LEASE_NAME = "reconcile"  # the reconcile's own lease: no reconcile runs while the cleanup holds it
STACK_DELETE_HOLD_S = 3600.0


@dataclass(frozen=True)
class CleanupReport:
    endpoints: tuple[Endpoint, ...]
    dry_run: bool
    deleted: tuple[str, ...] = ()
    refused: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.refused

    @property
    def outcome(self) -> Done:
        """Done; failed when EC2 (or VPC Lattice) refused to delete one of them."""
        return Done(failed=not self.ok)

    def to_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "ok": self.ok,
            "managed_endpoints": [
                {
                    "endpoint_id": e.endpoint_id,
                    "kind": e.kind,
                    "vpc_id": e.vpc_id,
                    "state": e.state,
                    "resource_configuration_arn": e.managed_configuration_arn,
                }
                for e in self.endpoints
            ],
            "deleted": list(self.deleted),
            "refused": dict(self.refused),
        }


def remove_managed_endpoints(
    ec2: Ec2Port,
    *,
    dry_run: bool,
    associations: AssociationsPort | None = None,
    only: Collection[str] | None = None,
) -> CleanupReport:
    """List the managed endpoints (and associations, given VPC Lattice access) and, unless ``dry_run``,
    delete them; refusals are reported per id. ``only``: the ids a person confirmed (``linkpilot cleanup``
    lists, asks, then deletes): one that appeared since the listing is neither listed nor deleted."""
    found = ec2.managed_endpoints()
    if associations is not None:
        found = [*found, *associations.managed_associations(ec2.vpc_ids())]
    endpoints = tuple(
        e
        for e in found
        if e.managed and e.state not in {"deleting", "deleted"} and (only is None or e.endpoint_id in only)
    )
    if dry_run or not endpoints:
        return CleanupReport(endpoints, dry_run)
    outcome: dict[str, Refused | None] = {}
    for port, kind in ((ec2, False), (associations, True)):
        ids = [e.endpoint_id for e in endpoints if e.is_association == kind]
        if port is not None and ids:
            outcome.update(port.delete(ids))
    refused = {eid: str(why) for eid, why in outcome.items() if why is not None}
    deleted = tuple(eid for eid in outcome if eid not in refused)
    return CleanupReport(endpoints, dry_run, deleted, refused)


def cleanup_under_lease(
    ec2: Ec2Port,
    lease_port: LeasePort | None,
    *,
    dry_run: bool,
    hold: bool,
    shared: SharedClock,
    sleep: Callable[[float], None],
    associations: AssociationsPort | None = None,
    only: Collection[str] | None = None,
) -> CleanupReport:
    """The cleanup with the reconcile lease held (when configured). ``hold``: keep it afterwards, for an hour
    (stack delete); else give it back. ``shared``: the clock the lease runs on (the controller's
    ``shared_time``: AWS's, never the clock of whoever runs the cleanup)."""
    timing = LeaseTiming(ttl_s=STACK_DELETE_HOLD_S if hold else 330.0, wait_s=120.0)
    with lease_held(
        None if dry_run else lease_port,
        name=LEASE_NAME,
        owner=new_owner("cleanup"),
        timing=timing,
        clock=shared,
        sleep=sleep,
        give_back=GiveBack.NO if hold else GiveBack.YES,
    ):
        return remove_managed_endpoints(ec2, dry_run=dry_run, associations=associations, only=only)


# --- the custom resource ---------------------------------------------------------------------------
# The stack's one custom resource, as template.yaml declares it (a unit test holds the two to each other).
CLEANUP_LOGICAL_ID = "ManagedEndpointsCleanup"
CLEANUP_RESOURCE_TYPE = "Custom::LinkpilotManagedEndpoints"
_REQUEST_TYPES = frozenset({"Create", "Update", "Delete"})
# The documented request fields (CloudFormation user guide, "Custom resource request types").
_CUSTOM_RESOURCE_KEYS = (
    "RequestType",
    "ResponseURL",
    "StackId",
    "RequestId",
    "LogicalResourceId",
    "ResourceType",
)
# A stack id: arn:<partition>:cloudformation:<region>:<account>:stack/<stack name>/<id>
STACK_ID_PATTERN = (
    r"arn:(aws(?:-[a-z]+)*):cloudformation:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}"
    r":stack/[A-Za-z][-A-Za-z0-9]*/[-A-Za-z0-9]+"
)
_STACK_ID = re.compile(STACK_ID_PATTERN)
_RESPONSE_BUCKET = "cloudformation-custom-resource-response-"
_SHOWN_CHARS = 120


def is_custom_resource_event(event: object) -> bool:
    """Anything that presents itself as a CloudFormation custom resource request (it names a request type or
    a response URL): it is answered only if :func:`custom_resource_refusal` finds nothing wrong with it, and
    never taken for another trigger."""
    return isinstance(event, dict) and ("RequestType" in event or "ResponseURL" in event)


def response_hosts(stack_region: str, partition: str) -> frozenset[str]:
    """The hosts of CloudFormation's presigned response URLs for a stack in ``stack_region``.

    The bucket is ``cloudformation-custom-resource-response-<region without dashes>`` (CloudFormation user
    guide, "Access CloudFormation using an interface endpoint"); the URL is virtual-hosted S3, seen in AWS's
    examples as ``<bucket>.s3-<region>.amazonaws.com`` and ``<bucket>.s3.<region>.amazonaws.com.cn``
    (Lambda developer guide, "Using Lambda with CloudFormation") and as the legacy global
    ``<bucket>.s3.amazonaws.com`` (S3 user guide, virtual hosting). docs/aws-behaviour.md says what stays
    unverified.
    """
    bucket = _RESPONSE_BUCKET + stack_region.replace("-", "")
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    hosts = {f"{bucket}.s3.{stack_region}.{suffix}", f"{bucket}.s3-{stack_region}.{suffix}"}
    if partition == "aws":
        hosts.add(f"{bucket}.s3.amazonaws.com")
    return frozenset(hosts)


def response_url_refusal(url: str, *, stack_region: str, partition: str) -> str | None:
    """Why ``url`` is not CloudFormation's presigned response URL for the stack's Region (None: it is)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "ResponseURL is not a URL"
    if parts.scheme != "https":
        return "ResponseURL is not https"
    if parts.username is not None or parts.password is not None or port not in {None, 443}:
        return "ResponseURL carries user information or a port"
    if (parts.hostname or "") not in response_hosts(stack_region, partition):
        return f"ResponseURL's host is not CloudFormation's response bucket for {stack_region}"
    return None


def custom_resource_refusal(event: Mapping[str, Any], stack_id: str | None) -> str | None:
    """Why ``event`` is not a request of this stack's own ``ManagedEndpointsCleanup`` resource (None: it is).

    Anyone who may invoke the function can send any payload, so a request is answered only when its
    ``StackId`` is the function's own stack (``LINKPILOT_STACK_ID``), its ``LogicalResourceId`` and
    ``ResourceType`` are the cleanup resource's, and its ``ResponseURL`` is CloudFormation's presigned S3
    URL for the stack's Region. A refused request is neither acted on nor answered.
    """
    if not stack_id:
        return "the function does not know its stack (LINKPILOT_STACK_ID unset): no request is answered"
    missing = [k for k in _CUSTOM_RESOURCE_KEYS if not isinstance(event.get(k), str) or not event.get(k)]
    if missing:
        return f"fields missing or not text: {', '.join(missing)}"
    found = _STACK_ID.fullmatch(stack_id)
    wrong = (
        (event["StackId"] != stack_id, "StackId is not this stack's"),
        (event["LogicalResourceId"] != CLEANUP_LOGICAL_ID, f"LogicalResourceId is not {CLEANUP_LOGICAL_ID}"),
        (event["ResourceType"] != CLEANUP_RESOURCE_TYPE, f"ResourceType is not {CLEANUP_RESOURCE_TYPE}"),
        (event["RequestType"] not in _REQUEST_TYPES, "RequestType is not Create, Update or Delete"),
        (found is None, "the function's stack id is not a stack ARN"),
    )
    reasons = [reason for is_wrong, reason in wrong if is_wrong]
    if reasons or found is None:
        return "; ".join(reasons)
    return response_url_refusal(event["ResponseURL"], stack_region=found.group(2), partition=found.group(1))


def shown(value: object, limit: int = _SHOWN_CHARS) -> str:
    """A value from an untrusted payload as a log may show it: text only, at most ``limit`` characters,
    control and non-ASCII characters escaped."""
    text = value if isinstance(value, str) else f"<{type(value).__name__}>"
    clipped = text[:limit].encode("unicode_escape").decode("ascii")
    return clipped + (f"...({len(text)} characters)" if len(text) > limit else "")


def describe_request(event: Mapping[str, Any]) -> dict[str, str]:
    """What a log says of a refused request: its identifying fields bounded and escaped, and of its response
    URL only the scheme and host (a genuine URL is a presigned credential for the response)."""
    described = {
        k: shown(event.get(k)) for k in ("RequestType", "StackId", "LogicalResourceId", "ResourceType")
    }
    url = event.get("ResponseURL")
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        where = f"{parts.scheme}://{parts.netloc}" if parts is not None else url
    except ValueError:
        where = "<not a URL>"
    described["ResponseURL"] = shown(where)
    return described


def custom_resource_reply(
    event: Mapping[str, Any], run: Callable[[], CleanupReport]
) -> tuple[dict[str, Any], CleanupReport | None]:
    """The response body for CloudFormation: Create and Update do nothing; Delete removes the managed
    endpoints when the resource's ``DeleteManagedEndpoints`` property is "true". A refusal or an AWS error
    fails the Delete (the stack shows it; retry, or delete again retaining this resource to keep them)."""
    props = event.get("ResourceProperties") or {}
    wanted = str(props.get("DeleteManagedEndpoints", "false")).lower() == "true"
    status, reason, report = "SUCCESS", "nothing to do", None
    if event["RequestType"] == "Delete" and wanted:
        try:
            report = run()
        except AwsError as exc:
            status, reason = "FAILED", f"removing the managed endpoints failed: {exc}"
        else:
            if report.ok:
                reason = f"deleted {len(report.deleted)} managed endpoint(s)"
            else:
                status, reason = "FAILED", f"EC2 refused to delete: {json.dumps(dict(report.refused))}"
    elif event["RequestType"] == "Delete":
        reason = "DeleteManagedEndpoints is false: managed endpoints are kept"
    body = {
        "Status": status,
        "Reason": reason[:1000],
        "PhysicalResourceId": event.get("PhysicalResourceId") or f"{event['LogicalResourceId']}-linkpilot",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
    }
    return body, report
