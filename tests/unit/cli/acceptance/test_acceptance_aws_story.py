"""The AWS story against a stand-in of the two accounts (no AWS): every step runs in order, each observation
reaches its check, and the uninstall leaves nothing. What AWS really answers is for the run on AWS to say;
this pins the story's own logic (what it waits for, what it concludes)."""

from __future__ import annotations

import io
import json
from typing import Any

from linkpilot_cli.acceptance.aws_target import run_aws
from linkpilot_cli.acceptance.catalogue import CATALOGUE, verdicts
from linkpilot_cli.acceptance.checks import Target, Verdict
from linkpilot_cli.acceptance.plan import AcceptanceOptions, aws_plan
from linkpilot_cli.adapters.recorder import Recorder

OPTIONS = AcceptanceOptions(aws=True, provider_profile="prov", consumer_profile="cons", yes=True)
P, C = "111111111111", "222222222222"
NET = f"arn:aws:vpc-lattice:us-east-1:{P}:servicenetwork/sn-1"


class World:
    """What both accounts hold, changed the way the deployed functions would change it."""

    def __init__(self) -> None:
        self.consumers: list[str] = []
        self.endpoints: list[dict[str, Any]] = []
        self.associations: list[dict[str, Any]] = []
        self.policy = {"probe": {}}
        self.alarm = "OK"
        self.stacks: set[str] = set()
        self.log: list[str] = []
        self.organization = False  # shared inside an organization: no invitation

    def react(self) -> None:  # the controller's reconcile, in one go
        if self.consumers and not any(e["VpcEndpointType"] == "Resource" for e in self.endpoints):
            self.endpoints.append(self._endpoint("vpce-1", "Resource", cfg="rcfg-web"))
        if not self.consumers:
            self.endpoints.clear()

    @staticmethod
    def _endpoint(eid: str, kind: str, *, cfg: str = "", network: str = "") -> dict[str, Any]:
        tags = [{"Key": "linkpilot:managed", "Value": "true"}]
        if cfg:
            tags.append({"Key": "linkpilot:resource-configuration-arn", "Value": cfg})
        return {
            "VpcEndpointId": eid,
            "VpcEndpointType": kind,
            "State": "Available",
            "Tags": tags,
            "ServiceNetworkArn": network,
        }


class Ec2:
    def __init__(self, world: World) -> None:
        self.world = world

    def stop_instances(self, InstanceIds: list[str]) -> None:
        self.world.alarm = "ALARM"

    def start_instances(self, InstanceIds: list[str]) -> None:
        self.world.alarm = "OK"


