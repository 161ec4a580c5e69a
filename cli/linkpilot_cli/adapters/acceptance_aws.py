"""The AWS calls of ``linkpilot acceptance --aws``: one account's clients (made by ``linkpilot_cli.aws``),
the reads the story polls, the few things the run makes itself (VPCs, the extra configurations, the service
network and its share, the baseline parameters), their deletes, and the search for anything left tagged.

Everything made here carries ``linkpilot:acceptance=<run id>``. Deletes treat "not found" as done, so the
teardown can run any number of times.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, Final

from botocore.exceptions import ClientError, WaiterError

from linkpilot_cli.aws import Clients

TAG_KEY: Final = "linkpilot:acceptance"
# "not found" in each service's words (CloudFormation's ValidationError: the stack does not exist; EC2's
# Invalid<Thing>.NotFound codes end with NotFound and are matched so)
GONE: Final = frozenset(
    {"ParameterNotFound", "ResourceNotFoundException", "UnknownResourceException", "ValidationError"}
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class Account:
    """One account of the run: its session, its id, and the calls the story makes there."""

    def __init__(self, session: Any, run_id: str) -> None:
        self.session, self.run_id = session, run_id
        self.c = Clients(session)
        self.id = str(self.c("sts").get_caller_identity()["Account"])
        self.region = str(session.region_name)

    @property
    def tags(self) -> list[dict[str, str]]:
        return [{"Key": TAG_KEY, "Value": self.run_id}]

    # -- what the run makes -------------------------------------------------------------------------

    def zone_ids(self) -> list[str]:
        """The ids (``use1-az1``) of the Region's available Availability Zones, sorted. Ids, not names: a
        zone's name maps to a different zone in each account, and an endpoint must share a zone with the
        resource gateway."""
        zones = self.c("ec2").describe_availability_zones(
            Filters=[
                {"Name": "zone-type", "Values": ["availability-zone"]},
                {"Name": "state", "Values": ["available"]},
            ]
        )["AvailabilityZones"]
        return sorted(str(z["ZoneId"]) for z in zones)

    def make_vpc(self, cidr: str, zone_ids: Sequence[str]) -> tuple[str, list[str], str]:
        """A VPC with one subnet in each of ``zone_ids`` (zone ids, the same in both accounts), tagged:
        (VPC, subnets, its default security group)."""
        ec2 = self.c("ec2")
        spec = [{"ResourceType": "vpc", "Tags": self.tags}]
        vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=spec)["Vpc"]["VpcId"]
        base = cidr.split("/", 1)[0].rsplit(".", 2)[0]
        subnets = [
            ec2.create_subnet(
                VpcId=vpc,
                CidrBlock=f"{base}.{i}.0/24",
                AvailabilityZoneId=zone,
                TagSpecifications=[{"ResourceType": "subnet", "Tags": self.tags}],
            )["Subnet"]["SubnetId"]
            for i, zone in enumerate(zone_ids)
        ]
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"]
        return vpc, subnets, str(groups[0]["GroupId"])

    def delete_vpc(self, vpc: str, subnets: list[str], *, timeout_s: float = 2700) -> None:
        """Deletes the subnets and the VPC, retrying while something still holds them: a deleted VPC Lambda
        function releases its network interfaces only after a while (the probe's, here)."""
        ec2 = self.c("ec2")

        def gone() -> bool:
            try:
                for subnet in subnets:
                    self._gone(lambda s=subnet: ec2.delete_subnet(SubnetId=s))
                self._gone(lambda: ec2.delete_vpc(VpcId=vpc))
            except ClientError as exc:
                if error_code(exc) != "DependencyViolation":
                    raise
                return False
            return True

        wait_for(f"{vpc} deleted", gone, timeout_s=timeout_s, every_s=30)

    def put_parameter(self, name: str, value: str, kind: str = "String") -> None:
        self.c("ssm").put_parameter(Name=name, Value=value, Type=kind, Overwrite=True)
        self.c("ssm").add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=self.tags)

    def set_parameter(self, name: str, value: str) -> None:
        self.c("ssm").put_parameter(Name=name, Value=value, Overwrite=True)

    def get_parameter(self, name: str) -> str:
        return str(self.c("ssm").get_parameter(Name=name)["Parameter"]["Value"])

    def delete_parameter(self, name: str) -> None:
        self._gone(lambda: self.c("ssm").delete_parameter(Name=name))

    def lattice_tags(self) -> dict[str, str]:
        return {TAG_KEY: self.run_id}

    def delete_stack(self, name: str) -> None:
        cfn = self.c("cloudformation")
        self._gone(lambda: cfn.delete_stack(StackName=name))
        try:
            cfn.get_waiter("stack_delete_complete").wait(
                StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 120}
            )
        except WaiterError as exc:
            if "does not exist" not in str(exc):
                raise

    def delete_table(self, name: str) -> None:
        self._gone(lambda: self.c("dynamodb").delete_table(TableName=name))

    def update_stack_parameter(self, name: str, key: str, value: str) -> None:
        """A stack update that changes one parameter and keeps the template and the other values."""
        cfn = self.c("cloudformation")
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        params = [
            {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
            for p in stack.get("Parameters", [])
            if p["ParameterKey"] != key
        ]
        cfn.update_stack(
            StackName=name,
            UsePreviousTemplate=True,
            Parameters=[*params, {"ParameterKey": key, "ParameterValue": value}],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        cfn.get_waiter("stack_update_complete").wait(
            StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 120}
        )

    def stack_outputs(self, name: str) -> dict[str, str]:
        stack = self.c("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}

    def stack_resource(self, name: str, logical: str) -> str:
        found = self.c("cloudformation").describe_stack_resource(StackName=name, LogicalResourceId=logical)
        return str(found["StackResourceDetail"]["PhysicalResourceId"])

    def make_configuration(self, name: str, ip: str, gateway: str, port: int, *, shareable: bool) -> str:
        """A SINGLE TCP configuration of ``ip:port`` on the stack's gateway, tagged; its ARN."""
        cfg = self.c("vpc-lattice").create_resource_configuration(
            name=f"lp-acc-{self.run_id}-{name}"[:40],
            type="SINGLE",
            protocol="TCP",
            portRanges=[str(port)],
            resourceGatewayIdentifier=gateway,
            resourceConfigurationDefinition={"ipResource": {"ipAddress": ip}},
            allowAssociationToShareableServiceNetwork=shareable,
            tags=self.lattice_tags(),
        )
        return str(cfg["arn"])

    def delete_configuration(self, arn: str) -> None:
        lattice = self.c("vpc-lattice")
        self._gone(lambda: lattice.delete_resource_configuration(resourceConfigurationIdentifier=arn))

    def add_to_share(self, share: str, arn: str) -> list[str]:
        """The statuses ``AssociateResourceShare`` answers for the resource."""
        answer = self.c("ram").associate_resource_share(resourceShareArn=share, resourceArns=[arn])
        return [str(a["status"]) for a in answer["resourceShareAssociations"]]

    def remove_from_share(self, share: str, *, resource: str = "", principal: str = "") -> None:
        ram = self.c("ram")
        which = {"resourceArns": [resource]} if resource else {"principals": [principal]}
        self._gone(lambda: ram.disassociate_resource_share(resourceShareArn=share, **which))
        if resource:  # asynchronous: the configuration can be deleted once it is out of the share
            wait_for(
                "the resource out of the share",
                lambda: self.resource_share_status(share, resource) in {"", "DISASSOCIATED"},
                timeout_s=300,
                every_s=10,
            )

    def make_network(self, configuration: str, consumer: str) -> tuple[str, str, str]:
        """A service network holding ``configuration``, shared with ``consumer``: (network ARN, resource
        association id, share ARN), all tagged."""
        lattice = self.c("vpc-lattice")
        network = lattice.create_service_network(name=f"lp-acc-{self.run_id}"[:40], tags=self.lattice_tags())
        snra = lattice.create_service_network_resource_association(
            serviceNetworkIdentifier=network["id"],
            resourceConfigurationIdentifier=configuration,
            tags=self.lattice_tags(),
        )
        share = self.c("ram").create_resource_share(
            name=f"linkpilot-acc-{self.run_id}-network",
            resourceArns=[network["arn"]],
            principals=[consumer],
            allowExternalPrincipals=True,
            tags=[{"key": TAG_KEY, "value": self.run_id}],
        )
        return str(network["arn"]), str(snra["id"]), str(share["resourceShare"]["resourceShareArn"])

    def delete_network(self, network: str, association: str, share: str) -> None:
        lattice = self.c("vpc-lattice")
        self._gone(lambda: self.c("ram").delete_resource_share(resourceShareArn=share))
        self._gone(
            lambda: lattice.delete_service_network_resource_association(
                serviceNetworkResourceAssociationIdentifier=association
            )
        )
        wait_for(
            "the network's resource association deleted",
            lambda: (
                not lattice.list_service_network_resource_associations(serviceNetworkIdentifier=network)[
                    "items"
                ]
            ),
            timeout_s=600,
        )
        self._gone(lambda: lattice.delete_service_network(serviceNetworkIdentifier=network))

    def network_dns_entries(self, network: str) -> list[dict[str, Any]]:
        items = self.c("vpc-lattice").list_service_network_resource_associations(
            serviceNetworkIdentifier=network
        )
        return [dict(i.get("dnsEntry") or {}) for i in items.get("items", [])]

    # -- what the story reads -------------------------------------------------------------------------

    def managed_endpoints(self, vpc: str) -> list[dict[str, Any]]:
        eps = self.c("ec2").describe_vpc_endpoints(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc]},
                {"Name": "tag:linkpilot:managed", "Values": ["true"]},
            ]
        )["VpcEndpoints"]
        return [e for e in eps if str(e.get("State", "")).lower() not in {"deleted", "deleting"}]

    def endpoint_rows(self, endpoint_id: str) -> list[dict[str, Any]]:
        answer = self.c("ec2").describe_vpc_endpoint_associations(VpcEndpointIds=[endpoint_id])
        return list(answer.get("VpcEndpointAssociations", []))

    def invitations(self, share: str) -> list[str]:
        """The statuses of the invitations to ``share`` (the run's; other shares' invitations, from the same
        account too, are not the run's), every page."""
        pages = self.c("ram").get_paginator("get_resource_share_invitations")
        return [
            str(i["status"])
            for page in pages.paginate(resourceShareArns=[share])
            for i in page.get("resourceShareInvitations", [])
        ]

    def alarm_state(self, name: str) -> str:
        alarms = self.c("cloudwatch").describe_alarms(AlarmNames=[name])["MetricAlarms"]
        return str(alarms[0]["StateValue"]) if alarms else "MISSING"

    def probe_inputs(self, group: str) -> list[dict[str, Any]]:
        scheduler = self.c("scheduler")
        names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
        return [json.loads(scheduler.get_schedule(GroupName=group, Name=n)["Target"]["Input"]) for n in names]

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        answer = self.c("lambda").invoke(FunctionName=function, Payload=json.dumps(event).encode())
        result: dict[str, Any] = json.loads(answer["Payload"].read() or b"{}")
        return result

    def vpc_associations(self, vpc: str) -> list[dict[str, Any]]:
        found = self.c("vpc-lattice").list_service_network_vpc_associations(vpcIdentifier=vpc)
        return list(found.get("items", []))

    def resource_share_status(self, share: str, resource: str) -> str:
        rows = self.c("ram").get_resource_share_associations(
            associationType="RESOURCE", resourceShareArns=[share], resourceArn=resource
        )["resourceShareAssociations"]
        return str(rows[0]["status"]) if rows else ""

    def tagged_left(self) -> list[str]:
        """ARNs the Resource Groups Tagging API still lists with this run's tag (deleted resources can stay
        listed for a while: the caller waits and asks again)."""
        pages = self.c("resourcegroupstaggingapi").get_paginator("get_resources")
        return [
            str(r["ResourceARN"])
            for page in pages.paginate(TagFilters=[{"Key": TAG_KEY, "Values": [self.run_id]}])
            for r in page.get("ResourceTagMappingList", [])
        ]

    @staticmethod
    def _gone(call: Any) -> None:
        """Runs a delete; "not found" is done, anything else propagates."""
        try:
            call()
        except ClientError as exc:
            if error_code(exc) not in GONE and not error_code(exc).endswith("NotFound"):
                raise


def wait_for(what: str, check: Any, *, timeout_s: float, every_s: float = 15, sleep: Any = None) -> Any:
    """Polls ``check`` until it returns something truthy, sleeping ``every_s`` between tries (``sleep``, else
    ``time.sleep``); ``TimeoutError`` naming ``what`` after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{what}: not within {timeout_s:.0f} s")
        (sleep or time.sleep)(every_s)
