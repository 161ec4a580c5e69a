"""Probe targets: what the probe checks, from the association rows of the endpoints the plan keeps. Pure.

A Resource endpoint's DNS names are in ``DescribeVpcEndpointAssociations``, one row per associated
resource: one for a SINGLE or ARN configuration, one per child for a GROUP configuration. Each accessible
row with a DNS name is one probe target.
"""

from __future__ import annotations

from collections.abc import Iterable

from linkpilot.consumer.models import Endpoint, ProbeTarget, UnprobedAssociation
from linkpilot.consumer.planning.rules import ProbeRules

# No public evidence names the DNS name a client in an associated VPC uses for a resource configuration of
# the network (docs/aws-behaviour.md): rather than probe a guessed name, the association is listed unprobed.
ASSOCIATION_UNPROBED = (
    "reached through a service-network VPC association: which DNS name clients use there is UNVERIFIED, so "
    "it is not probed (use mode 'endpoint' to probe each configuration of the network)"
)


def probe_targets(
    rules: ProbeRules, kept: Iterable[Endpoint]
) -> tuple[tuple[ProbeTarget, ...], tuple[UnprobedAssociation, ...]]:
    """One target per association row of each available kept endpoint (per child of a GROUP).

    A row that is not accessible (its configuration is not AVAILABLE: still provisioning, or no longer
    shared) or has no DNS name gets no target, since nothing could answer through it yet; it is reported
    as unprobed instead, so it is visible, not silently dropped. An available endpoint with no rows at
    all is reported too. With the probe off (``probe.enabled`` false), none of either.
    """
    if not rules.enabled:
        return (), ()
    targets: list[ProbeTarget] = []
    unprobed: list[UnprobedAssociation] = []
    for e in sorted(kept, key=lambda e: e.endpoint_id):
        if e.state != "available":
            continue
        config_arn = e.managed_configuration_arn
        if e.is_association:
            unprobed.append(UnprobedAssociation(e.endpoint_id, config_arn, ASSOCIATION_UNPROBED))
            continue
        if not e.associations:
            unprobed.append(UnprobedAssociation(e.endpoint_id, config_arn, "no endpoint association listed"))
        for row in e.associations:
            arn = row.associated_resource_arn or config_arn
            if not row.accessible:
                why = f"association {row.accessibility or 'state unknown'}"
                unprobed.append(
                    UnprobedAssociation(e.endpoint_id, arn, f"{why}: {row.failure}" if row.failure else why)
                )
            elif not row.dns_name:
                unprobed.append(UnprobedAssociation(e.endpoint_id, arn, "association has no DNS name"))
            else:
                targets.append(
                    ProbeTarget(
                        endpoint_id=e.endpoint_id,
                        dns_name=row.dns_name,
                        resource_configuration_arn=config_arn,
                        # a child's own override first, else its group's
                        overrides=rules.fields(config_arn, arn),
                        child_arn=arn,
                        address_family=e.address_family,
                    )
                )
    return tuple(targets), tuple(unprobed)
