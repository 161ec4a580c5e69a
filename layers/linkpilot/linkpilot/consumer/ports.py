"""What the reconcile needs from AWS (the ports; ``linkpilot.aws`` implements them) and its collaborators.

Adapters raise ``linkpilot.errors.Refused`` for what AWS refused for one invitation or endpoint and
``Transient`` for anything a retry of the run may fix; nothing botocore crosses a port.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.models import Endpoint, Invitation, InvitationOutcome, ShareResource
from linkpilot.consumer.policy import EndpointPlacement
from linkpilot.consumer.probe_inputs import DEFAULT_MAX_INPUT_CHARS
from linkpilot.errors import Refused
from linkpilot.follow_up import FollowUp
from linkpilot.lease import LeasePort, LeaseTiming, OwnClock, SharedClock


class RamPort(Protocol):
    def invitations(self) -> list[Invitation]: ...
    def shared_resources(self, resource_types: Sequence[str]) -> list[ShareResource]: ...
    def pending_resources(self, invitation: Invitation) -> list[ShareResource] | None: ...
    def accept(self, invitation_arn: str, client_token: str) -> InvitationOutcome: ...
    def reject(self, invitation_arn: str, client_token: str) -> InvitationOutcome: ...


class Ec2Port(Protocol):
    def managed_endpoints(self) -> list[Endpoint]: ...
    # one read: (managed endpoints in any VPC, with association rows; unmanaged ones in ``vpc_id``)
    def observed_endpoints(self, vpc_id: str) -> tuple[list[Endpoint], list[Endpoint]]: ...
    def create(
        self, placement: EndpointPlacement, configuration_arn: str, share_arn: str, client_token: str
    ) -> str: ...
    def delete(self, endpoint_ids: Sequence[str]) -> Mapping[str, Refused | None]: ...
    def vpc_ids(self) -> list[str]: ...


class AssociationsPort(Protocol):
    """Service-network VPC associations (a service network in ``association`` mode), read as ``Endpoint``
    objects of kind "association"."""

    # (managed associations in ``vpc_ids``; unmanaged ones in ``policy_vpc_id``)
    def observed_associations(
        self, vpc_ids: Sequence[str], policy_vpc_id: str
    ) -> tuple[list[Endpoint], list[Endpoint]]: ...
    def managed_associations(self, vpc_ids: Sequence[str]) -> list[Endpoint]: ...
    def create(
        self, placement: EndpointPlacement, network_arn: str, share_arn: str, client_token: str
    ) -> str: ...
    def delete(self, association_ids: Sequence[str]) -> Mapping[str, Refused | None]: ...


class PublishedInputsLike(Protocol):
    @property
    def names(self) -> tuple[str, ...]: ...
    @property
    def digest(self) -> str | None: ...


class SchedulesPort(Protocol):
    @property
    def key(self) -> str: ...
    def published(self) -> PublishedInputsLike: ...
    def publish(self, inputs: Sequence[str], digest: str, existing: Sequence[str]) -> None: ...
    # (endpoint id, DNS name) of every target the schedules ``names`` carry (read only when the set changed)
    def published_targets(self, names: Sequence[str]) -> frozenset[tuple[str, str]]: ...


class ProbeNowPort(Protocol):
    """The probe function, invoked at once (asynchronously) with an input of new targets only."""

    def invoke(self, payload: str) -> None: ...


class FollowUpPort(Protocol):
    """Where a follow-up run is arranged: a message to the controller function, delivered ``delay_s``
    seconds later."""

    def send(self, follow_up: FollowUp, delay_s: int) -> None: ...


class GraceMarksPort(Protocol):
    """Where the "first seen missing" times are kept (the state table; a process's memory without one)."""

    def missing_since(self) -> dict[str, datetime]: ...
    def save_missing(self, marks: Mapping[str, datetime]) -> None: ...


class AuditPort(Protocol):
    def write(self, records: Sequence[Mapping[str, str | int]]) -> None: ...


class NotifyPort(Protocol):
    def publish(self, subject: str, kinds: Sequence[str], message: Mapping[str, Any]) -> None: ...


class DirectoryPort(Protocol):
    """The endpoint directory (SSM parameters under ``/linkpilot/endpoints/``)."""

    def published(self) -> dict[str, str]: ...
    def put(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


class EventsPort(Protocol):
    """The default event bus (``Linkpilot Endpoint State Change`` events)."""

    def put(self, entries: Sequence[Mapping[str, str]]) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Ports:
    """The reconcile's collaborators: its ports (``linkpilot.aws`` implements them; tests pass fakes) and the
    process's memory. ``schedules``, ``audit``, ``notifier``, ``directory`` and ``events`` are optional (CLI
    use); without ``lease`` runs are not serialised, without ``marks`` the grace marks live in ``memory``."""

    ram: RamPort
    ec2: Ec2Port
    schedules: SchedulesPort | None = None
    audit: AuditPort | None = None
    notifier: NotifyPort | None = None
    directory: DirectoryPort | None = None
    events: EventsPort | None = None
    lease: LeasePort | None = None
    marks: GraceMarksPort | None = None
    # service-network VPC associations: read and written only when configured (the stack grants VPC
    # Lattice only when it takes service networks); None: a policy in association mode is refused
    associations: AssociationsPort | None = None
    # follow-up runs (an SQS delay message to the function) and the first probe of new targets (the probe
    # function invoked at once): the function's, not a one-shot CLI run's
    follow_ups: FollowUpPort | None = None
    probe_now: ProbeNowPort | None = None
    memory: ControllerMemory = field(default_factory=ControllerMemory)

    @property
    def grace_marks(self) -> GraceMarksPort:
        return self.marks if self.marks is not None else self.memory


@dataclass(frozen=True)
class ReconcileOptions:
    """The reconcile's options: the controller's settings it runs with (``ControllerSettings.options()``)."""

    max_workers: int = 8
    probe_input_max_chars: int = DEFAULT_MAX_INPUT_CHARS
    audit_retention_days: int = 90
    # the accounts the deployed IAM policy lets the controller inspect and accept shares from (the
    # stack's TrustedAccounts, ``LINKPILOT_TRUSTED_ACCOUNTS``); None: no such ceiling (CLI use)
    trust_ceiling: frozenset[str] | None = None
    lease_timing: LeaseTiming = field(default_factory=LeaseTiming)
    # a grace that ends within this gets a follow-up run at its end: the reconcile schedule's interval (a
    # later end is for a later scheduled run to arrange)
    follow_up_horizon: timedelta = timedelta(minutes=5)


@dataclass
class RunClock:
    """The reconcile's time. ``own`` is the runner's own clock: it names runs and dates audit records, and
    guards nothing. The lease, the grace marks and the creation-time rule run on ``shared`` (AWS's time, read
    off the state table's answers); without one (no state table: no lease, and grace marks only in this
    process's memory) the runner's own clock stands in (``shared_time``). ``sleep``: how a run waits for the
    lease."""

    own: Callable[[], datetime] = _utcnow
    shared: SharedClock | None = None
    sleep: Callable[[float], None] = time.sleep

    @property
    def shared_time(self) -> SharedClock:
        """The clock that guards the lease, the grace and deletes: the shared one, else the runner's own."""
        return self.shared if self.shared is not None else OwnClock(self.own)


@dataclass
class Controller:
    """What one reconcile runs with: its collaborators (``ports``), its options (``options``) and its time
    (``clock``)."""

    ports: Ports
    options: ReconcileOptions = field(default_factory=ReconcileOptions)
    clock: RunClock = field(default_factory=RunClock)
