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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from linkpilot.consumer.models import Endpoint
from linkpilot.consumer.ports import AssociationsPort, Ec2Port
from linkpilot.errors import AwsError, Refused
from linkpilot.lease import Lease, LeasePort, LeaseTiming, acquire, new_owner

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
    ec2: Ec2Port, *, dry_run: bool, associations: AssociationsPort | None = None
) -> CleanupReport:
    """List the managed endpoints (and associations, given VPC Lattice access) and, unless ``dry_run``,
    delete them; refusals are reported per id."""
    found = ec2.managed_endpoints()
    if associations is not None:
        found = [*found, *associations.managed_associations(ec2.vpc_ids())]
    endpoints = tuple(e for e in found if e.managed and e.state not in {"deleting", "deleted"})
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
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    associations: AssociationsPort | None = None,
) -> CleanupReport:
    """The cleanup with the reconcile lease held (when configured). ``hold``: keep it afterwards, for an hour
    (stack delete); else give it back."""
    if lease_port is None or dry_run:
        return remove_managed_endpoints(ec2, dry_run=dry_run, associations=associations)
    timing = LeaseTiming(ttl_s=STACK_DELETE_HOLD_S if hold else 330.0, wait_s=120.0)
    lease, _ = acquire(
        lease_port, name=LEASE_NAME, owner=new_owner("cleanup"), timing=timing, clock=clock, sleep=sleep
    )
    if not isinstance(lease, Lease):  # pragma: no cover - acquire returns Covered only when asked to
        raise TypeError("cleanup never coalesces")
    try:
        return remove_managed_endpoints(ec2, dry_run=False, associations=associations)
    finally:
        if not hold:
            lease_port.release(lease, clock())


# --- the custom resource ---------------------------------------------------------------------------
_CUSTOM_RESOURCE_KEYS = frozenset({"RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId"})


def is_custom_resource_event(event: object) -> bool:
    """A CloudFormation custom resource request (the documented request fields are all present)."""
    return isinstance(event, dict) and event.keys() >= _CUSTOM_RESOURCE_KEYS


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
