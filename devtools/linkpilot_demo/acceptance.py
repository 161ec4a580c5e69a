"""``linkpilot acceptance`` against the local AWS: the demo's world and steps
(``linkpilot_demo.steps.DemoRun``) in the acceptance story's order, then the uninstall, with every answer the
clients received (the functions' included) recorded, so that the same observers as on AWS report what the
emulation showed.

The story: provider stack, consumer stack → share, accept, endpoint, probe ok → target down (ALARM) and back
(OK) → a second configuration probed with tcp → a service network in endpoint mode, then association mode
(and back) → unshare, grace, delete → uninstall: the consumer stack's delete (its custom resource, as
CloudFormation sends it), then nothing Linkpilot made is left and ``linkpilot cleanup --dry-run`` lists
nothing. The local deployer has no stack delete: the stacks' own resources are CloudFormation's to delete and
are not checked here (the AWS target checks them).

Nothing here is evidence of AWS: the runner marks every check ``not reached`` for this target.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from linkpilot_cli.acceptance import observe
from linkpilot_cli.acceptance.checks import Observation
from linkpilot_cli.acceptance.report import RunResult, StepResult
from linkpilot_cli.adapters.recorder import Exchange, Recorder
from linkpilot_demo import service_networks, zones
from linkpilot_demo.world import CONSUMER, REPO, DemoOptions, aws_like_delays

__all__ = ["run_local"]


def run_local(out: TextIO, recorder: Recorder, *, log_path: Path | None = None) -> RunResult:
    """Runs the story against a fresh local AWS in this process; ``recorder`` receives every answer."""
    from linkpilot_demo.lambdas import LogSink
    from linkpilot_demo.reference_target import reference_target
    from linkpilot_demo.scenario import loopback_only, play
    from linkpilot_demo.steps import DemoRun
    from linkpilot_demo.timeline import Timeline
    from linkpilot_local import LocalAws

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    loopback_only()
    options = DemoOptions(log_path=log_path or REPO / ".acceptance" / "local.log")
    sink = LogSink(options.log_path)
    target = reference_target()
    result = RunResult()
    with recorder.attach_to_new_sessions():
        aws = LocalAws(delays=aws_like_delays())  # the demo's: its steps expect them
        tl = Timeline(out, sim_now=lambda: aws.clock.now())  # noqa: PLW0108 - no clock before start
        crash = play(
            lambda: DemoRun(options, aws, tl, sink, target), _story, aws=aws, target=target, sink=sink
        )
        if crash is not None:
            result.error = f"the run stopped on an error: {crash} (log: {sink.path})"
    result.steps = [
        StepResult(s.title, not s.failures, "; ".join(s.failures) or "; ".join(s.details[:2]))
        for s in tl.steps
    ]
    result.observations = observations(recorder.exchanges, consumer=CONSUMER)
    return result


def _story(run: Any) -> list[Callable[[], None]]:
    return [
        run.deploy_provider,
        run.write_consumer_baseline,
        run.deploy_consumer,
        run.onboard_consumer,
        run.accept_share_and_create_endpoint,
        run.publish_probe_target,
        run.probe_target_up,
        run.probe_target_down,
        run.probe_target_back,
        functools.partial(zones.add_database, run),
        functools.partial(service_networks.share_service_network, run),
        functools.partial(_read_network_associations, run),
        functools.partial(service_networks.switch_to_association, run),
        run.unshare,
        functools.partial(uninstall, run),
    ]


def _read_network_associations(run: Any) -> None:
    """What a provider sees of its network (the resource association's DNS entry; a check reads it)."""
    with run.tl.step("provider lists its network's resource associations") as s:
        lattice = run.p_sess.client("vpc-lattice")
        items = lattice.list_service_network_resource_associations(serviceNetworkIdentifier=run.network_arn)[
            "items"
        ]
        s.expect(len(items) == 1, "one resource association in the network")


def uninstall(run: Any) -> None:
    """The consumer stack's delete as CloudFormation sends it to ``ManagedEndpointsCleanup`` (its answer, a
    PUT to the presigned URL, kept here instead of sent), then nothing Linkpilot made is left and
    ``linkpilot cleanup --dry-run`` lists nothing."""
    with run.tl.step("uninstall: the stack's delete leaves nothing; cleanup --dry-run finds nothing") as s:
        answers: list[dict[str, Any]] = []
        stack_id = f"arn:aws:cloudformation:{run.region}:{CONSUMER}:stack/{run.consumer.name}/local"
        request = {
            "RequestType": "Delete",
            "ResponseURL": (
                "https://cloudformation-custom-resource-response-useast1.s3.us-east-1.amazonaws.com/"
                "acceptance?X-Amz-Signature=0"
            ),
            "StackId": stack_id,
            "RequestId": "acceptance-uninstall",
            "LogicalResourceId": "ManagedEndpointsCleanup",
            "PhysicalResourceId": run.consumer.physical.get("ManagedEndpointsCleanup", "cleanup"),
            "ResourceType": "Custom::LinkpilotManagedEndpoints",
            "ResourceProperties": {"ServiceToken": "arn", "DeleteManagedEndpoints": "true"},
        }
        with _answers_kept(answers):
            run.controller.invoke(request)
        s.expect(
            [a.get("Status") for a in answers] == ["SUCCESS"], "the stack's custom resource answered SUCCESS"
        )
        run.aws.clock.advance(seconds=5)
        s.expect(run.managed_endpoints() == [], "no managed endpoint is left")
        lattice = run.c_sess.client("vpc-lattice")
        assocs = lattice.list_service_network_vpc_associations(vpcIdentifier=run.c_vpc)["items"]
        s.expect(
            [a for a in assocs if a["status"] != "DELETE_IN_PROGRESS"] == [], "no VPC association is left"
        )
        ssm = run.c_sess.client("ssm")
        left = ssm.get_parameters_by_path(Path="/linkpilot/endpoints", Recursive=True)["Parameters"]
        s.expect(left == [], "no endpoint directory entry is left")
        listed = _cleanup_dry_run(run)
        s.note(f"linkpilot cleanup --dry-run: {len(listed)} managed endpoint(s)")
        s.expect(listed == [], "linkpilot cleanup --dry-run finds nothing")


@contextlib.contextmanager
def _answers_kept(answers: list[dict[str, Any]]) -> Iterator[None]:
    """CloudFormation's presigned URL stands in here: the custom resource's PUT is kept, not sent."""

    def keep(request: Any, timeout: Any = None) -> Any:
        answers.append(json.loads(request.data))
        return contextlib.nullcontext(io.BytesIO(b""))

    real = urllib.request.urlopen
    urllib.request.urlopen = keep  # type: ignore[assignment]
    try:
        yield
    finally:
        urllib.request.urlopen = real


def _cleanup_dry_run(run: Any) -> list[Any]:
    """``linkpilot cleanup --dry-run``'s listing with the consumer function's settings and credentials."""
    from linkpilot.consumer.uninstall import cleanup_under_lease
    from linkpilot.runtime.controller import ControllerSettings, build_controller

    settings = ControllerSettings.from_env(run.controller.env)
    controller = build_controller(settings, run.c_sess)
    report = cleanup_under_lease(
        controller.ports.ec2,
        controller.ports.lease,
        dry_run=True,
        hold=False,
        shared=controller.clock.shared_time,
        sleep=lambda _s: None,
        associations=controller.ports.associations,
    )
    return list(report.to_json()["managed_endpoints"])


# ------------------------------------------------------------------------------------- what was seen


def observations(exchanges: list[Exchange], *, consumer: str) -> list[Observation]:
    """The observers of ``linkpilot_cli.acceptance.observe`` over every answer of the run."""
    found: list[Observation | None] = []
    by_op: dict[str, list[Exchange]] = {}
    for ex in exchanges:
        by_op.setdefault(ex.operation, []).append(ex)
    states = [
        e.get("State", "")
        for ex in by_op.get("DescribeVpcEndpoints", [])
        for e in ex.response.get("VpcEndpoints", [])
        if e.get("VpcEndpointType") in {"Resource", "ServiceNetwork"}
    ]
    found.append(observe.endpoint_states(states))
    found.append(
        observe.hosted_zone_ids(
            (i.get("dnsEntry") or {}).get("hostedZoneId", "")
            for ex in by_op.get("ListServiceNetworkResourceAssociations", [])
            for i in ex.response.get("items", [])
        )
    )
    creates = by_op.get("CreateServiceNetworkVpcAssociation", [])
    if creates:
        ex = creates[0]
        code = str((ex.response.get("Error") or {}).get("Code", ""))
        found += observe.association_create(ex.status, code, str(ex.response.get("arn", "")), consumer)
    for kind in ("Resource", "ServiceNetwork"):
        outcomes = [
            (ex.status, str((ex.response.get("Error") or {}).get("Code", "")))
            for ex in by_op.get("CreateVpcEndpoint", [])
            if ex.request.get("VpcEndpointType") == kind
        ]
        found += observe.endpoint_creates(kind, outcomes)
    deletes = by_op.get("DeleteVpcEndpoints", [])
    refused = [
        str(u.get("Error", {}).get("Code", "")) for ex in deletes for u in ex.response.get("Unsuccessful", [])
    ]
    went = sum(len(ex.request.get("VpcEndpointIds", [])) for ex in deletes if ex.status < 300) - len(refused)
    found.append(observe.endpoint_deletes(refused, max(went, 0)))
    sn_ids = {
        e["VpcEndpointId"]
        for ex in by_op.get("CreateVpcEndpoint", [])
        if ex.status < 300 and ex.request.get("VpcEndpointType") == "ServiceNetwork"
        for e in [ex.response.get("VpcEndpoint", {})]
        if "VpcEndpointId" in e
    }
    rows = [
        r
        for ex in by_op.get("DescribeVpcEndpointAssociations", [])
        for r in ex.response.get("VpcEndpointAssociations", [])
        if r.get("VpcEndpointId") in sn_ids
    ]
    if rows:
        first_id = rows[0]["VpcEndpointId"]
        one_answer = next(
            ex.response.get("VpcEndpointAssociations", [])
            for ex in by_op["DescribeVpcEndpointAssociations"]
            if any(r.get("VpcEndpointId") == first_id for r in ex.response.get("VpcEndpointAssociations", []))
        )
        found.append(
            observe.service_network_rows([r for r in one_answer if r.get("VpcEndpointId") == first_id], 1)
        )
    accepted = observe.first(exchanges, "AcceptResourceShareInvitation")
    created = observe.first(
        exchanges, "CreateVpcEndpoint", lambda ex: ex.request.get("VpcEndpointType") == "Resource"
    )
    if accepted and created:
        found.append(
            observe.lag(
                "share-usable-lag",
                "from the accept to the first endpoint create",
                accepted.date,
                created.date,
                True,
            )
        )
    added = observe.first(
        exchanges, "AssociateResourceShare", lambda ex: bool(ex.request.get("resourceArns"))
    )
    if added:
        arn = added.request["resourceArns"][0]
        statuses = [a.get("status") for a in added.response.get("resourceShareAssociations", [])]
        listed = observe.first(
            exchanges,
            "ListResources",
            lambda ex: any(r.get("arn") == arn for r in ex.response.get("resources", [])),
        )
        if listed:
            found.append(
                observe.lag(
                    "ram-associating-time",
                    f"answered {statuses}; listed to the consumer after",
                    added.date,
                    listed.date,
                    statuses == ["ASSOCIATING"],
                )
            )
    return [o for o in found if o is not None]
