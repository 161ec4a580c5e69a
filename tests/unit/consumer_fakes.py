"""Hand-written fakes of the controller's ports: an in-memory consumer account (RAM + EC2), schedules,
audit and notifications. Thread-safe, because the reconcile acts in parallel. Errors are real
``ClientError`` s, translated the way the adapters translate them, so the error paths run exactly as with
boto3. Also the accounts, VPC and moment the consumer's tests share, and a valid policy to start from.
(Shared by tests/unit/consumer, tests/unit/aws and tests/unit/runtime; see tests/unit/conftest.py.)"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from linkpilot.aws.errors import transient
from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    SHARE_TAG,
    Endpoint,
    EndpointAssociation,
    Invitation,
    InvitationOutcome,
    ShareResource,
)
from linkpilot.consumer.policy import EndpointPlacement, PolicyError, TrustPolicy, parse_policy
from linkpilot.consumer.ports import Controller, Ports, RunClock
from linkpilot.errors import Refused, Transient

RCFG = "vpc-lattice:ResourceConfiguration"

TRUSTED = "111111111111"
OTHER_TRUSTED = "333333333333"
UNTRUSTED = "999999999999"
VPC = "vpc-0123456789abcdef0"
NOW = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)


def policy_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "trusted_accounts": [TRUSTED, OTHER_TRUSTED],
        "endpoint": {
            "vpc_id": VPC,
            "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"],
            "security_group_ids": ["sg-0bbbbbbbbbbbbbbb1"],
        },
    }
    doc.update(overrides)
    return doc


def make_policy(**overrides: Any) -> TrustPolicy:
    return parse_policy(json.dumps(policy_doc(**overrides)))


def policy_problems(doc: object) -> list[str]:
    """The problems ``parse_policy`` names for a document that must not validate."""
    with pytest.raises(PolicyError) as err:
        parse_policy(json.dumps(doc))
    return list(err.value.problems)


def client_error(code: str, message: str = "fake", op: str = "Op") -> Transient:
    """An AWS error the adapters do not expect, as it leaves an adapter (``linkpilot.aws.errors``)."""
    return transient(ClientError({"Error": {"Code": code, "Message": message}}, op))


def config_arn(account: str, n: int | str) -> str:
    return f"arn:aws:vpc-lattice:us-east-1:{account}:resourceconfiguration/rcfg-{n}"


def share_arn(account: str, n: int | str) -> str:
    return f"arn:aws:ram:us-east-1:{account}:resource-share/share-{n}"


def invitation_arn(account: str, n: int | str) -> str:
    return f"arn:aws:ram:us-east-1:{account}:resource-share-invitation/inv-{n}"


def associations_of(
    endpoint_id: str, configuration_arn: str, groups: Mapping[str, Sequence[str]] | None = None
) -> tuple[EndpointAssociation, ...]:
    """The association rows AWS lists for an endpoint: one, or one per child of a GROUP configuration."""
    children = (groups or {}).get(configuration_arn)

    def row(n: int, arn: str, group: str) -> EndpointAssociation:
        rcfg = arn.rsplit("/", 1)[-1]
        return EndpointAssociation(
            association_id=f"vpce-rsc-asc-{endpoint_id[5:]}{n}",
            endpoint_id=endpoint_id,
            associated_resource_arn=arn,
            group_arn=group,
            dns_name=f"{endpoint_id}.{rcfg}.4232ccc.vpc-lattice-rsc.us-east-1.on.aws",
            accessibility="accessible",
        )

    if children:
        return tuple(row(n, child, configuration_arn) for n, child in enumerate(children))
    return (row(0, configuration_arn, ""),)


@dataclass
class FakeShare:
    arn: str
    owner: str
    resources: list[tuple[str, str]]  # (arn, type)
    invitation: str = ""  # invitation arn; "" for an organization share (no invitation)
    status: str = "PENDING"  # of the invitation: PENDING | ACCEPTED | REJECTED | EXPIRED
    # whether ListResources lists the accepted share yet (RAM accepts asynchronously: ``settle()``)
    visible: bool = True


@dataclass
class FakeAccount:
    """RAM and EC2 of one consumer account, with a call log and injectable failures."""

    shares: dict[str, FakeShare] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    # operation -> list of exceptions raised by the next calls (popped in order)
    faults: dict[str, list[Exception]] = field(default_factory=dict)
    # configuration arn -> refusal raised by create (e.g. availability-zone mismatch)
    create_refusals: dict[str, Refused] = field(default_factory=dict)
    # GROUP configuration arn -> its CHILD arns (an endpoint for a group has one association per child)
    groups: dict[str, list[str]] = field(default_factory=dict)
    _tokens: dict[str, str] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def _call(self, op: str) -> None:
        with self._lock:
            self.calls.append(op)
            pending = self.faults.get(op)
            if pending:
                raise pending.pop(0)

    # --- world setup ----------------------------------------------------------------------------
    def invite(self, owner: str, n: int | str, resources: list[tuple[str, str]] | None = None) -> FakeShare:
        share = FakeShare(
            share_arn(owner, n), owner, resources or [(config_arn(owner, n), RCFG)], invitation_arn(owner, n)
        )
        self.shares[share.arn] = share
        return share

    def org_share(
        self, owner: str, n: int | str, resources: list[tuple[str, str]] | None = None
    ) -> FakeShare:
        share = FakeShare(
            share_arn(owner, n), owner, resources or [(config_arn(owner, n), RCFG)], "", "ACCEPTED"
        )
        self.shares[share.arn] = share
        return share

    def add_endpoint(self, **kw: Any) -> Endpoint:
        eid = kw.pop("endpoint_id", f"vpce-{next(self._ids):017x}")
        ep = Endpoint(endpoint_id=eid, **kw)
        self.endpoints[eid] = ep
        return ep

    def make_available(self) -> None:
        for eid, ep in list(self.endpoints.items()):
            if ep.state == "pending":
                self.endpoints[eid] = replace(
                    ep,
                    state="available",
                    associations=associations_of(eid, ep.resource_configuration_arn, self.groups),
                )

    def settle(self) -> None:
        """RAM finishes the accepts: accepted shares become visible to ListResources."""
        for share in self.shares.values():
            share.visible = True

    # --- RamPort ----------------------------------------------------------------------------------
    def invitations(self) -> list[Invitation]:
        self._call("GetResourceShareInvitations")
        return [
            Invitation(s.invitation, s.arn, s.arn.rsplit("/", 1)[-1], s.owner, s.status)
            for s in self.shares.values()
            if s.invitation
        ]

    def shared_resources(self, resource_types: Sequence[str] = (RCFG,)) -> list[ShareResource]:
        for _ in resource_types:
            self._call("ListResources")
        return [
            ShareResource(arn, typ, s.arn, "AVAILABLE")
            for s in self.shares.values()
            if s.status == "ACCEPTED" and s.visible
            for arn, typ in s.resources
            if typ in resource_types
        ]

    def _by_invitation(self, arn: str) -> FakeShare | None:
        return next((s for s in self.shares.values() if s.invitation == arn), None)

    def pending_resources(self, invitation: Invitation) -> list[ShareResource] | None:
        self._call("ListPendingInvitationResources")
        share = self._by_invitation(invitation.arn)
        if share is None or share.status != "PENDING":
            return None
        return [ShareResource(arn, typ, share.arn, "PENDING") for arn, typ in share.resources]

    def _answer(self, op: str, arn: str, token: str, to: str) -> InvitationOutcome:
        self._call(op)
        with self._lock:
            share = self._by_invitation(arn)
            if share is None:
                raise Refused("ResourceShareInvitationArnNotFoundException", arn)
            if self._tokens.setdefault(f"{op}|{token}", arn) != arn:
                raise Refused("IdempotentParameterMismatchException", token)
            if share.status == "EXPIRED":
                return InvitationOutcome.EXPIRED
            if share.status == to:
                return InvitationOutcome.ALREADY
            if share.status != "PENDING":
                raise Refused(f"ResourceShareInvitationAlready{share.status.title()}Exception", arn)
            share.status = to
            share.visible = False
            return InvitationOutcome.DONE

    def accept(self, invitation_arn: str, client_token: str) -> InvitationOutcome:
        return self._answer("AcceptResourceShareInvitation", invitation_arn, client_token, "ACCEPTED")

    def reject(self, invitation_arn: str, client_token: str) -> InvitationOutcome:
        return self._answer("RejectResourceShareInvitation", invitation_arn, client_token, "REJECTED")

    # --- Ec2Port ----------------------------------------------------------------------------------
    def vpc_ids(self) -> list[str]:
        self._call("DescribeVpcs")
        return sorted({e.vpc_id for e in self.endpoints.values()})

    def managed_endpoints(self) -> list[Endpoint]:
        self._call("DescribeVpcEndpoints")
        return [e for e in self.endpoints.values() if e.tags.get(MANAGED_TAG) == "true"]

    def observed_endpoints(self, vpc_id: str) -> tuple[list[Endpoint], list[Endpoint]]:
        self._call("DescribeVpcEndpoints")
        found = list(self.endpoints.values())
        managed = [e for e in found if e.tags.get(MANAGED_TAG) == "true"]
        return managed, [e for e in found if e.vpc_id == vpc_id and e.tags.get(MANAGED_TAG) != "true"]

    def create(
        self, placement: EndpointPlacement, configuration_arn: str, share: str, client_token: str
    ) -> str:
        self._call("CreateVpcEndpoint")
        with self._lock:
            if configuration_arn in self.create_refusals:
                raise self.create_refusals[configuration_arn]
            if client_token in self._tokens:
                return self._tokens[client_token]
            ep = self.add_endpoint(
                vpc_id=placement.vpc_id,
                state="pending",
                resource_configuration_arn=configuration_arn,
                tags={MANAGED_TAG: "true", CONFIGURATION_TAG: configuration_arn, SHARE_TAG: share},
            )
            self._tokens[client_token] = ep.endpoint_id
            return ep.endpoint_id

    def delete(self, endpoint_ids: Sequence[str]) -> Mapping[str, Refused | None]:
        self._call("DeleteVpcEndpoints")
        with self._lock:
            for eid in endpoint_ids:
                self.endpoints.pop(eid, None)
        return dict.fromkeys(endpoint_ids)

    def ops(self, prefix: str = "") -> list[str]:
        return [c for c in self.calls if c.startswith(prefix)]


@dataclass
class FakePublished:
    names: tuple[str, ...]
    digest: str | None


@dataclass
class FakeSchedules:
    key: str = "group/linkpilot-probe"
    inputs: list[str] = field(default_factory=list)
    digest: str | None = None
    reads: int = 0
    writes: int = 0
    fail_with: Exception | None = None

    def published(self) -> FakePublished:
        self.reads += 1
        return FakePublished(tuple(f"p-{i}" for i in range(len(self.inputs))), self.digest)

    def publish(self, inputs: Sequence[str], digest: str, existing: Sequence[str]) -> None:
        if self.fail_with:
            raise self.fail_with
        self.writes += 1
        self.inputs, self.digest = list(inputs), digest


@dataclass
class FakeAudit:
    records: list[Mapping[str, str | int]] = field(default_factory=list)
    fail_with: Exception | None = None

    def write(self, records: Sequence[Mapping[str, str | int]]) -> None:
        if self.fail_with:
            raise self.fail_with
        self.records.extend(records)


@dataclass
class FakeNotifier:
    messages: list[tuple[str, list[str], Mapping[str, Any]]] = field(default_factory=list)

    def publish(self, subject: str, kinds: Sequence[str], message: Mapping[str, Any]) -> None:
        self.messages.append((subject, list(kinds), message))


def faked_controller(account: FakeAccount) -> Controller:
    """A controller whose every port is a fake (``account`` answers RAM and EC2), on the clock ``NOW``."""
    return Controller(
        Ports(
            ram=account,
            ec2=account,
            schedules=FakeSchedules(),
            audit=FakeAudit(),
            notifier=FakeNotifier(),
            memory=ControllerMemory(),
        ),
        clock=RunClock(lambda: NOW),
    )