class Account:
    def __init__(self, world: World, account_id: str) -> None:
        self.w, self.id = world, account_id

    def c(self, service: str) -> Any:
        return Ec2(self.w)

    def linkpilot_already_here(self) -> list[str]:
        return []

    def zone_ids(self) -> list[str]:  # the accounts share use1-az2 and use1-az4 only
        return ["use1-az1", "use1-az2", "use1-az4"] if self.id == P else ["use1-az2", "use1-az3", "use1-az4"]

    def make_vpc(self, cidr: str, zone_ids: list[str]) -> tuple[str, list[str], str]:
        self.w.log.append(f"make vpc {self.id[0]} in {','.join(zone_ids)}")
        return f"vpc-{self.id[0]}", ["subnet-a", "subnet-b"], "sg-1"

    def delete_vpc(self, *a: Any) -> None:
        self.w.log.append(f"delete vpc {self.id[0]}")

    def put_parameter(self, name: str, value: str, kind: str = "String") -> None: ...

    def delete_parameter(self, name: str) -> None: ...

    def delete_stack(self, name: str) -> None:
        if name.endswith("consumer"):
            self.w.endpoints.clear()  # DeleteEndpointsOnStackDelete=true
        self.w.stacks.discard(name)

    def stack_outputs(self, name: str) -> dict[str, str]:
        self.w.stacks.add(name)
        return {
            "ResourceConfigurationArn": "rcfg-web",
            "ResourceShareArn": "share-1",
            "ResourceGatewayId": "rgw-1",
            "ConsumerListParameterName": "/consumers",
            "SampleTargetPrivateIp": "10.80.0.10",
            "PolicyParameterName": "/policy",
            "ProbeScheduleGroupName": "group",
            "ProbeFunctionName": "probe",
            "ProbeTargetsFailingAlarmName": "failing",
        }

    def stack_resource(self, name: str, logical: str) -> str:
        return {"SampleTargetInstance": "i-1", "AuditTable": f"audit-{name[-8:]}"}[logical]

    def delete_directory(self) -> None:
        self.w.log.append("delete the directory of the endpoints seen")

    def delete_stack_table(self, stack: str, logical: str) -> None:
        self.w.log.append(f"delete {self.stack_resource(stack, logical)}")

    def set_parameter(self, name: str, value: str) -> None:
        if name == "/consumers":
            self.w.consumers = json.loads(value)
            self.w.react()
        elif name == "/policy":
            self.w.policy = json.loads(value)
            cfg = self.w.policy["probe"]["overrides"][-1]["match"]
            self.w.endpoints.append(World._endpoint("vpce-2", "Resource", cfg=cfg))

    def get_parameter(self, name: str) -> str:
        return json.dumps(self.w.policy)

    def invitations(self, share: str) -> list[str]:
        assert share == "share-1"  # the run's share, not every invitation the account has
        return ["ACCEPTED"] if self.w.consumers and not self.w.organization else []

    def managed_endpoints(self, vpc: str) -> list[dict[str, Any]]:
        return list(self.w.endpoints)

    def probe_inputs(self, group: str) -> list[dict[str, Any]]:
        return [{"defaults": {}, "targets": [{"endpoint_id": "vpce-1", "dns_name": "x", "kind": "http"}]}]

    def invoke(self, function: str, event: dict[str, Any]) -> dict[str, Any]:
        return {
            "results": [{"target": t["endpoint_id"], "ok": True, "verdict": "ok"} for t in event["targets"]]
        }

    def alarm_state(self, name: str) -> str:
        return self.w.alarm

    def make_configuration(self, name: str, ip: str, gateway: str, port: int, *, shareable: bool) -> str:
        return f"arn:aws:vpc-lattice:us-east-1:{P}:resourceconfiguration/rcfg-{name}"

    def delete_configuration(self, arn: str) -> None: ...

    def add_to_share(self, share: str, arn: str) -> list[str]:
        return ["ASSOCIATING"]

    def remove_from_share(self, share: str, **_: str) -> None: ...

    def resource_share_status(self, share: str, arn: str) -> str:
        return "ASSOCIATED"

    def make_network(self, configuration: str, consumer: str) -> tuple[str, str, str]:
        self.w.endpoints.append(World._endpoint("vpce-3", "ServiceNetwork", network=NET))
        return NET, "snra-1", "share-2"

    def delete_network(self, *a: str) -> None: ...

    def endpoint_rows(self, endpoint_id: str) -> list[dict[str, Any]]:
        return [{"VpcEndpointId": endpoint_id, "DnsEntry": {"DnsName": "vpce-3-snra-1.rcfg-sn.on.aws"}}]

    def network_dns_entries(self, network: str) -> list[dict[str, Any]]:
        return [{"domainName": "snra-1.rcfg-sn.on.aws", "hostedZoneId": "Z03265862FOUNWMZOKUF4"}]

    def update_stack_parameter(self, name: str, key: str, value: str) -> None:
        self.w.endpoints = [e for e in self.w.endpoints if e["VpcEndpointType"] != "ServiceNetwork"]
        arn = f"arn:aws:vpc-lattice:us-east-1:{C}:servicenetworkvpcassociation/snva-1"
        self.w.associations.append({"id": "snva-1", "arn": arn, "status": "ACTIVE"})

    def vpc_associations(self, vpc: str) -> list[dict[str, Any]]:
        associations = list(self.w.associations)
        if not self.w.consumers:  # the grace passes while the story polls: deleted after the first look
            self.w.associations.clear()
        return associations

    def tagged_left(self) -> list[str]:
        return []


