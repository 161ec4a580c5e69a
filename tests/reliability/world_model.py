"""Generated consumer and provider worlds for the property suite, and a fake AWS that applies a plan.

The consumer world is the planner's whole input (policy + observed state); ``apply_plan`` changes it the way
AWS would after the reconcile executed every action, so "apply, then plan again" can be checked without
threads or sockets, fast enough for 10,000 examples. The provider world is a consumer list and a share's
principal associations, with ``apply_principal_plan`` doing what RAM would.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from linkpilot.consumer.models import (
    CONFIGURATION_TAG,
    MANAGED_TAG,
    SHARE_TAG,
    ActionKind,
    Endpoint,
    EndpointAssociation,
    Invitation,
    ObservedState,
    Plan,
    ShareResource,
)
from linkpilot.consumer.policy import RESOURCE_CONFIGURATION_TYPE, TrustPolicy, parse_policy
from linkpilot.provider.plan import (
    ConsumerList,
    PrincipalAssociation,
    PrincipalPlan,
    SharingMode,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
VPC = "vpc-0123456789abcdef0"
OTHER_VPC = "vpc-0fedcba9876543210"
ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")
RCFG = RESOURCE_CONFIGURATION_TYPE
OTHER_TYPE = "ec2:Subnet"
ENDPOINT_STATES = ("available", "pending", "failed", "deleting", "rejected", "expired")
RESOURCE_STATUSES = ("AVAILABLE", "", "ZONAL_RESOURCE_INACCESSIBLE", "PENDING", "UNAVAILABLE")


def config_arn(owner: str, n: int) -> str:
    return f"arn:aws:vpc-lattice:us-east-1:{owner}:resourceconfiguration/rcfg-{n}"


def share_arn(owner: str, n: int) -> str:
    return f"arn:aws:ram:us-east-1:{owner}:resource-share/share-{n}"


def invitation_arn(owner: str, n: int) -> str:
    return f"arn:aws:ram:us-east-1:{owner}:resource-share-invitation/inv-{n}"


accounts = st.sampled_from(ACCOUNTS)
config_numbers = st.integers(min_value=0, max_value=4)
resource_types = st.sampled_from((RCFG, RCFG, RCFG, OTHER_TYPE))

# ARN globs a policy may hold: exact ARNs, per-account, per-name, and single-character wildcards.
arn_globs = st.one_of(
    st.builds(config_arn, accounts, config_numbers),
    accounts.map(lambda a: f"arn:aws:vpc-lattice:*:{a}:resourceconfiguration/*"),
    config_numbers.map(lambda n: f"arn:aws:vpc-lattice:us-east-1:*:resourceconfiguration/rcfg-{n}"),
    st.just("arn:aws:vpc-lattice:us-east-1:*:resourceconfiguration/rcfg-?"),
)


@st.composite
def policies(draw: st.DrawFn) -> TrustPolicy:
    doc = {
        "trusted_accounts": draw(st.lists(accounts, unique=True, max_size=3)),
        "allowed_resource_configuration_arns": draw(
            st.one_of(st.none(), st.lists(arn_globs, min_size=1, max_size=2), st.just([]))
        ),
        "allowed_resource_types": draw(st.sampled_from([[RCFG], [RCFG, OTHER_TYPE], [OTHER_TYPE]])),
        "untrusted_invitations": draw(st.sampled_from(["ignore", "reject"])),
        "endpoint": {"vpc_id": VPC, "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"]},
        "delete_endpoints_on_unshare": draw(st.booleans()),
        "unshare_grace_minutes": draw(st.sampled_from([0, 0, 15])),
        "probe": {"enabled": draw(st.booleans())},
    }
    return parse_policy(json.dumps(doc))


@st.composite
def observed_states(draw: st.DrawFn) -> ObservedState:
    invitations: list[Invitation] = []
    pending: dict[str, tuple[ShareResource, ...]] = {}
    for k, (sender, status, inspected) in enumerate(
        draw(
            st.lists(
                st.tuples(
                    accounts,
                    st.sampled_from(["PENDING", "PENDING", "ACCEPTED", "REJECTED", "EXPIRED"]),
                    st.booleans(),
                ),
                max_size=5,
            )
        )
    ):
        inv = Invitation(invitation_arn(sender, k), share_arn(sender, k), f"share-{k}", sender, status, NOW)
        invitations.append(inv)
        if status == "PENDING" and inspected:  # only trusted pending invitations are read; any may be here
            pending[inv.arn] = tuple(
                ShareResource(config_arn(owner, n), typ, inv.share_arn, "PENDING")
                for owner, n, typ in draw(
                    st.lists(
                        st.tuples(st.one_of(st.just(sender), accounts), config_numbers, resource_types),
                        max_size=3,
                    )
                )
            )
    # a configuration's status (e.g. ZONAL_RESOURCE_INACCESSIBLE) is the same in every share carrying it
    statuses = draw(st.lists(st.sampled_from(RESOURCE_STATUSES), min_size=20, max_size=20))
    shared = tuple(
        ShareResource(
            config_arn(owner, n),
            typ,
            share_arn(share_owner, 100 + n),
            statuses[ACCOUNTS.index(owner) * 5 + n],
        )
        for owner, share_owner, n, typ in draw(
            st.lists(st.tuples(accounts, accounts, config_numbers, resource_types), max_size=6)
        )
    )
    endpoints = []
    for k, (owner, n, tagging, state, in_vpc, age) in enumerate(
        draw(
            st.lists(
                st.tuples(
                    accounts,
                    config_numbers,
                    st.sampled_from(
                        ["managed", "managed", "unmanaged", "managed-false", "managed-other-arn"]
                    ),
                    st.sampled_from(ENDPOINT_STATES),
                    st.booleans(),
                    st.integers(min_value=0, max_value=5),
                ),
                max_size=6,
            )
        )
    ):
        arn = config_arn(owner, n)
        tags = {
            "managed": {MANAGED_TAG: "true", CONFIGURATION_TAG: arn, SHARE_TAG: share_arn(owner, n)},
            "unmanaged": {"team": "db"},
            "managed-false": {MANAGED_TAG: "false", CONFIGURATION_TAG: arn},
            # the tag names the configuration we created it for; the API may report another (or none)
            "managed-other-arn": {MANAGED_TAG: "true", CONFIGURATION_TAG: config_arn(owner, (n + 1) % 5)},
        }[tagging]
        endpoints.append(
            Endpoint(
                endpoint_id=f"vpce-{k:017x}",
                vpc_id=VPC if in_vpc else OTHER_VPC,
                state=state,
                resource_configuration_arn=arn,
                tags=tags,
                associations=_associations(f"vpce-{k:017x}", arn) if state == "available" else (),
                created_at=NOW - timedelta(minutes=age),
                last_error="boom" if state == "failed" else "",
            )
        )
    return ObservedState(tuple(invitations), pending, shared, tuple(endpoints))


consumer_worlds = st.tuples(policies(), observed_states())


# --- the fake AWS -----------------------------------------------------------------------------------
_ids = itertools.count(1 << 40)


def _associations(eid: str, arn: str) -> tuple[EndpointAssociation, ...]:
    """The endpoint's one association row, as DescribeVpcEndpointAssociations lists it (the DNS name)."""
    name = f"{eid}.{arn.rsplit('/', 1)[-1]}.4232ccc.vpc-lattice-rsc.us-east-1.on.aws"
    return (
        EndpointAssociation(f"vpce-rsc-asc-{eid[5:]}", eid, arn, dns_name=name, accessibility="accessible"),
    )


