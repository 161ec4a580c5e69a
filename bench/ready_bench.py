"""From "the provider shared it" to "our endpoint works and is watched", at the pace AWS allows (issue 25).

Both real templates are deployed into the local AWS (``linkpilot_local.deploy``); the real handlers run
in-process on their real triggers only (``linkpilot_demo.triggers.LocalLambda``): the RAM events the
emulation emits, the reconcile schedule (``rate(5 minutes)``), the probe schedules, the follow-up queue and
the controller's asynchronous invocation of the probe. Nothing runs a function because the story needs it.

AWS-like delays, as parameters of the emulation's clock (``linkpilot_local.delays.Delays``). They are
ASSUMPTIONS until the acceptance suite measures them on AWS: an accepted share is listed (AVAILABLE) 30 s
after the accept (RAM completes an accept asynchronously; terraform's accepter polls for it); a new resource
or ServiceNetwork endpoint stays ``pending`` 90 s; a service-network VPC association stays
``CREATE_IN_PROGRESS`` 60 s. Events arrive with no delay, and EventBridge, SQS and Lambda add none of
their own (also assumptions).

Rows, each a ratio to its floor, the least time AWS needs on that path: for the two onboardings the delays on
the path (30 s + 90 s) plus one probe round trip (that run's own duration); for an unshare the grace (15
minutes, from the run the unshare's RAM event triggered). Goal: <= 1.3x the floor. Each path runs in three
worlds whose reconcile schedule ticks at a different phase; a row reports the worst. The same with the
follow-ups off (``LINKPILOT_FOLLOW_UP_QUEUE`` unset: the reconcile schedule alone), so the gain is visible,
and what the follow-ups cost an onboarding: the extra Lambda invocations and AWS calls (the consumer
account's, every function's) in the first 10 minutes after the share, follow-ups on minus off.
"""

from __future__ import annotations

import json
import statistics
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path as FilePath
from typing import Any

from bench.timing import Spread, row
from linkpilot_demo.lambdas import LocalFunction, LogSink
from linkpilot_demo.reference_target import reference_target
from linkpilot_demo.triggers import LocalLambda
from linkpilot_demo.world import (
    CONSUMER,
    EXPECTED_BODY,
    NETWORK_DOMAIN,
    PROVIDER,
    REPO,
    TARGET_DOMAIN,
    TARGET_PORT,
    aws_like_delays,
    deploy_provider,
    make_demo_vpc,
)
from linkpilot_local import LocalAws
from linkpilot_local.deploy import deploy_stack, stackset_instance_stack_name, write_baseline

DELAYS = aws_like_delays()
SHARE_LISTED = DELAYS.share_listed
ENDPOINT_PENDING: timedelta = DELAYS.endpoint_pending
ASSOCIATION_CREATING: timedelta = DELAYS.association_creating
GRACE = timedelta(minutes=15)  # the consumer stack's UnshareGraceMinutes default
PHASES = (timedelta(seconds=40), timedelta(seconds=130), timedelta(seconds=250))
COST_WINDOW = timedelta(minutes=10)
DRIFT = timedelta(seconds=47)  # moves each path's start off the schedule's ticks (with the phase)
GOAL = 1.3


@dataclass
class Path:
    """One path in one world: how long it took (simulated seconds) and its floor."""

    took: float
    floor: float

    @property
    def ratio(self) -> float:
        return self.took / self.floor


@dataclass
class World:
    """One run of the three paths with one reconcile-schedule phase, follow-ups on or off."""

    paths: dict[str, Path] = field(default_factory=dict)
    invocations: int = 0  # in the cost window after the trusted invitation's share
    calls: int = 0
    follow_ups: int = 0


