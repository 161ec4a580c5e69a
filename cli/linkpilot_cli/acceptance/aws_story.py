"""The acceptance story on two real accounts (``AwsStory.run``) and what each step observes for the checks.
Everything made is tagged, its undo registered with the teardown as soon as it exists. The functions run in
Lambda on their own triggers: the story changes what a person would, then polls until AWS shows the outcome
(the consumer stack reconciles every minute, with a two-minute unshare grace: about 75 minutes a run).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Final

from linkpilot_cli.acceptance import observe
from linkpilot_cli.acceptance.checks import Observation
from linkpilot_cli.acceptance.plan import Plan, consumer_baseline, consumer_parameters, provider_parameters
from linkpilot_cli.acceptance.run_steps import StepFailed, Steps, Teardown
from linkpilot_cli.adapters.acceptance_aws import Account, wait_for

MINUTES: Final = 60.0
PORT: Final = 8080


class AwsStory:
    def __init__(
        self,
        plan: Plan,
        provider: Account,
        consumer: Account,
        steps: Steps,
        teardown: Teardown,
        *,
        deploy: Callable[[str, str, str, dict[str, str]], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.plan, self.p, self.c, self.steps, self.teardown, self.deploy = (
            plan, provider, consumer, steps, teardown, deploy,
        )  # fmt: skip
        self.sleep = sleep
        self.observations: list[Observation] = []
        self.run_id = plan.run_id
        self.out: dict[str, str] = {}
        self.c_vpc = ""
        self.zones: list[str] = []

    def run(self) -> None:
        s = self.steps.run
        s("provider stack deployed (sam deploy): gateway, configuration, share, sample target", self.provider)
        s("consumer stack deployed (sam deploy) on the run's VPC baseline", self.consumer_stack)
        s("share → the controller accepts → endpoint created and available", self.share_and_accept)
        s("probe through the endpoint: the target answers", self.probe_ok)
        s("target down → ProbeTargetsFailing ALARM; back → OK", self.down_and_back)
        s("a second configuration (TCP 8080) → its endpoint, probed with kind tcp", self.second_configuration)
        s("a shared service network, endpoint mode → one ServiceNetwork endpoint", self.network_endpoint)
        s("ServiceNetworkMode=association → one tagged VPC association", self.network_association)
        s("unshare → the grace → endpoints and the association deleted", self.unshare)
        s("uninstall: both stacks deleted; nothing tagged left; no managed endpoint", self.uninstall)

    def _wait(self, what: str, check: Callable[[], Any], minutes: float) -> Any:
        return wait_for(what, check, timeout_s=minutes * MINUTES, sleep=self.sleep)

    def _see(self, found: Observation | list[Observation] | None) -> None:
        self.observations += found if isinstance(found, list) else [found] if found else []

    # -- the steps -----------------------------------------------------------------------------------

    def provider(self) -> str:
        if found := self.c.linkpilot_already_here():  # before anything is made
            shown = ", ".join(found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
            raise StepFailed(
                f"the consumer account already has what Linkpilot manages ({shown}): the run's stack would "
                "manage it and its delete remove it; use accounts without Linkpilot"
            )
        # zone ids both accounts have (names differ per account): the endpoints must share the gateway's zones
        self.zones = sorted(set(self.p.zone_ids()) & set(self.c.zone_ids()))[:2]
        if len(self.zones) < 2:
            raise StepFailed(f"the two accounts share fewer than two zone ids in {self.plan.region}")
        vpc, subnets, _ = self.p.make_vpc("10.80.0.0/16", self.zones)
        self.teardown.add("provider VPC", lambda: self.p.delete_vpc(vpc, subnets))
        stack = self.plan.provider_stack
        self.teardown.add(f"stack {stack}", lambda: self.p.delete_stack(stack))
        self._retained(self.p, stack)
        self.deploy(
            "provider", "provider/template.yaml", stack, provider_parameters(self.run_id, vpc, subnets)
        )
        self.out = self.p.stack_outputs(stack)
        return f"configuration {self.out['ResourceConfigurationArn'].rsplit('/', 1)[-1]}"

    def consumer_stack(self) -> str:
        # the probe goes in the VPC's default group, which the endpoints get too (no EndpointSecurityGroupIds)
        self.c_vpc, subnets, default_sg = self.c.make_vpc("10.81.0.0/16", self.zones)
        vpc = self.c_vpc
        self.teardown.add("consumer VPC", lambda: self.c.delete_vpc(vpc, subnets))
        baseline = consumer_baseline(self.run_id, vpc, subnets, default_sg)
        for name, (value, kind) in baseline.items():
            self.c.put_parameter(name, value, kind)
            self.teardown.add(f"parameter {name}", partial(self.c.delete_parameter, name))
        doctor = self._doctor(vpc, subnets)
        stack = self.plan.consumer_stack
        self.teardown.add("the endpoint directory of the run's endpoints", self.c.delete_directory)
        self.teardown.add(f"stack {stack}", lambda: self.c.delete_stack(stack))
        params = consumer_parameters(self.run_id, self.p.id, self.plan.region)
        self._retained(self.c, stack)
        self.deploy("consumer", "template.yaml", stack, params)
        self.out.update({f"consumer:{k}": v for k, v in self.c.stack_outputs(stack).items()})
        return f"{stack}; {doctor}"

    def _retained(self, account: Account, stack: str) -> None:
        """The audit table outlives its stack by design (DeletionPolicy Retain), also when a failed create
        rolls back: registered before the deploy, it is looked up when the teardown comes (before the stack's
        delete) and deleted, if the stack made one."""
        self.teardown.add(
            f"the audit table of {stack} (the stack keeps it)",
            lambda: account.delete_stack_table(stack, "AuditTable"),
        )

    def _doctor(self, vpc: str, subnets: list[str]) -> str:
        """``linkpilot doctor`` on the consumer account, as a person would run it before the deploy."""
        from linkpilot_cli.adapters.doctor_reads import DoctorReads
        from linkpilot_cli.doctor import DoctorOptions, diagnose

        try:  # advisory here: what it says goes into the step's line, a failure of its own stops nothing
            found = diagnose(DoctorReads(self.c.session), DoctorOptions("consumer", vpc, tuple(subnets)))
        except Exception as exc:  # noqa: BLE001 - reported in the step's detail
            return f"doctor could not run: {exc!r}"
        self._see(observe.doctor_quota(found))
        return observe.doctor_summary(found)

    def share_and_accept(self) -> str:
        self.p.set_parameter(self.out["ConsumerListParameterName"], json.dumps([self.c.id]))
        started = time.monotonic()
        # an invitation to accept, or none inside an organization with RAM sharing on: the endpoint then comes
        self._wait(
            "the invitation ACCEPTED (or, inside an organization, the endpoint)",
            lambda: (
                self.c.invitations(self.out["ResourceShareArn"]) == ["ACCEPTED"]
                or self.c.managed_endpoints(self.c_vpc)
            ),
            10,
        )
        accepted, invited = time.monotonic(), self.c.invitations(self.out["ResourceShareArn"]) == ["ACCEPTED"]
        eps = self._wait("a managed endpoint", lambda: self.c.managed_endpoints(self.c_vpc), 10)
        lag = f"endpoint {time.monotonic() - accepted:.0f} s after ACCEPTED seen"
        no_lag = "no invitation (shared inside the organization): no lag to measure"
        self._see(
            Observation("share-usable-lag", lag, True) if invited else Observation("share-usable-lag", no_lag)
        )
        self._see(observe.endpoint_creates("Resource", [(200, "")]))  # made by the controller's own role
        available = self._wait(
            "the endpoint available",
            lambda: [e for e in self.c.managed_endpoints(self.c_vpc) if e["State"].lower() == "available"],
            10,
        )
        self._see(observe.endpoint_states([e["State"] for e in [*eps, *available]]))
        self.endpoint_id = available[0]["VpcEndpointId"]
        return f"{self.endpoint_id}; accepted after {accepted - started:.0f} s"

    def _probe(self, event: dict[str, Any]) -> dict[str, dict[str, Any]]:
        result = self.c.invoke(self.out["consumer:ProbeFunctionName"], event)
        return {r["target"]: r for r in result.get("results", [])}

    def probe_ok(self) -> str:
        group = self.out["consumer:ProbeScheduleGroupName"]
        inputs = self._wait("the probe schedule's target", lambda: self.c.probe_inputs(group), 5)
        rows = self._probe(inputs[0])
        row = rows.get(self.endpoint_id, {})
        if not row.get("ok"):
            raise StepFailed(f"probe verdict {row.get('verdict')}: {row.get('error')}")
        return f"verdict {row.get('verdict')}"

    def down_and_back(self) -> str:
        alarm = self.out["consumer:ProbeTargetsFailingAlarmName"]
        instance = self.p.stack_resource(self.plan.provider_stack, "SampleTargetInstance")
        ec2 = self.p.c("ec2")
        ec2.stop_instances(InstanceIds=[instance])
        self._wait("ALARM", lambda: self.c.alarm_state(alarm) == "ALARM", 12)
        ec2.start_instances(InstanceIds=[instance])
        self._wait("OK", lambda: self.c.alarm_state(alarm) == "OK", 15)
        return f"{alarm}: ALARM, then OK"

    def second_configuration(self) -> str:
        out, p = self.out, self.p
        arn = p.make_configuration(
            "tcp", out["SampleTargetPrivateIp"], out["ResourceGatewayId"], PORT, shareable=False
        )
        self.teardown.add("the TCP configuration", lambda: p.delete_configuration(arn))
        share = out["ResourceShareArn"]
        first = p.add_to_share(share, arn)
        self.teardown.add("the TCP configuration's share", lambda: p.remove_from_share(share, resource=arn))
        t0 = time.monotonic()
        self._wait("ASSOCIATED", lambda: p.resource_share_status(share, arn) == "ASSOCIATED", 10)
        took = f"answered {first}; ASSOCIATED after {time.monotonic() - t0:.0f} s"
        self._see(Observation("ram-associating-time", took, first == ["ASSOCIATING"]))
        name = out["consumer:PolicyParameterName"]
        policy = json.loads(self.c.get_parameter(name))
        override = {"match": arn, "kind": "tcp", "port": PORT}
        policy.setdefault("probe", {}).setdefault("overrides", []).append(override)
        self.c.set_parameter(name, json.dumps(policy))
        self._wait("the TCP configuration's endpoint", lambda: self._endpoints_of(arn), 10)
        return arn.rsplit("/", 1)[-1]

    def _endpoints_of(self, configuration: str) -> list[dict[str, Any]]:
        key = "linkpilot:resource-configuration-arn"
        return [
            e
            for e in self.c.managed_endpoints(self.c_vpc)
            if {"Key": key, "Value": configuration} in e.get("Tags", [])
        ]

    def network_endpoint(self) -> str:
        out, p = self.out, self.p
        arn = p.make_configuration(
            "sn", out["SampleTargetPrivateIp"], out["ResourceGatewayId"], PORT, shareable=True
        )
        self.teardown.add("the network's configuration", lambda: p.delete_configuration(arn))
        self.network_arn, snra, self.network_share = p.make_network(arn, self.c.id)
        network, share = self.network_arn, self.network_share
        self.teardown.add("the service network and its share", lambda: p.delete_network(network, snra, share))
        endpoint = self._wait(
            "the ServiceNetwork endpoint available",
            lambda: [
                e
                for e in self.c.managed_endpoints(self.c_vpc)
                if e.get("ServiceNetworkArn") == network and e["State"].lower() == "available"
            ],
            15,
        )[0]
        self._see(observe.endpoint_creates("ServiceNetwork", [(200, "")]))
        self._see(observe.service_network_rows(self.c.endpoint_rows(endpoint["VpcEndpointId"]), 1))
        entries = p.network_dns_entries(network)
        self.snra_name = str(entries[0].get("domainName", "")) if entries else ""
        self._see(observe.hosted_zone_ids(str(e.get("hostedZoneId", "")) for e in entries))
        return str(endpoint["VpcEndpointId"])

    def network_association(self) -> str:
        self.c.update_stack_parameter(self.plan.consumer_stack, "ServiceNetworkMode", "association")
        assoc = self._wait(
            "a managed VPC association ACTIVE",
            lambda: [a for a in self.c.vpc_associations(self.c_vpc) if a.get("status") == "ACTIVE"],
            10,
        )[0]
        self._see(observe.association_create(200, "", str(assoc.get("arn", "")), self.c.id))
        group = self.out["consumer:ProbeScheduleGroupName"]
        inputs = self.c.probe_inputs(group)
        if self.snra_name and inputs and inputs[0].get("targets"):
            target = {
                **inputs[0]["targets"][0],
                "endpoint_id": assoc["id"],
                "dns_name": self.snra_name,
                "kind": "tcp",
                "port": PORT,
            }
            event = {"defaults": inputs[0].get("defaults", {}), "targets": [target]}
            row = self._probe(event).get(assoc["id"], {})
            seen = f"tcp probe of the association's dnsEntry name from the VPC: {row.get('verdict')}"
            self._see(Observation("association-client-dns-name", seen, bool(row.get("ok"))))
        return str(assoc["id"])

    def unshare(self) -> str:
        shared = len(self.c.managed_endpoints(self.c_vpc))  # what the controller must delete after the grace
        self.p.set_parameter(self.out["ConsumerListParameterName"], "[]")
        self.p.remove_from_share(self.network_share, principal=self.c.id)
        self.sleep(60)
        listed = bool(self.c.vpc_associations(self.c_vpc))
        seen = f"listed by VPC a minute after the unshare: {listed}"
        self._see(Observation("association-listed-after-unshare", seen, listed))
        self._wait("no managed endpoint", lambda: not self.c.managed_endpoints(self.c_vpc), 15)
        self._see(observe.endpoint_deletes([], shared))  # deleted by the controller's own role
        self._wait("no VPC association", lambda: not self._live_associations(), 10)
        return "deleted after the grace"

    def _live_associations(self) -> list[dict[str, Any]]:
        return [a for a in self.c.vpc_associations(self.c_vpc) if a.get("status") != "DELETE_IN_PROGRESS"]

    def uninstall(self) -> str:
        kinds = {arn.split(":")[2] for arn in left_tagged(self.p, self.c)}
        seen = f"services listed by the run's tag: {sorted(kinds)}"
        holds = {"ec2", "ssm", "vpc-lattice", "ram"} <= kinds
        self._see(Observation("tagging-api-lists-run-resources", seen, holds))
        # the consumer stack first: its custom resource deletes the managed endpoints; then what
        # `linkpilot cleanup --dry-run` would list (in the run's VPC) must be nothing
        self.c.delete_stack(self.plan.consumer_stack)
        if managed := [e["VpcEndpointId"] for e in self.c.managed_endpoints(self.c_vpc)]:
            raise StepFailed(f"managed endpoints left after the stack delete: {managed}")
        self.teardown.run(self.steps.out)  # the rest in reverse order: the run's objects, the provider stack
        if self.teardown.failed:
            raise StepFailed(f"the teardown failed: {self.teardown.failed}")
        self._wait("nothing tagged left", lambda: not left_tagged(self.p, self.c), 10)
        return "no managed endpoint after the stack delete; nothing tagged left"


def left_tagged(provider: Account, consumer: Account) -> list[str]:
    """What the Resource Groups Tagging API still lists with the run's tag, in either account."""
    return [
        f"{arn} ({who})"
        for who, account in (("provider", provider), ("consumer", consumer))
        for arn in account.tagged_left()
    ]
