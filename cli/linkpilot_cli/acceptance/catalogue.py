"""The catalogue of the acceptance suite's checks (one per doc line that marks a behaviour UNVERIFIED; a
test holds the two together) and the verdicts of a run on them (``verdicts``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

from linkpilot_cli.acceptance.checks import (
    Check,
    CheckResult,
    DocRef,
    Observation,
    Target,
    Verdict,
)

AWSB, LIM, SEC = "aws-behaviour.md", "limitations.md", "security.md"

CATALOGUE: Final[tuple[Check, ...]] = (
    Check(
        "endpoint-state-case",
        "Resource and ServiceNetwork endpoints read back State `Available` (capitalised) once available",
        (
            DocRef(AWSB, "`Available` and `Deleting` for these types"),
            DocRef(LIM, "the letter case AWS prints for an available or deleting"),
        ),
        "the State of each managed endpoint as DescribeVpcEndpoints answers it",
    ),
    Check(
        "ip-address-type-case",
        "IpAddressType of a dual-stack or IPv6 endpoint is printed upper case (`DUALSTACK`/`IPV6`)",
        (DocRef(AWSB, "`DUALSTACK`/`IPV6` (the emulation upper-cases them too)"),),
        "",  # the story creates IPv4 endpoints only
    ),
    Check(
        "private-dns-preference-default",
        "with private DNS on and no preference named, DnsOptions reads back VERIFIED_DOMAINS_ONLY",
        (
            DocRef(AWSB, "the preference read back when the create names none"),
            DocRef(LIM, "which private DNS preference AWS applies"),
        ),
        "",  # the story's policy leaves private DNS off (the product's default): nothing to read back
    ),
    Check(
        "resource-association-hosted-zone-case",
        "a service-network resource association's dnsEntry.hostedZoneId is upper case",
        (DocRef(AWSB, "for a *resource* association's `dnsEntry`"),),
        "ListServiceNetworkResourceAssociations of the acceptance service network (provider account)",
    ),
    Check(
        "tag-resource-on-create",
        "a tagged CreateServiceNetworkVpcAssociation succeeds under the template's TagResource grant "
        "(CreateAction condition)",
        (
            DocRef(AWSB, "whether AWS checks `TagResource` for tags given on create"),
            DocRef(SEC, "`vpc-lattice:TagResource` on `servicenetworkvpcassociation/*`"),
        ),
        "the controller's association in association mode: made and tagged, no `permission` refusal",
    ),
    Check(
        "association-listed-after-unshare",
        "listing associations by VPC still shows one whose network is no longer shared",
        (
            DocRef(
                AWSB, "whether the list by VPC still shows an association whose network is no longer shared"
            ),
        ),
        "ListServiceNetworkVpcAssociations by the consumer VPC a minute after the provider stops sharing "
        "the network (association mode)",
    ),
    Check(
        "association-arn-account",
        "the consumer's view of its VPC association names the consumer (VPC owner) account in the ARN",
        (
            DocRef(AWSB, "which account the consumer's view names"),
            DocRef(
                SEC, "`vpc-lattice:DeleteServiceNetworkVpcAssociation` on `servicenetworkvpcassociation/*`"
            ),
        ),
        "the arn of the controller's association, listed by the consumer's VPC",
    ),
    Check(
        "association-update-states",
        "an association in UPDATE_IN_PROGRESS or UPDATE_FAILED still carries traffic",
        (DocRef(AWSB, "`UPDATE_IN_PROGRESS` or `UPDATE_FAILED` still carries traffic"),),
        "",  # nothing in the story updates an association
    ),
    Check(
        "shared-vpc-associations",
        "another account's association in a VPC shared with the account is listed, its tags refused",
        (DocRef(AWSB, "whether such associations are listed for the participant at all"),),
        "",  # needs VPC sharing, which the story does not set up
    ),
    Check(
        "association-client-dns-name",
        "a client in a VPC associated with the network reaches a configuration by the resource "
        "association's dnsEntry (`snra-…`) name",
        (
            DocRef(AWSB, "**Which DNS name** a client in the VPC uses"),
            DocRef(LIM, "UNVERIFIED. The one hint is the `dnsEntry`"),
        ),
        "the probe function (in the consumer VPC) invoked with the snra dnsEntry name while associated",
    ),
    Check(
        "invitation-expiry",
        "an unaccepted invitation for a resource configuration expires after 12 hours",
        (DocRef(AWSB, "Invitations for resource configurations expire after 12 hours"),),
        "",  # 12 hours: beyond any acceptance run
    ),
    Check(
        "ram-associating-time",
        "a resource added to a share is ASSOCIATING first, then ASSOCIATED (how long: measured)",
        (
            DocRef(AWSB, "how long RAM keeps a resource `ASSOCIATING`"),
            DocRef(LIM, "how long RAM keeps a resource newly added to a share"),
        ),
        "GetResourceShareAssociations(RESOURCE) of the second configuration from the add until ASSOCIATED",
    ),
    Check(
        "share-usable-lag",
        "an accepted share becomes usable (ListResources AVAILABLE, endpoint created) after a lag (measured)",
        (DocRef(AWSB, "How long the lag is (the 10 s are not evidence)"),),
        "the time from the invitation's ACCEPTED to the controller's first managed endpoint",
    ),
    Check(
        "accept-endpoint-association-delays",
        "how long an accepted share takes to be listed AVAILABLE, a new endpoint to leave `pending` and a "
        "service-network VPC association to leave `CREATE_IN_PROGRESS` (the emulation's delays assume them)",
        (DocRef(AWSB, "all three times (the bench's figures assume them)"),),
        "",  # the story waits on each but times only the accept's lag (share-usable-lag)
    ),
    Check(
        "ram-accept-event",
        "RAM sends `Resource Share Association` / `associated` to the consumer's bus when an accept "
        "completes",
        (DocRef(AWSB, "RAM sends `Resource Share Association` / `associated`"),),
        "",  # the runner reads neither the consumer's bus nor the controller's logs
    ),
    Check(
        "group-default-port-ranges",
        "a GROUP configuration created without port ranges reads back `1-65535`",
        (DocRef(AWSB, "the port ranges a GROUP without them reads back"),),
        "",  # the product always passes port ranges; the story creates no GROUP
    ),
    Check(
        "domain-verification-timing",
        "a domain verification's TXT format and time to VERIFIED / VERIFICATION_TIMED_OUT",
        (DocRef(AWSB, "the TXT record's format, the time to `VERIFIED`"),),
        "",  # needs a public domain the run can publish a TXT record in
    ),
    Check(
        "dynamodb-clock-spread",
        "DynamoDB's Date headers agree with one another and with EC2's CreationTimestamp within the "
        "lease margin",
        (DocRef(AWSB, "how closely DynamoDB's hosts agree"),),
        "",  # the runner never reads the state table
    ),
    Check(
        "custom-resource-identity",
        "which identity CloudFormation invokes the custom resource's function with",
        (
            DocRef(AWSB, "Which identity CloudFormation invokes the function with"),
            DocRef(SEC, "which of the two is UNVERIFIED"),
        ),
        "",  # needs CloudTrail; immaterial to the check the controller makes
    ),
    Check(
        "vpce-service-name-absent-on-create",
        "`ec2:VpceServiceName` is absent from the request context of a Resource/ServiceNetwork create "
        "(the deployed role's Null condition admits it)",
        (
            DocRef(
                AWSB, "that the key is absent from the request context of a `Resource` or `ServiceNetwork`"
            ),
            DocRef(SEC, "`ec2:CreateVpcEndpoint` on `vpc-endpoint/*`"),
            DocRef(SEC, "`ec2:VpceServiceName` is absent for `Resource`/`ServiceNetwork` creates"),
        ),
        "the controller (deployed role) creates the Resource and the ServiceNetwork endpoints",
    ),
    Check(
        "vpce-service-name-absent-on-delete",
        "`ec2:VpceServiceName` is absent from the request context of a Resource endpoint delete",
        (DocRef(SEC, "`ec2:DeleteVpcEndpoints` on `vpc-endpoint/*`"),),
        "the controller (deployed role) deletes the endpoints after the unshare grace",
    ),
    Check(
        "resource-endpoint-lattice-permission",
        "creating a Resource endpoint needs no VPC Lattice permission in the consumer account",
        (
            DocRef(SEC, "`vpc-lattice:AssociateViaAWSService` and friends"),
            DocRef(LIM, "whether creating a `Resource` endpoint needs a VPC Lattice permission"),
        ),
        "the controller's create under the deployed role, which grants no vpc-lattice action for it",
    ),
    Check(
        "service-network-endpoint-permission",
        "`vpc-lattice:CreateServiceNetworkVpcEndpointAssociation` is the only extra permission a "
        "ServiceNetwork endpoint needs",
        (DocRef(LIM, "a refusal shows as `permission` in the audit"),),
        "the controller's ServiceNetwork endpoint create under the deployed role",
    ),
    Check(
        "service-network-endpoint-rows",
        "DescribeVpcEndpointAssociations lists one row per configuration in the network, with a DNS name",
        (DocRef(LIM, "A service-network endpoint's rows are UNVERIFIED"),),
        "the rows of the managed ServiceNetwork endpoint against the network's one configuration",
    ),
    Check(
        "put-events-per-entry-source",
        "EventBridge evaluates `events:source` per entry of a many-entry PutEvents",
        (DocRef(SEC, "many-entry `PutEvents` is UNVERIFIED"),),
        "",  # needs an SCP and a mixed batch: not the product's path
    ),
    Check(
        "ram-lists-child",
        "RAM lists a CHILD configuration on its own; EC2 refuses a Resource endpoint for a CHILD",
        (DocRef(LIM, "whether RAM ever lists a CHILD resource configuration on its own"),),
        "",  # the story shares no GROUP
    ),
    Check(
        "ram-event-payloads",
        "the full payloads of RAM's EventBridge events",
        (DocRef(LIM, "the full payloads of RAM's EventBridge events"),),
        "",  # the controller logs them; the runner does not read its logs
    ),
    Check(
        "lattice-region-answer",
        "what a Region without VPC Lattice answers to ListResourceConfigurations (linkpilot doctor)",
        (DocRef(AWSB, "what a Region without VPC Lattice answers"),),
        "",  # the run needs a Region with VPC Lattice
    ),
    Check(
        "endpoint-quota-in-service-quotas",
        "Service Quotas names the quota of resource endpoints per VPC (linkpilot doctor reads it)",
        (DocRef(AWSB, "the quota's name in Service Quotas"),),
        "linkpilot doctor's quota read in the consumer account, before the deploy",
    ),
    Check(
        "tagging-api-lists-run-resources",
        "the Resource Groups Tagging API lists the kinds the run tags (the teardown's second net)",
        (DocRef(AWSB, "that it lists every kind the run tags"),),
        "GetResources by the run's tag once both stacks and the run's own objects exist",
    ),
    Check(
        "stackset-ssm-parameters",
        "a StackSet resolves the SSM-typed parameters in each target account",
        (DocRef(LIM, "that a StackSet resolves the SSM-typed parameters"),),
        "",  # the acceptance run deploys with sam deploy, not a StackSet
    ),
)

CHECKS: Final[Mapping[str, Check]] = {c.name: c for c in CATALOGUE}

# Why the local target never settles a check (shown with what the emulation did).
EMULATED: Final = "emulated, not evidence of AWS"


def verdicts(target: Target, observations: Iterable[Observation]) -> list[CheckResult]:
    """One result per catalogued check, in catalogue order. An observation for an unknown check is a bug of
    the driver (``KeyError``)."""
    seen: dict[str, Observation] = {}
    for given in observations:
        CHECKS[given.check]  # an unknown name is a driver's bug: KeyError here
        seen[given.check] = given
    results = []
    for check in CATALOGUE:
        o = seen.get(check.name)
        if target is Target.LOCAL:
            observed = f"{EMULATED}: {o.seen}" if o else "not exercised locally"
            results.append(CheckResult(check.name, Verdict.NOT_REACHED, observed))
        elif o is None:
            why = "the run stopped before it" if check.on_aws else "the story does not reach it"
            results.append(CheckResult(check.name, Verdict.NOT_REACHED, why))
        elif o.holds is None:
            results.append(CheckResult(check.name, Verdict.NOT_REACHED, o.seen))
        else:
            verdict = Verdict.VERIFIED if o.holds else Verdict.CONTRADICTED
            results.append(CheckResult(check.name, verdict, o.seen))
    return results