def _world(follow_ups: bool, phase: timedelta) -> World:
    delays = DELAYS
    world = World()
    target = reference_target()
    log = LogSink(FilePath(tempfile.mkdtemp(prefix="linkpilot-ready-")) / "functions.log")
    with LocalAws(delays=delays) as aws:
        p_sess, c_sess = aws.session(PROVIDER), aws.session(CONSUMER)
        provider = deploy_provider(p_sess)
        target.start()
        aws.map_target(TARGET_DOMAIN, TARGET_PORT, (target.host, target.port))
        aws.map_target(NETWORK_DOMAIN, TARGET_PORT, (target.host, target.port))
        c_vpc, c_subnets, c_sg = make_demo_vpc(c_sess, "10.1.0.0/16")
        write_baseline(
            c_sess,
            REPO / "template.yaml",
            {"EndpointVpcId": c_vpc, "EndpointSubnetIds": c_subnets, "ProbeSecurityGroupIds": [c_sg]},
        )
        consumer = deploy_stack(
            c_sess,
            REPO / "template.yaml",
            stack_name=stackset_instance_stack_name("linkpilot-consumer"),
            parameters={
                "TrustedAccounts": [PROVIDER],
                "ProbeExpectedBody": EXPECTED_BODY,
                "ProbeTimeoutSeconds": 2,
                "AllowedServiceNetworkArns": [f"arn:aws:vpc-lattice:*:{PROVIDER}:servicenetwork/*"],
            },
        )
        controller_spec = consumer.functions["ControllerFunction"]
        if not follow_ups:
            controller_spec.environment.pop("LINKPILOT_FOLLOW_UP_QUEUE", None)
        controller = LocalFunction(controller_spec, c_sess, aws.region, log)
        probe = LocalFunction(consumer.functions["ProbeFunction"], c_sess, aws.region, log)
        controller.module().FUNCTION.clock = aws.clock.now
        service = LocalLambda(aws, phase=phase)
        service.add(controller, c_sess)
        service.add(probe, c_sess, resolver=aws.resolver)
        service.scheduler_group(c_sess, consumer.physical["ProbeScheduleGroup"])
        ec2, ram = c_sess.client("ec2"), p_sess.client("ram")
        lattice = p_sess.client("vpc-lattice")

        def managed() -> dict[str, str]:
            with aws.emulation.quiet():
                eps = ec2.describe_vpc_endpoints(
                    Filters=[{"Name": "tag:linkpilot:managed", "Values": ["true"]}]
                )["VpcEndpoints"]
            return {e["VpcEndpointId"]: e["State"].lower() for e in eps}

        def first_verdict(known: set[str]) -> tuple[str, Any] | None:
            for i in service.of("ProbeFunction"):
                for r in (i.result or {}).get("results", []):
                    if r.get("target") not in known and r.get("verdict"):
                        return r["target"], i
            return None

        def onboard(name: str, share: Any) -> str:
            known = set(managed())
            t0 = aws.clock.now()
            share()
            calls0, runs0 = len(aws.call_log), len(service.invocations)
            service.run_until(t0 + timedelta(minutes=15), stop=lambda: first_verdict(known) is not None)
            found = first_verdict(known)
            if found is None:
                raise RuntimeError(f"{name}: no probe verdict through a new endpoint within 15 minutes")
            endpoint_id, probed = found
            rtt = (probed.ended - probed.started).total_seconds()
            floor = (SHARE_LISTED + ENDPOINT_PENDING).total_seconds() + rtt
            world.paths[name] = Path((probed.ended - t0).total_seconds(), floor)
            if name == "invitation":  # the cost of one onboarding: a fixed window, the same in both modes
                service.run_until(t0 + COST_WINDOW)
                consumer_calls = [c for c in aws.call_log[calls0:] if c[0] == CONSUMER]
                window = service.invocations[runs0:]
                world.invocations = len(window)
                world.calls = len(consumer_calls)
                world.follow_ups = sum(1 for i in window if i.trigger == "queue")
            return endpoint_id

        share_arn = provider.outputs["ResourceShareArn"]
        web = onboard(
            "invitation",
            lambda: ram.associate_resource_share(resourceShareArn=share_arn, principals=[CONSUMER]),
        )

        def share_network() -> None:
            cfg = lattice.create_resource_configuration(
                name="ready-api",
                type="SINGLE",
                portRanges=[str(TARGET_PORT)],
                resourceGatewayIdentifier=provider.physical["ResourceGateway"],
                resourceConfigurationDefinition={
                    "dnsResource": {"domainName": NETWORK_DOMAIN, "ipAddressType": "IPV4"}
                },
            )
            network = lattice.create_service_network(name="ready-network")
            lattice.create_service_network_resource_association(
                serviceNetworkIdentifier=network["id"], resourceConfigurationIdentifier=cfg["id"]
            )
            aws.clock.advance(seconds=1)  # the provider's own set-up settles before it shares
            ram.create_resource_share(
                name="ready-network", resourceArns=[network["arn"]], principals=[CONSUMER]
            )

        # each path starts at its own offset from the reconcile schedule's ticks: a path that began right
        # after a scheduled run (the last one ended with it) would always see the schedule at its best
        service.run_for(DRIFT + phase / 2)
        onboard("service network", share_network)

        # the unshare: the web configuration's endpoint goes after the grace
        service.run_for(DRIFT + phase)
        t0 = aws.clock.now()
        ram.disassociate_resource_share(resourceShareArn=share_arn, principals=[CONSUMER])
        service.run_until(
            t0 + GRACE + timedelta(minutes=10), stop=lambda: managed().get(web) in {None, "deleting"}
        )
        deletes = [
            i
            for i in service.of("ControllerFunction")
            if i.started >= t0
            and any(
                a["action"] == "delete-endpoint" and a["outcome"] == "done" and a["endpoint_id"] == web
                for a in ((i.result or {}).get("summary") or {}).get("actions", [])
            )
        ]
        if not deletes:
            raise RuntimeError("unshare: the endpoint was not deleted within the grace + 10 minutes")
        marked = _missing_since(service.of("ControllerFunction"), t0, web)
        world.paths["unshare"] = Path(
            (deletes[0].ended - t0).total_seconds(), (marked - t0 + GRACE).total_seconds()
        )
    target.stop()
    log.close()
    return world


