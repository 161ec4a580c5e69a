"""Plain data the controller reads from AWS and the plan it computes: no boto3, no I/O.

The adapters turn API responses into these; the planner (``linkpilot.consumer.planning``) turns them, with the
policy's rules, into a ``Plan``; the executor (``linkpilot.consumer.reconcile``) turns a plan into
``ActionResult`` s.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkpilot.consumer.planning.rules import PlanRules
    from linkpilot.consumer.policy import EndpointPlacement, ProbeSettings

MANAGED_TAG = "linkpilot:managed"
CONFIGURATION_TAG = "linkpilot:resource-configuration-arn"
SHARE_TAG = "linkpilot:resource-share-arn"
# a ServiceNetwork endpoint names its service network here (instead of CONFIGURATION_TAG)
SERVICE_NETWORK_TAG = "linkpilot:service-network-arn"
ASSOCIATION = "association"  # Endpoint.kind of a service-network VPC association
ADDRESS_FAMILIES = frozenset({"ipv4", "ipv6", "dualstack"})  # EC2's IpAddressType enum, lower case


def is_service_network_arn(arn: str) -> bool:
    """A VPC Lattice service network ARN (``…:servicenetwork/sn-…``): its endpoint has type ServiceNetwork."""
    return ":servicenetwork/" in arn


def arn_account(arn: str) -> str:
    """The account field of an ARN ('' when absent or malformed)."""
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


@dataclass(frozen=True)
class Invitation:
    """A RAM resource share invitation as ``GetResourceShareInvitations`` reports it."""

    arn: str
    share_arn: str
    share_name: str
    sender_account_id: str
    status: str  # PENDING | ACCEPTED | REJECTED | EXPIRED (upper-cased by the adapter)
    invited_at: datetime | None = None


@dataclass(frozen=True)
class ShareResource:
    """A resource in a share: from ``ListPendingInvitationResources`` or ``ListResources(OTHER-ACCOUNTS)``."""

    arn: str
    type: str
    share_arn: str
    status: str = ""  # AVAILABLE | ZONAL_RESOURCE_INACCESSIBLE | LIMIT_EXCEEDED | UNAVAILABLE | PENDING


@dataclass(frozen=True)
class EndpointAssociation:
    """One row of ``DescribeVpcEndpointAssociations``: a resource reachable through a resource endpoint.

    A SINGLE or ARN configuration gives one row; a GROUP configuration one row per child (``group_arn``
    names the group, ``associated_resource_arn`` the child). The DNS names of a resource endpoint live
    here only: ``DescribeVpcEndpoints`` gives a Resource endpoint no ``DnsEntries``.
    """

    association_id: str
    endpoint_id: str
    associated_resource_arn: str
    group_arn: str = ""
    dns_name: str = ""  # DnsEntry.DnsName
    private_dns_name: str = ""  # PrivateDnsEntry.DnsName (private DNS on)
    accessibility: str = ""  # AssociatedResourceAccessibility, lower-cased ("accessible" | "inaccessible")
    failure: str = ""

    @property
    def accessible(self) -> bool:
        return self.accessibility == "accessible"


@dataclass(frozen=True)
class Endpoint:
    """A VPC endpoint of type Resource or ServiceNetwork, as ``DescribeVpcEndpoints`` reports it, with its
    associations (a ServiceNetwork endpoint has one row per configuration it reaches through the network)."""

    endpoint_id: str
    vpc_id: str
    state: str  # lower-cased: AWS documents and examples disagree on casing
    resource_configuration_arn: str
    tags: Mapping[str, str] = field(default_factory=dict)
    created_at: datetime | None = None
    last_error: str = ""
    # lower-cased IpAddressType (ipv4 | ipv6 | dualstack): AWS answers IPV4 where the model's enum says ipv4
    ip_address_type: str = ""
    # read for live endpoints only (deleting or failed ones are neither probed nor kept)
    associations: tuple[EndpointAssociation, ...] = ()
    service_network_arn: str = ""  # ServiceNetworkArn of a ServiceNetwork endpoint
    # "endpoint": a VPC endpoint (EC2); "association": a service-network VPC association (VPC Lattice), read
    # into the same shape (endpoint_id holds its snva- id, state the endpoint vocabulary: see the adapter)
    kind: str = "endpoint"

    @property
    def is_association(self) -> bool:
        return self.kind == ASSOCIATION

    @property
    def served_arn(self) -> str:
        """What the endpoint was created for: its resource configuration or its service network."""
        return self.resource_configuration_arn or self.service_network_arn

    @property
    def address_family(self) -> str:
        """Which addresses of the endpoint's name the probe tries. Unknown or missing: every address
        (dualstack), so that an unexpected answer never hides a reachable address nor invents a failure."""
        return self.ip_address_type if self.ip_address_type in ADDRESS_FAMILIES else "dualstack"

    @property
    def dns_name(self) -> str:
        """The first accessible association's DNS name ('' when none): for display only."""
        return next((a.dns_name for a in self.associations if a.accessible and a.dns_name), "")

    @property
    def managed(self) -> bool:
        return self.tags.get(MANAGED_TAG) == "true"

    @property
    def managed_configuration_arn(self) -> str:
        """The configuration this managed endpoint was created for (the tag is what we own)."""
        return self.tags.get(CONFIGURATION_TAG) or self.tags.get(SERVICE_NETWORK_TAG) or self.served_arn

    @property
    def live(self) -> bool:
        """Counts as the configuration's endpoint (not failed and not on its way out)."""
        return self.state not in DEAD_ENDPOINT_STATES


