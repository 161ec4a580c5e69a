"""The trust policy compiled into the rules the planner applies, once per run (``compile_rules``).

The policy document (``linkpilot.consumer.policy``) says what the account takes in the words an operator
writes; these rules say it in the form each step of the plan asks it, one section per step: which
invitations and shares are acceptable (``ShareRules``), how shared service networks are taken
(``AssociationRules``), where endpoints are made and when they go (``EndpointRules``), what the probe checks
(``ProbeRules``). Each planning module receives its own section only. The plan carries the rules it was made
with, so the re-check before deleting plans with the same rules and nothing after planning reads the policy.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from linkpilot.consumer.policy import (
    RESOURCE_CONFIGURATION_TYPE,
    SERVICE_NETWORK_TYPE,
    EndpointPlacement,
    ProbeSettings,
    TrustPolicy,
)

# ARN globs as ``fnmatch.fnmatchcase`` reads them ('*' any run, '?' one character, case-sensitive), compiled
Globs = tuple[re.Pattern[str], ...]


def _globs(patterns: Iterable[str]) -> Globs:
    return tuple(re.compile(fnmatch.translate(pattern)) for pattern in patterns)


def _matches(globs: Globs, arn: str) -> bool:
    return any(glob.match(arn) for glob in globs)


@dataclass(frozen=True)
class ShareRules:
    """What the account takes from RAM, by default nothing: the decision on each invitation and share."""

    trusted_accounts: frozenset[str]
    # RAM types a share may hold: service networks only when the policy has a service_networks section
    allowed_types: frozenset[str]
    configuration_arns: Globs | None  # None: any configuration of a trusted account
    service_network_arns: Globs | None  # None: no service_networks section, no service network is taken
    reject_unacceptable: bool  # untrusted_invitations "reject"; else an unacceptable invitation is ignored
    listed_types: tuple[str, ...]  # the types the controller lists as shared with it (ListResources)

    def trusts(self, account_id: str) -> bool:
        return account_id in self.trusted_accounts

    def allows_type(self, resource_type: str) -> bool:
        return resource_type in self.allowed_types

    def allows_configuration(self, arn: str) -> bool:
        return self.configuration_arns is None or _matches(self.configuration_arns, arn)

    def allows_service_network(self, arn: str) -> bool:
        return self.service_network_arns is not None and _matches(self.service_network_arns, arn)


@dataclass(frozen=True)
class AssociationRules:
    """How allowed shared service networks are taken: an endpoint each, or (``by_association``, the
    policy's mode 'association') one service-network VPC association of the policy's VPC."""

    by_association: bool
    vpc_id: str


@dataclass(frozen=True)
class EndpointRules:
    """Where endpoints (and associations) are made, and when one whose configuration went is removed."""

    placement: EndpointPlacement
    delete_on_unshare: bool  # false: reported orphaned, never deleted
    grace: timedelta  # how long a configuration stays missing from the shares before its endpoint goes


@dataclass(frozen=True)
class ProbeRules:
    """What the probe checks: whether it runs, its defaults, and each override's fields by ARN glob."""

    enabled: bool
    defaults: ProbeSettings
    overrides: tuple[tuple[re.Pattern[str], Mapping[str, Any]], ...]

    def fields(self, configuration_arn: str, child_arn: str | None = None) -> dict[str, Any]:
        """Override fields for one target (the defaults travel once, in the probe input).

        A GROUP configuration's child target takes the first override matching its child ARN; when none
        does, the first matching the group's ARN (the configuration the endpoint was made for)."""
        for arn in [a for a in (child_arn, configuration_arn) if a is not None]:
            for glob, fields in self.overrides:
                if glob.match(arn):
                    return dict(fields)
        return {}


@dataclass(frozen=True)
class PlanRules:
    """Everything the planner needs from the policy, one section per planning step."""

    shares: ShareRules
    associations: AssociationRules
    endpoints: EndpointRules
    probe: ProbeRules


def compile_rules(policy: TrustPolicy) -> PlanRules:
    """The policy's rules, in the form the plan applies them."""
    networks = policy.service_networks
    types = set(policy.allowed_resource_types) - {SERVICE_NETWORK_TYPE}
    listed: tuple[str, ...] = (RESOURCE_CONFIGURATION_TYPE,)
    if networks is not None:
        types.add(SERVICE_NETWORK_TYPE)
        listed = (RESOURCE_CONFIGURATION_TYPE, SERVICE_NETWORK_TYPE)
    configurations = policy.allowed_resource_configuration_arns
    return PlanRules(
        shares=ShareRules(
            trusted_accounts=frozenset(policy.trusted_accounts),
            allowed_types=frozenset(types),
            configuration_arns=None if configurations is None else _globs(configurations),
            service_network_arns=None if networks is None else _globs(networks.allowed_arns),
            reject_unacceptable=policy.untrusted_invitations == "reject",
            listed_types=listed,
        ),
        associations=AssociationRules(
            by_association=networks is not None and networks.mode == "association",
            vpc_id=policy.endpoint.vpc_id,
        ),
        endpoints=EndpointRules(
            placement=policy.endpoint,
            delete_on_unshare=policy.delete_endpoints_on_unshare,
            grace=timedelta(minutes=policy.unshare_grace_minutes),
        ),
        probe=ProbeRules(
            enabled=policy.probe.enabled,
            defaults=policy.probe.defaults,
            overrides=tuple(
                (re.compile(fnmatch.translate(o.match)), o.fields()) for o in policy.probe.overrides
            ),
        ),
    )
