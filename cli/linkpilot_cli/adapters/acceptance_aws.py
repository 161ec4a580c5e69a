"""The AWS calls of ``linkpilot acceptance --aws``: one account's clients (made by ``linkpilot_cli.aws``),
the reads the story polls, the few things the run makes itself (VPCs, the baseline parameters; the extra
configurations, the service network and its share: ``acceptance_shares``), their deletes, and the search for
anything left tagged.

Everything made here carries ``linkpilot:acceptance=<run id>``. Deletes treat "not found" as done, so the
teardown can run any number of times.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from typing import Any, Final

from botocore.exceptions import ClientError, WaiterError

from linkpilot_cli.acceptance.plan import TAG_KEY
from linkpilot_cli.adapters.acceptance_shares import SharesAndNetworks, error_code, gone, wait_for
from linkpilot_cli.aws import Clients

MANAGED_TAG: Final = "linkpilot:managed"  # what the consumer stack's controller manages, in any VPC


class Account(SharesAndNetworks):
    """One account of the run: its session, its id, and the calls the story makes there."""

    def __init__(self, session: Any, run_id: str) -> None:
        self.session, self.run_id = session, run_id
        self.c = Clients(session)
        self.id = str(self.c("sts").get_caller_identity()["Account"])
        self.seen_endpoints: set[str] = set()
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
        subnets: list[str] = []
        try:
            for i, zone in enumerate(zone_ids):
                made = ec2.create_subnet(
                    VpcId=vpc,
                    CidrBlock=f"{base}.{i}.0/24",
                    AvailabilityZoneId=zone,
                    TagSpecifications=[{"ResourceType": "subnet", "Tags": self.tags}],
                )
                subnets.append(str(made["Subnet"]["SubnetId"]))
            groups = ec2.describe_security_groups(
                Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
            )["SecurityGroups"]
        except BaseException:  # half made (Ctrl-C too): the teardown knows nothing of it yet, so undo it here
            with contextlib.suppress(Exception):
                self.delete_vpc(vpc, subnets, timeout_s=0)
            raise
        return vpc, subnets, str(groups[0]["GroupId"])

    def delete_vpc(self, vpc: str, subnets: list[str], *, timeout_s: float = 2700) -> None:
        """Deletes the subnets and the VPC, retrying while something still holds them: a deleted VPC Lambda
        function releases its network interfaces only after a while (the probe's, here)."""
        ec2 = self.c("ec2")

        def deleted() -> bool:
            try:
                for subnet in subnets:
                    gone(lambda s=subnet: ec2.delete_subnet(SubnetId=s))
                gone(lambda: ec2.delete_vpc(VpcId=vpc))
            except ClientError as exc:
                if error_code(exc) != "DependencyViolation":
                    raise
                return False
            return True

        wait_for(f"{vpc} deleted", deleted, timeout_s=timeout_s, every_s=30)

    def put_parameter(self, name: str, value: str, kind: str = "String") -> None:
        # tagged as it is made (Tags excludes Overwrite: the run's names are its own, new)
        self.c("ssm").put_parameter(Name=name, Value=value, Type=kind, Tags=self.tags)

    def set_parameter(self, name: str, value: str) -> None:
        self.c("ssm").put_parameter(Name=name, Value=value, Overwrite=True)

    def get_parameter(self, name: str) -> str:
        return str(self.c("ssm").get_parameter(Name=name)["Parameter"]["Value"])

    def delete_parameter(self, name: str) -> None:
        gone(lambda: self.c("ssm").delete_parameter(Name=name))

    def delete_stack(self, name: str) -> None:
        cfn = self.c("cloudformation")
        gone(lambda: cfn.delete_stack(StackName=name))
        try:
            cfn.get_waiter("stack_delete_complete").wait(
                StackName=name, WaiterConfig={"Delay": 15, "MaxAttempts": 120}
            )
        except WaiterError as exc:
            if "does not exist" not in str(exc):
                raise

    def delete_stack_table(self, stack: str, logical: str) -> None:
        """Deletes the table ``stack`` made as ``logical`` (one it keeps: DeletionPolicy Retain); nothing when
        the stack, or the table in it, does not exist (a deploy that failed before it)."""
        try:
            found = self.c("cloudformation").describe_stack_resource(
                StackName=stack, LogicalResourceId=logical
            )
        except ClientError as exc:
            if error_code(exc) == "ValidationError":  # no such stack, or no such resource in it
                return
            raise
        if table := str(found["StackResourceDetail"].get("PhysicalResourceId", "")):
            gone(lambda: self.c("dynamodb").delete_table(TableName=table))

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

    # -- what the story reads -------------------------------------------------------------------------

    def linkpilot_already_here(self) -> list[str]:
        """What a Linkpilot installation already has in this account: endpoints tagged
        ``linkpilot:managed=true`` (any VPC), service-network VPC associations so tagged, the endpoint
        directory's parameters. The run's consumer stack would take them as its own: its controller
        reconciles every managed endpoint of the account, its directory prunes, and its delete removes them
        all. The run refuses such an account (it may delete only what it made)."""
        managed = [{"Name": f"tag:{MANAGED_TAG}", "Values": ["true"]}]
        endpoints = [
            str(e["VpcEndpointId"])
            for page in self.c("ec2").get_paginator("describe_vpc_endpoints").paginate(Filters=managed)
            for e in page.get("VpcEndpoints", [])
            if str(e.get("State", "")).lower() not in {"deleted", "deleting"}
        ]
        tagging = self.c("resourcegroupstaggingapi").get_paginator("get_resources")
        associations = [
            str(r["ResourceARN"])
            for page in tagging.paginate(
                TagFilters=[{"Key": MANAGED_TAG, "Values": ["true"]}],
                ResourceTypeFilters=["vpc-lattice:servicenetworkvpcassociation"],
            )
            for r in page.get("ResourceTagMappingList", [])
        ]
        directory = [
            str(p["Name"])
            for page in self.c("ssm")
            .get_paginator("get_parameters_by_path")
            .paginate(Path="/linkpilot/endpoints", Recursive=True)
            for p in page.get("Parameters", [])
        ]
        return [*endpoints, *associations, *directory]

    def managed_endpoints(self, vpc: str) -> list[dict[str, Any]]:
        """The managed endpoints of the run's VPC (each one seen is remembered: ``delete_directory``)."""
        eps = self.c("ec2").describe_vpc_endpoints(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc]},
                {"Name": "tag:linkpilot:managed", "Values": ["true"]},
            ]
        )["VpcEndpoints"]
        self.seen_endpoints.update(str(e["VpcEndpointId"]) for e in eps)
        return [e for e in eps if str(e.get("State", "")).lower() not in {"deleted", "deleting"}]

    def delete_directory(self) -> None:
        """The endpoint directory's parameters (``/linkpilot/endpoints/<endpoint id>/…``) of the endpoints
        the run saw in its VPC, and no others: the controller deletes them with the endpoints it deletes, but
        the stack's delete, which removes the endpoints left, does not."""
        ssm = self.c("ssm")
        for endpoint in sorted(self.seen_endpoints):
            pages = ssm.get_paginator("get_parameters_by_path").paginate(
                Path=f"/linkpilot/endpoints/{endpoint}", Recursive=True
            )
            for name in [str(p["Name"]) for page in pages for p in page.get("Parameters", [])]:
                gone(lambda n=name: ssm.delete_parameter(Name=n))

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

    def tagged_left(self) -> list[str]:
        """ARNs the Resource Groups Tagging API still lists with this run's tag (deleted resources can stay
        listed for a while: the caller waits and asks again)."""
        pages = self.c("resourcegroupstaggingapi").get_paginator("get_resources")
        return [
            str(r["ResourceARN"])
            for page in pages.paginate(TagFilters=[{"Key": TAG_KEY, "Values": [self.run_id]}])
            for r in page.get("ResourceTagMappingList", [])
        ]


__all__ = ["Account", "error_code", "wait_for"]