def test_the_story_runs_in_order_and_settles_what_it_reaches() -> None:
    world, deployed = World(), []
    out = io.StringIO()
    result = run_aws(
        OPTIONS,
        aws_plan(OPTIONS, "r1"),
        out,
        Recorder(Target.AWS, "r1"),
        accounts=lambda: (Account(world, P), Account(world, C)),
        deploy=lambda which, template, stack, params: deployed.append((which, template, params)),
        sleep=lambda s: None,
    )
    assert result.error == "", out.getvalue()
    assert [s.ok for s in result.steps] == [True] * 10, [s.detail for s in result.steps]
    assert [d[:2] for d in deployed] == [
        ("provider", "provider/template.yaml"),
        ("consumer", "template.yaml"),
    ]
    # the consumer list under the run's name, never the default an installation may own
    assert deployed[0][2]["ConsumerListParameterName"] == "/linkpilot-acceptance/r1/consumers"
    assert (
        deployed[1][2]["DeleteEndpointsOnStackDelete"] == "true"
        and deployed[1][2]["UnshareGraceMinutes"] == "2"
    )
    by_name = {r.name: r for r in verdicts(Target.AWS, result.observations)}
    verified = sorted(n for n, r in by_name.items() if r.verdict is Verdict.VERIFIED)
    assert verified == sorted(
        [
            "association-arn-account",
            "association-client-dns-name",
            "association-listed-after-unshare",
            "endpoint-state-case",
            "ram-associating-time",
            "resource-association-hosted-zone-case",
            "resource-endpoint-lattice-permission",
            "service-network-endpoint-permission",
            "service-network-endpoint-rows",
            "share-usable-lag",
            "tag-resource-on-create",
            "vpce-service-name-absent-on-create",
            "vpce-service-name-absent-on-delete",
        ]
    )
    assert by_name["invitation-expiry"].verdict is Verdict.NOT_REACHED
    # what the catalogue says a run on AWS looks at is what the story observes, no more, no less
    # (but the doctor's quota read: linkpilot doctor needs a session, which the stand-in has not)
    looked_at = {c.name for c in CATALOGUE if c.on_aws} - {"endpoint-quota-in-service-quotas"}
    assert {o.check for o in result.observations} == looked_at
    deletes = next(o for o in result.observations if o.check == "vpce-service-name-absent-on-delete")
    assert deletes.seen.startswith("2 managed endpoint delete(s)")  # the two Resource endpoints shared
    assert (
        result.leftovers == []
        and world.endpoints == []
        and world.log
        == [
            "make vpc 1 in use1-az2,use1-az4",  # zone ids both accounts have, the same in both
            "make vpc 2 in use1-az2,use1-az4",
            "delete audit-consumer",
            "delete the directory of the endpoints seen",  # after the consumer stack's delete
            "delete vpc 2",
            "delete audit-provider",
            "delete vpc 1",
        ]
    )


def test_inside_an_organization_there_is_no_lag_to_measure() -> None:
    world = World()
    world.organization = True
    result = run_aws(
        OPTIONS,
        aws_plan(OPTIONS, "r1"),
        io.StringIO(),
        Recorder(Target.AWS, "r1"),
        accounts=lambda: (Account(world, P), Account(world, C)),
        deploy=lambda *_: None,
        sleep=lambda s: None,
    )
    lag = next(r for r in verdicts(Target.AWS, result.observations) if r.name == "share-usable-lag")
    assert lag.verdict is Verdict.NOT_REACHED and lag.observed.startswith("no invitation")
