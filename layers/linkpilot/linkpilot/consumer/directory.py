"""Endpoints that applications can find: the pure plan that keeps one SSM parameter per managed endpoint
association under ``/linkpilot/endpoints/`` and says which state-change events to send.

Input is a list of association records (one per row of ``DescribeVpcEndpointAssociations`` of a managed
endpoint: its DNS names and accessibility) and the parameters published now (name -> value). Output: the
parameters to write (new or changed value only), to delete (the association or its endpoint is gone), and
one event per association whose state changed. The previous state is the one recorded in the published
parameter, so the plan needs no memory of its own: a run that failed half-way is completed by the next.

:func:`refresh_directory` is the reconcile's step that applies the plan through the controller's ports.

States (``AddressState``): ``available`` (endpoint Available and the association accessible), ``degraded``
(the endpoint exists but is not Available, or the association is not accessible), ``gone`` (the parameter is
deleted). Pending endpoints are not published: an application should not find a name that does not answer yet.

Names, ARNs and DNS names come from the provider's configuration as AWS reports them: each is bounded
(``linkpilot.foreign.DIRECTORY_FIELDS``) so a value stays within an SSM Standard parameter's 4 KB, and the
event that carries it far within an EventBridge entry's 256 KB.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from linkpilot.consumer.models import Endpoint, is_service_network_arn
from linkpilot.consumer.report import DirectoryRefresh, DirectoryStatus
from linkpilot.errors import AwsError
from linkpilot.foreign import DIRECTORY_FIELDS, DIRECTORY_OTHER, bound_fields, json_size

if TYPE_CHECKING:
    from linkpilot.consumer.ports import Controller

PREFIX = "/linkpilot/endpoints"
EVENT_SOURCE = "linkpilot"
EVENT_DETAIL_TYPE = "Linkpilot Endpoint State Change"
GONE_STATES = frozenset({"deleting", "deleted"})
# The controller memory's key for the digest of the last published records (shared with the probe digests).
DIRECTORY_MEMORY_KEY = "endpoint-directory"
# SSM parameter names: letters, digits and . - _ between slashes (SSM API reference, PutParameter Name).
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
# The keys of a published value (AssociationRecord.value); service_network_arn came later, so a parameter
# written before it lacks that one key and is still the controller's.
_VALUE_KEYS = frozenset(
    {
        "endpoint_id",
        "resource_configuration_arn",
        "service_network_arn",
        "association_id",
        "associated_resource_arn",
        "group_arn",
        "dns_name",
        "private_dns_name",
        "accessibility",
        "state",
    }
)
_REQUIRED_VALUE_KEYS = _VALUE_KEYS - {"service_network_arn"}


class AddressState(StrEnum):
    """The state a published endpoint association (an address applications find) is in."""

    AVAILABLE = "available"  # the endpoint is Available and the association accessible
    DEGRADED = "degraded"  # the endpoint exists but is not Available, or the association is not accessible
    GONE = "gone"  # the parameter is deleted (the association or its endpoint is gone)


@dataclass(frozen=True)
class AssociationRecord:
    """What the directory publishes of one association of a managed endpoint.

    Field names follow ``DescribeVpcEndpointAssociations`` (``Id``, ``AssociatedResourceArn``,
    ``ResourceConfigurationGroupArn``, ``DnsEntry.DnsName``, ``PrivateDnsEntry.DnsName``,
    ``AssociatedResourceAccessibility``), plus the endpoint's own id, state and configuration.
    For a ServiceNetwork endpoint ``configuration_arn`` is the configuration the row reaches (its group for a
    GROUP's child) and ``service_network_arn`` the network the endpoint was created for, so an application
    picks the parameter by configuration whichever kind of endpoint serves it.
    """

    endpoint_id: str
    endpoint_state: str  # lower-cased VPC endpoint State
    configuration_arn: str  # what the endpoint was created for (the managed configuration)
    association_id: str = ""  # "" when the association row is not known (then the configuration names it)
    associated_resource_arn: str = ""  # the configuration, or a GROUP's child
    group_arn: str = ""
    dns_name: str = ""
    private_dns_name: str = ""
    accessibility: str = ""  # lower-cased: "accessible" | "inaccessible" | "" (unknown)
    service_network_arn: str = ""  # a ServiceNetwork endpoint's network ("" for a Resource endpoint)

    @property
    def state(self) -> AddressState:
        if self.endpoint_state != "available":
            return AddressState.DEGRADED
        accessible = self.accessibility in {"accessible", ""}
        return AddressState.AVAILABLE if accessible else AddressState.DEGRADED

    @property
    def key(self) -> str:
        tail = self.association_id or self.associated_resource_arn.rsplit("/", 1)[-1] or "endpoint"
        return f"{_UNSAFE.sub('-', self.endpoint_id)}/{_UNSAFE.sub('-', tail)}"

    @property
    def parameter(self) -> str:
        return f"{PREFIX}/{self.key}"

    def value(self) -> str:
        """The parameter's value: compact JSON, keys sorted, so an unchanged record gives the same text;
        each field bounded (as JSON text), so the value fits an SSM Standard parameter (4 KB)."""
        body = {
            "endpoint_id": self.endpoint_id,
            "resource_configuration_arn": self.configuration_arn,
            "service_network_arn": self.service_network_arn,
            "association_id": self.association_id,
            "associated_resource_arn": self.associated_resource_arn
            or self.configuration_arn
            or self.service_network_arn,
            "group_arn": self.group_arn,
            "dns_name": self.dns_name,
            "private_dns_name": self.private_dns_name,
            "accessibility": self.accessibility or "unknown",
            "state": self.state.value,
        }
        body = bound_fields(body, DIRECTORY_FIELDS, DIRECTORY_OTHER, size=json_size)
        return json.dumps(body, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class EndpointEvent:
    """One ``Linkpilot Endpoint State Change`` event (EventBridge ``PutEvents`` entry on the default bus)."""

    parameter: str
    state: AddressState
    previous: str  # the state published before ("" when the association is new)
    detail: Mapping[str, Any]

    def entry(self) -> dict[str, str]:
        return {
            "Source": EVENT_SOURCE,
            "DetailType": EVENT_DETAIL_TYPE,
            "Detail": json.dumps(
                {
                    **self.detail,
                    "state": self.state.value,
                    "previous_state": self.previous,
                    "parameter": self.parameter,
                },
                sort_keys=True,
            ),
        }


@dataclass(frozen=True)
class DirectoryPlan:
    puts: Mapping[str, str]
    deletes: tuple[str, ...]
    events: tuple[EndpointEvent, ...]
    # parameters under the prefix that the controller did not write: never deleted, never announced
    left_alone: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.puts and not self.deletes and not self.events


def _published_body(value: str) -> dict[str, Any]:
    try:
        loaded = json.loads(value)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def written_by_directory(name: str, value: str) -> bool:
    """Whether a published parameter is one the directory wrote, and so one it may delete: named
    ``<prefix>/<endpoint>/<association>`` (two safe segments, as :attr:`AssociationRecord.parameter` builds
    them), with a value of a record's keys whose ids give that very name. Anything else under the prefix (a
    person's parameter, a stack's, a value edited by hand) is left alone."""
    segments = name[len(PREFIX) + 1 :].split("/") if name.startswith(PREFIX + "/") else []
    body = _published_body(value)
    shaped = (
        len(segments) == 2  # <endpoint>/<association>
        and all(segments)
        and not any(_UNSAFE.search(part) for part in segments)
        and _REQUIRED_VALUE_KEYS <= body.keys() <= _VALUE_KEYS
        and all(isinstance(v, str) for v in body.values())
    )
    if not shaped or _UNSAFE.sub("-", body["endpoint_id"]) != segments[0]:
        return False
    tail = segments[1]
    if body["association_id"]:
        return bool(_UNSAFE.sub("-", body["association_id"]) == tail)
    # no association row: the record was named after the resource it serves, or "endpoint"
    return tail in {"endpoint", _UNSAFE.sub("-", body["associated_resource_arn"].rsplit("/", 1)[-1])}


def directory_digest(records: Iterable[AssociationRecord]) -> str:
    """A content hash of what the directory should hold: equal digests, equal parameters."""
    lines = sorted(
        f"{r.parameter}={r.value() if r.endpoint_state != 'pending' else 'pending'}" for r in records
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def plan_directory(records: Iterable[AssociationRecord], published: Mapping[str, str]) -> DirectoryPlan:
    """Parameters to write and delete, and the events to send, so the directory equals ``records``.

    Records of pending endpoints are skipped (not yet published, nothing to announce); a published
    parameter for one is kept as is. Parameters under the prefix that no record names are deleted if the
    directory wrote them (:func:`written_by_directory`); anything else there, or outside the prefix, is
    never deleted or announced, whatever its name.
    """
    puts: dict[str, str] = {}
    events: list[EndpointEvent] = []
    keep: set[str] = set()
    for record in sorted(records, key=lambda r: r.parameter):
        name = record.parameter
        if record.endpoint_state == "pending":
            keep.add(name)
            continue
        keep.add(name)
        value = record.value()
        before = published.get(name)
        if before == value:
            continue
        puts[name] = value
        previous = str(_published_body(before).get("state", "")) if before is not None else ""
        if previous != record.state:
            events.append(EndpointEvent(name, record.state, previous, _published_body(value)))
    unexplained = sorted(n for n in published if n.startswith(PREFIX + "/") and n not in keep)
    deletes = tuple(n for n in unexplained if written_by_directory(n, published[n]))
    for name in deletes:
        body = _published_body(published[name])
        events.append(EndpointEvent(name, AddressState.GONE, str(body.get("state", "")), body))
    left_alone = tuple(n for n in unexplained if n not in deletes)
    return DirectoryPlan(puts=puts, deletes=deletes, events=tuple(events), left_alone=left_alone)


def records_from_endpoints(
    endpoints: Iterable[Endpoint], *, without: Iterable[str] = ()
) -> list[AssociationRecord]:
    """The directory's records of the managed endpoints a reconcile observed, minus the ones it deleted
    (``without``). Endpoints on their way out (deleting, deleted) have no record: their parameters go.

    One record per ``DescribeVpcEndpointAssociations`` row the endpoint carries (``associations``: a GROUP
    gives one per child); an endpoint without rows (none read: rows are read for live endpoints only, or
    none listed yet) gives one record for its configuration, with no names and accessibility unknown.
    A ServiceNetwork endpoint's row names the configuration it reaches (the endpoint's own managed ARN is
    the network's); without rows, its one record names the network only.
    """
    skip = set(without)
    records = []
    for endpoint in endpoints:
        if not endpoint.managed or endpoint.endpoint_id in skip or endpoint.state in GONE_STATES:
            continue
        rows = endpoint.associations
        managed_arn = endpoint.managed_configuration_arn
        network = managed_arn if is_service_network_arn(managed_arn) else ""
        if not rows:
            records.append(
                AssociationRecord(
                    endpoint_id=endpoint.endpoint_id,
                    endpoint_state=endpoint.state,
                    configuration_arn="" if network else managed_arn,
                    associated_resource_arn=endpoint.served_arn,
                    dns_name=endpoint.dns_name,
                    service_network_arn=network,
                )
            )
            continue
        for row in rows:
            records.append(
                AssociationRecord(
                    endpoint_id=endpoint.endpoint_id,
                    endpoint_state=endpoint.state,
                    configuration_arn=str(row.group_arn or row.associated_resource_arn)
                    if network
                    else managed_arn,
                    association_id=str(row.association_id),
                    associated_resource_arn=str(row.associated_resource_arn),
                    group_arn=str(row.group_arn),
                    dns_name=str(row.dns_name),
                    private_dns_name=str(row.private_dns_name),
                    accessibility=str(row.accessibility).lower(),
                    service_network_arn=network,
                )
            )
    return records


def refresh_directory(
    controller: Controller, endpoints: Iterable[Endpoint], deleted: Iterable[str]
) -> tuple[DirectoryRefresh, tuple[str, ...]]:
    """Publish the managed endpoints' names (SSM) and their state changes (events), less the endpoints this
    run ``deleted``. Events go first: if a parameter write fails after them, the next run sends them again
    (at least once, never lost). Returns what was done and the side errors (retryable) for the report."""
    directory, events = controller.ports.directory, controller.ports.events
    if directory is None:
        return DirectoryRefresh(DirectoryStatus.NOT_CONFIGURED), ()
    records = records_from_endpoints(endpoints, without=deleted)
    digest = directory_digest(records)
    # A warm container that published these very records (within the memory's TTL) need not read SSM.
    if controller.ports.memory.probe_digest(DIRECTORY_MEMORY_KEY) == digest:
        return DirectoryRefresh(DirectoryStatus.UNCHANGED), ()
    try:
        plan = plan_directory(records, directory.published())
        if events is not None and plan.events:
            events.put([e.entry() for e in plan.events])
        for name, value in plan.puts.items():
            directory.put(name, value)
        for name in plan.deletes:
            directory.delete(name)
    except AwsError as exc:
        controller.ports.memory.remember_probe(DIRECTORY_MEMORY_KEY, None)
        return DirectoryRefresh(DirectoryStatus.FAILED, detail=str(exc)), (f"endpoint directory: {exc}",)
    controller.ports.memory.remember_probe(DIRECTORY_MEMORY_KEY, digest)
    if plan.empty:
        return DirectoryRefresh(DirectoryStatus.UNCHANGED), ()
    sent = len(plan.events) if events is not None else 0
    return DirectoryRefresh(DirectoryStatus.UPDATED, len(plan.puts), len(plan.deletes), sent), ()