def apply_plan(policy: TrustPolicy, state: ObservedState, plan: Plan) -> ObservedState:
    """The world after every action of ``plan`` succeeded (and pending endpoints became available)."""
    invitations = {i.arn: i for i in state.invitations}
    pending = dict(state.pending_resources)
    shared = list(state.shared_resources)
    endpoints = {e.endpoint_id: e for e in state.endpoints}
    for action in plan.actions:
        if action.kind is ActionKind.ACCEPT_INVITATION:
            inv = invitations[action.invitation_arn]
            invitations[inv.arn] = replace(inv, status="ACCEPTED")
            # ListResources(resourceType=ResourceConfiguration) shows the share's configurations from now on,
            # with the status the configuration has in the other shares carrying it
            known = {r.arn: r.status for r in shared}
            shared.extend(
                replace(r, status=known.get(r.arn, "AVAILABLE"), share_arn=inv.share_arn)
                for r in pending.pop(inv.arn, ())
                if r.type == RCFG
            )
        elif action.kind is ActionKind.REJECT_INVITATION:
            inv = invitations[action.invitation_arn]
            invitations[inv.arn] = replace(inv, status="REJECTED")
            pending.pop(inv.arn, None)
        elif action.kind is ActionKind.CREATE_ENDPOINT:
            eid = f"vpce-{next(_ids):017x}"
            arn = action.resource_configuration_arn
            endpoints[eid] = Endpoint(
                endpoint_id=eid,
                vpc_id=policy.endpoint.vpc_id,
                state="available",
                resource_configuration_arn=arn,
                tags={MANAGED_TAG: "true", CONFIGURATION_TAG: arn, SHARE_TAG: action.share_arn},
                associations=_associations(eid, arn),
                created_at=NOW,
            )
        elif action.kind is ActionKind.DELETE_ENDPOINT:
            ep = endpoints[action.endpoint_id]
            endpoints[ep.endpoint_id] = replace(ep, state="deleting")
    for eid, ep in endpoints.items():
        if ep.state == "pending" and ep.managed:  # unmanaged ones are left exactly as they were
            endpoints[eid] = replace(
                ep, state="available", associations=_associations(eid, ep.resource_configuration_arn)
            )
    return ObservedState(tuple(invitations.values()), pending, tuple(shared), tuple(endpoints.values()))