DEAD_ENDPOINT_STATES = frozenset({"deleting", "deleted", "failed", "rejected", "expired"})


@dataclass(frozen=True)
class ObservedState:
    """What one reconcile read. ``pending_resources`` holds only the invitations that were inspected;
    ``inspection_refused`` the invitations whose contents AWS refused to show (invitation arn -> why).

    ``trust_ceiling``: the accounts the deployed IAM policy lets the controller inspect and accept shares
    from (the stack's ``TrustedAccounts``); None when unknown (CLI). Trust is the policy's
    ``trusted_accounts`` within that ceiling, so the policy and IAM cannot disagree about an account.
    """

    invitations: tuple[Invitation, ...] = ()
    pending_resources: Mapping[str, tuple[ShareResource, ...]] = field(default_factory=dict)
    shared_resources: tuple[ShareResource, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    inspection_refused: Mapping[str, str] = field(default_factory=dict)
    trust_ceiling: frozenset[str] | None = None
    # Resource endpoints in the policy VPC WITHOUT the managed tag: never touched, only reported
    unmanaged_endpoints: tuple[Endpoint, ...] = ()
    # managed endpoint id -> when it was first seen without its configuration (the grace marks)
    missing_since: Mapping[str, datetime] = field(default_factory=dict)
    # whether service-network VPC associations were read (the controller has VPC Lattice access): they are
    # in ``endpoints`` / ``unmanaged_endpoints`` as kind "association"
    associations_observed: bool = False


class Verdict(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    IGNORE = "ignore"
    EXPIRED = "expired"


@dataclass(frozen=True)
class InvitationDecision:
    """What the policy says about one pending (or expired) invitation, and why."""

    invitation_arn: str
    share_arn: str
    share_name: str
    sender_account_id: str
    verdict: Verdict
    reason: str
    trusted_sender: bool
    resource_arns: tuple[str, ...] = ()
    # left pending or rejected because of the policy (not because the contents could not be read yet)
    refused_by_policy: bool = False


class ActionKind(StrEnum):
    ACCEPT_INVITATION = "accept-invitation"
    REJECT_INVITATION = "reject-invitation"
    CREATE_ENDPOINT = "create-endpoint"
    DELETE_ENDPOINT = "delete-endpoint"
    # a service network in association mode: a service-network VPC association instead of an endpoint
    CREATE_ASSOCIATION = "create-association"
    DELETE_ASSOCIATION = "delete-association"


CREATE_KINDS = frozenset({ActionKind.CREATE_ENDPOINT, ActionKind.CREATE_ASSOCIATION})
DELETE_KINDS = frozenset({ActionKind.DELETE_ENDPOINT, ActionKind.DELETE_ASSOCIATION})


@dataclass(frozen=True)
class Action:
    """One AWS write the plan asks for. ``client_token`` makes it idempotent across concurrent runs."""

    kind: ActionKind
    reason: str
    invitation_arn: str = ""
    share_arn: str = ""
    sender_account_id: str = ""
    resource_configuration_arn: str = ""
    endpoint_id: str = ""
    client_token: str = ""
    # where a create puts the endpoint (the plan carries it: the executor never re-reads the policy)
    placement: EndpointPlacement | None = None

    @property
    def subject(self) -> str:
        return self.endpoint_id or self.resource_configuration_arn or self.invitation_arn


@dataclass(frozen=True)
class OrphanedEndpoint:
    """A managed endpoint whose configuration is gone or disallowed, kept because the policy says so."""

    endpoint_id: str
    resource_configuration_arn: str
    reason: str


@dataclass(frozen=True)
class UnmanagedEndpoint:
    """An endpoint without the managed tag that serves an allowed configuration: not ours, so the
    configuration gets no managed endpoint (EC2 would hand back this one for the same ``ClientToken``)."""

    endpoint_id: str
    resource_configuration_arn: str
    reason: str


@dataclass(frozen=True)
class GraceEndpoint:
    """A managed endpoint whose configuration is missing, kept until the absence has lasted the grace."""

    endpoint_id: str
    resource_configuration_arn: str
    missing_since: datetime
    delete_after: datetime


@dataclass(frozen=True)
class ProbeTarget:
    """One endpoint association to probe: the endpoint, the row's DNS name and the resource behind it
    (the endpoint's configuration, or for a GROUP configuration the child)."""

    endpoint_id: str
    dns_name: str
    resource_configuration_arn: str
    overrides: Mapping[str, Any] = field(default_factory=dict)
    address_family: str = "ipv4"  # the endpoint's IpAddressType
    # the association's resource (AssociatedResourceArn) when it is not the endpoint's configuration: a
    # GROUP configuration's child. The probe's contract calls it ``child_arn`` (a label on the result).
    child_arn: str = ""

    def to_json(self) -> dict[str, Any]:
        item = {
            "endpoint_id": self.endpoint_id,
            "dns_name": self.dns_name,
            "resource_configuration_arn": self.resource_configuration_arn,
            "address_family": self.address_family,
            **dict(self.overrides),
        }
        if self.child_arn and self.child_arn != self.resource_configuration_arn:
            item["child_arn"] = self.child_arn
        return item


@dataclass(frozen=True)
class UnprobedAssociation:
    """An association of a kept endpoint that gets no probe target, and why (reported every run)."""

    endpoint_id: str
    associated_resource_arn: str
    reason: str


@dataclass(frozen=True)
class Waiting:
    """Accepted or shared, but not usable yet: no endpoint is made before RAM lists the configuration as
    AVAILABLE (acceptance completes asynchronously); a later run (event or schedule) creates it."""

    share_arn: str
    resource_configuration_arn: str  # '' when the share's contents are not known (accepted earlier)
    reason: str
    # since when it waits on something only time completes (an accept RAM has not finished): the run that
    # accepted knows it exactly; a later run only the invitation's time. None: time alone will not end it
    # (a status RAM may keep, a VPC another association holds), so no follow-up run is arranged for it.
    since: datetime | None = None


@dataclass(frozen=True)
class Plan:
    decisions: tuple[InvitationDecision, ...] = ()
    actions: tuple[Action, ...] = ()
    orphaned: tuple[OrphanedEndpoint, ...] = ()
    # shared configurations the policy refuses: (configuration arn, share arn, reason)
    refused_resources: tuple[tuple[str, str, str], ...] = ()
    probe_targets: tuple[ProbeTarget, ...] = ()
    unprobed: tuple[UnprobedAssociation, ...] = ()
    waiting: tuple[Waiting, ...] = ()
    # the probe input's defaults (None: the contract's defaults)
    probe_defaults: ProbeSettings | None = None
    unmanaged: tuple[UnmanagedEndpoint, ...] = ()
    awaiting_grace: tuple[GraceEndpoint, ...] = ()
    # the grace marks after this plan: every managed endpoint now missing its configuration, and since when
    missing_since: Mapping[str, datetime] = field(default_factory=dict)
    # the rules it was made with: the re-check before deleting plans again with them (None: no plan was made)
    rules: PlanRules | None = field(default=None, repr=False)

    def of_kind(self, kind: ActionKind) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.kind is kind)


class InvitationOutcome(StrEnum):
    """What RAM said to an accept or reject."""

    DONE = "done"
    ALREADY = "already"
    EXPIRED = "expired"


class Outcome(StrEnum):
    DONE = "done"
    ALREADY_DONE = "already-done"
    SKIPPED = "skipped"
    FAILED = "failed"
    PLANNED = "planned"  # dry run


@dataclass(frozen=True)
class ActionResult:
    action: Action
    outcome: Outcome
    detail: str = ""
    error_code: str = ""
    endpoint_id: str = ""
    # transient (throttling, 5xx) or unexpected: the run raises at the end so the platform retries
    retryable: bool = False

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAILED
