"""The reads of ``linkpilot doctor``: read-only calls, and EC2 ``DryRun`` calls that change nothing. Each
answer is plain data; an AWS error the doctor expects is turned into a value by name (``denied``, ``not
offered``), never raised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from botocore.parsers import ResponseParserError

from linkpilot_cli.aws import Clients

DENIED: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess"}
)
PLACEHOLDER_ENDPOINT: Final = "vpce-00000000000000000"


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


@dataclass(frozen=True)
class Answer:
    ok: bool | None  # None: cannot tell (denied, or AWS does not say)
    detail: str


class DoctorReads:
    def __init__(self, session: Any) -> None:
        self.session = session
        self.region = str(session.region_name)
        self.c = Clients(session)

    def caller(self) -> tuple[str, str]:
        who = self.c("sts").get_caller_identity()
        return str(who["Account"]), str(who["Arn"])

    def lattice_configurations(self) -> Answer:
        try:
            self.c("vpc-lattice").list_resource_configurations(maxResults=1)
        except EndpointConnectionError:
            return Answer(False, f"no VPC Lattice endpoint in {self.region}")
        except ClientError as exc:
            if _code(exc) in DENIED:
                return Answer(None, "listing resource configurations was denied")
            return Answer(False, f"{_code(exc)} listing resource configurations")
        return Answer(True, f"ListResourceConfigurations answers in {self.region}")

    def parameter(self, name: str) -> str | None:
        try:
            return str(self.c("ssm").get_parameter(Name=name)["Parameter"]["Value"])
        except ClientError as exc:
            if _code(exc) == "ParameterNotFound" or _code(exc) in DENIED:
                return None
            raise

    def subnets(self, ids: list[str]) -> list[dict[str, str]] | None:
        """``SubnetId``, ``VpcId``, ``AvailabilityZone`` of each; None when one of them does not exist."""
        try:
            found = self.c("ec2").describe_subnets(SubnetIds=ids)["Subnets"]
        except ClientError as exc:
            if _code(exc).startswith("InvalidSubnet"):
                return None
            raise
        return [{k: str(s[k]) for k in ("SubnetId", "VpcId", "AvailabilityZone")} for s in found]

    def vpc_zones(self, vpc: str) -> set[str]:
        found = self.c("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        return {str(s["AvailabilityZone"]) for s in found}

    def endpoints_in_vpc(self, vpc: str) -> int:
        """Resource and ServiceNetwork endpoints of the VPC, not deleted."""
        pages = self.c("ec2").get_paginator("describe_vpc_endpoints")
        return sum(
            1
            for page in pages.paginate(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
            for e in page["VpcEndpoints"]
            if e.get("VpcEndpointType") in {"Resource", "ServiceNetwork"}
            and str(e.get("State", "")).lower() not in {"deleted", "deleting"}
        )

    def endpoint_quota(self) -> int | None:
        """The quota of resource endpoints per VPC (applied, else default), if Service Quotas names one."""
        quotas = self.c("service-quotas")
        try:
            pages = quotas.get_paginator("list_aws_default_service_quotas")
            for page in pages.paginate(ServiceCode="vpc"):
                for q in page.get("Quotas", []):
                    name = str(q.get("QuotaName", "")).lower()
                    if "resource" in name and "endpoint" in name and "vpc" in name:
                        try:
                            applied = quotas.get_service_quota(ServiceCode="vpc", QuotaCode=q["QuotaCode"])
                            return int(applied["Quota"]["Value"])
                        except ClientError:
                            return int(q["Value"])
        # the last two: a stand-in without the simulator (moto: in process it raises, behind `linkpilot local
        # serve` it answers an HTML page botocore cannot parse)
        except (ClientError, BotoCoreError, NotImplementedError, ResponseParserError):
            return None
        return None

    def role_exists(self, name: str) -> bool | None:
        try:
            self.c("iam").get_role(RoleName=name)
        except ClientError as exc:
            if _code(exc) == "NoSuchEntity":
                return False
            if _code(exc) in DENIED:
                return None
            raise
        return True

    def organization_sharing(self) -> Answer:
        """Whether RAM sharing with the organization is on (trusted access for ram.amazonaws.com)."""
        orgs = self.c("organizations")
        try:
            orgs.describe_organization()
        except ClientError as exc:
            if _code(exc) == "AWSOrganizationsNotInUseException":
                return Answer(False, "the account is in no AWS Organization")
            if _code(exc) in DENIED:
                return Answer(None, "describing the organization was denied")
            raise
        try:  # every page: an organization trusts many services, a page holds 20 at most
            pages = orgs.get_paginator("list_aws_service_access_for_organization").paginate()
            enabled = [p for page in pages for p in page.get("EnabledServicePrincipals", [])]
        except ClientError as exc:
            if _code(exc) in DENIED or _code(exc) == "AccessDeniedException":
                return Answer(None, "only the management account can list trusted access")
            raise
        on = any(p.get("ServicePrincipal") == "ram.amazonaws.com" for p in enabled)
        return Answer(on, "trusted access for ram.amazonaws.com is " + ("on" if on else "off"))

    def dry_run(self, operation: str, **params: Any) -> Answer:
        """An EC2 call with ``DryRun``: allowed (``DryRunOperation``), denied, or inconclusive."""
        try:
            getattr(self.c("ec2"), operation)(DryRun=True, **params)
        except ClientError as exc:
            code = _code(exc)
            if code == "DryRunOperation":
                return Answer(True, "allowed (DryRun)")
            if code in DENIED:
                return Answer(False, "denied (DryRun: UnauthorizedOperation)")
            return Answer(None, f"inconclusive (DryRun answered {code})")
        return Answer(None, "inconclusive (the DryRun call succeeded without DryRunOperation)")

    def simulate(self, principal: str, actions: list[str]) -> dict[str, str] | None:
        """``iam:SimulatePrincipalPolicy`` decisions per action; None when the simulation is refused."""
        try:
            found = self.c("iam").simulate_principal_policy(PolicySourceArn=principal, ActionNames=actions)
        # the last two: a stand-in without the simulator (moto: in process it raises, behind `linkpilot local
        # serve` it answers an HTML page botocore cannot parse)
        except (ClientError, BotoCoreError, NotImplementedError, ResponseParserError):
            return None
        return {str(r["EvalActionName"]): str(r["EvalDecision"]) for r in found.get("EvaluationResults", [])}