# --- provider worlds ----------------------------------------------------------------------------------
ASSOCIATION_STATUSES = (
    "ASSOCIATED",
    "ASSOCIATING",
    "DISASSOCIATED",
    "DISASSOCIATING",
    "FAILED",
    "SUSPENDED",
    "SUSPENDING",
    "RESTORING",
)
principals = st.sampled_from(("222222222222", "333333333333", "444444444444", "555555555555"))


@dataclass(frozen=True)
class ProviderWorld:
    desired: ConsumerList
    associations: tuple[PrincipalAssociation, ...]


@st.composite
def provider_worlds(draw: st.DrawFn) -> ProviderWorld:
    desired = ConsumerList(SharingMode.ACCOUNTS, frozenset(draw(st.lists(principals, max_size=4))))
    associations = tuple(
        PrincipalAssociation(p, status, f"2026-03-01T12:{minute:02d}")
        for p, status, minute in draw(
            st.lists(
                st.tuples(principals, st.sampled_from(ASSOCIATION_STATUSES), st.integers(0, 59)), max_size=6
            )
        )
    )
    return ProviderWorld(desired, associations)


def apply_principal_plan(world: ProviderWorld, plan: PrincipalPlan) -> ProviderWorld:
    associations = list(world.associations)
    for change in plan.changes:
        if change.action == "associate":
            associations.append(PrincipalAssociation(change.principal, "ASSOCIATED", "2026-03-01T13:00"))
        else:
            associations = [
                replace(a, status="DISASSOCIATED", updated="2026-03-01T13:00")
                if a.principal == change.principal
                else a
                for a in associations
            ]
    return ProviderWorld(world.desired, tuple(associations))