def _missing_since(runs: list[Any], t0: datetime, endpoint_id: str) -> datetime:
    """When the controller first saw the web configuration missing (the start of its grace)."""
    for i in runs:
        summary = (i.result or {}).get("summary") or {}
        for g in summary.get("awaiting_grace", []):
            if i.started >= t0 and g["endpoint_id"] == endpoint_id:
                return datetime.fromisoformat(g["missing_since"])
    return t0


LABELS = {
    "invitation": "ready: trusted invitation to first probe verdict through the new endpoint",
    "service network": "ready: service network (endpoint mode) to first probe verdict through its endpoint",
    "unshare": "ready: unshare to delete of the endpoint after the 15-minute grace",
}


def run() -> list[dict[str, Any]]:
    worlds = {(on, p): _world(on, p) for on in (True, False) for p in PHASES}
    rows: list[dict[str, Any]] = []
    for on in (True, False):
        for path, label in LABELS.items():
            runs = [worlds[(on, p)].paths[path] for p in PHASES]
            worst = max(runs, key=lambda r: r.ratio)
            took = Spread(tuple(r.took for r in runs))
            ratio = worst.ratio
            rows.append(
                row(
                    f"{label} (follow-ups {'on' if on else 'off'})",
                    worst.took,
                    "s",
                    goal=f"<= {GOAL:g}x floor" if on else None,
                    ok=ratio <= GOAL if on else None,
                    spread=took,
                    judged_on="max",
                    reference=("floor: AWS delays on the path + probe round trip, or the grace", worst.floor),
                    ratio=ratio,
                    basis=(
                        f"simulated seconds, worst of {len(PHASES)} reconcile-schedule phases; "
                        f"delays assumed: share listed {SHARE_LISTED.seconds} s, endpoint pending "
                        f"{ENDPOINT_PENDING.seconds} s, association creating {ASSOCIATION_CREATING.seconds} s"
                    ),
                )
            )
    extra_runs = [worlds[(True, p)].invocations - worlds[(False, p)].invocations for p in PHASES]
    extra_calls = [worlds[(True, p)].calls - worlds[(False, p)].calls for p in PHASES]
    follow_up_runs = [worlds[(True, p)].follow_ups for p in PHASES]
    rows.append(
        row(
            "ready: extra Lambda invocations per onboarding with follow-ups (on - off, first 10 min)",
            statistics.median(extra_runs),
            "count",
            basis=f"median of {len(PHASES)} phases: {extra_runs}; follow-up runs: {follow_up_runs}",
        )
    )
    rows.append(
        row(
            "ready: extra AWS calls per onboarding with follow-ups (on - off, first 10 min)",
            statistics.median(extra_calls),
            "calls",
            basis=f"median of {len(PHASES)} phases: {extra_calls} (the consumer account's, every function's)",
        )
    )
    return rows


if __name__ == "__main__":
    for result in run():
        print(json.dumps(result, default=str))
