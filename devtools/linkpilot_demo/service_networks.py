"""The demo's step for issue 15's service-network shares: the provider puts a resource configuration in a
VPC Lattice service network and shares the network (RAM type ``vpc-lattice:ServiceNetwork``); the consumer
stack allows the provider's networks (``AllowedServiceNetworkArns``), so the controller accepts the share and
creates ONE managed ServiceNetwork endpoint, whose association row is published in the endpoint directory
and probed.
The step takes the :class:`linkpilot_demo.steps.DemoRun`, whose helpers and state it uses.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from linkpilot_demo.timeline import quoted
from linkpilot_demo.world import (
    CONSUMER,
    NETWORK_DOMAIN,
    REPO,
    TARGET_PORT,
    parameter_change_event,
)
from linkpilot_local.deploy.stack import render_property

if TYPE_CHECKING:
    from linkpilot_demo.context import DemoContext


def share_service_network(run: DemoContext) -> None:
    aws, lattice = run.aws, run.p_sess.client("vpc-lattice")
    with run.tl.step(
        "provider shares a service network holding a configuration → one ServiceNetwork endpoint, probed"
    ) as s:
        aws.map_target(NETWORK_DOMAIN, TARGET_PORT, (run.target.host, run.target.port))
        cfg = lattice.create_resource_configuration(
            name="linkpilot-demo-api",
            type="SINGLE",
            portRanges=[str(TARGET_PORT)],
            resourceGatewayIdentifier=run.provider.physical["ResourceGateway"],
            resourceConfigurationDefinition={
                "dnsResource": {"domainName": NETWORK_DOMAIN, "ipAddressType": "IPV4"}
            },
        )
        network = lattice.create_service_network(name="linkpilot-demo-network")
        lattice.create_service_network_resource_association(
            serviceNetworkIdentifier=network["id"], resourceConfigurationIdentifier=cfg["id"]
        )
        run.network_share_arn = run.p_sess.client("ram").create_resource_share(
            name="linkpilot-demo-network", resourceArns=[network["arn"]], principals=[CONSUMER]
        )["resourceShare"]["resourceShareArn"]
        s.note(f"network {network['id']} holds {cfg['id']} → {NETWORK_DOMAIN}:{TARGET_PORT}")
        before = {e["VpcEndpointId"] for e in run.managed_endpoints()}
        first = len(run.service.invocations)
        run.deliver_ram_events(s)
        # RAM lists the accepted share; the endpoint is created, then published once available
        run.service.run_for(
            timedelta(minutes=6), stop=lambda: network["arn"] in json.dumps(run.schedule_inputs())
        )
        run.note_runs(s, first)
        new = [e for e in run.managed_endpoints() if e["VpcEndpointId"] not in before]
        s.expect(
            [(e["VpcEndpointType"], e.get("ServiceNetworkArn")) for e in new]
            == [("ServiceNetwork", network["arn"])],
            "exactly one new managed endpoint, of type ServiceNetwork, for the network",
        )
        run.sn_endpoint_id = endpoint_id = new[0]["VpcEndpointId"] if new else ""
        run.network_arn = network["arn"]
        s.note(f"notifications: {quoted(n['subject'] for n in run.notifications())}")
        ssm = run.c_sess.client("ssm")
        found = ssm.get_parameters_by_path(Path=f"/linkpilot/endpoints/{endpoint_id}", Recursive=True)
        values = [json.loads(p["Value"]) for p in found["Parameters"]]
        s.expect(
            [(v["resource_configuration_arn"], v["service_network_arn"], v["state"]) for v in values]
            == [(cfg["arn"], network["arn"], "available")],
            "its association row is published, naming the configuration and the network",
        )
        for parameter, value in zip(found["Parameters"], values, strict=True):
            s.note(f"{parameter['Name']} → {value['dns_name']}")
        run.inputs = run.schedule_inputs()
        targets = [t for i in run.inputs for t in i.get("targets", []) if t["endpoint_id"] == endpoint_id]
        s.expect(
            [(t["resource_configuration_arn"], t.get("child_arn")) for t in targets]
            == [(network["arn"], cfg["arn"])],
            "the row is a probe target (the network's endpoint, the configuration as its child)",
        )
        run.probe_round()
        row = run.rows.get(endpoint_id, {})
        s.expect(row.get("verdict") == "ok", f"the row probes ok (got {row.get('verdict')})")
        if row:
            s.note(f"{row.get('url')}: verdict {row.get('verdict')}, HTTP {row.get('status_code')}")


def switch_to_association(run: DemoContext) -> None:
    """The operator updates the stack to ``ServiceNetworkMode=association``, then back to ``endpoint``: the
    stack update rewrites the trust policy parameter (rendered here from the template, as CloudFormation
    would), whose change event reconciles at once."""
    lattice = run.c_sess.client("vpc-lattice")
    with run.tl.step(
        "ServiceNetworkMode=association → the network's endpoint goes, the VPC is associated; and back"
    ) as s:
        network = run.network_arn
        result = _update_mode(run, "association")
        assocs = lattice.list_service_network_vpc_associations(vpcIdentifier=run.c_vpc)["items"]
        s.expect(
            [(a["serviceNetworkArn"], a["status"]) for a in assocs] == [(network, "CREATE_IN_PROGRESS")],
            "one service-network VPC association of the consumer VPC, for the network",
        )
        tags = lattice.list_tags_for_resource(resourceArn=assocs[0]["arn"])["tags"] if assocs else {}
        s.expect(
            tags.get("linkpilot:managed") == "true" and tags.get("linkpilot:service-network-arn") == network,
            "tagged as Linkpilot's, naming the network",
        )
        gone = [e for e in run.managed_endpoints() if e["VpcEndpointId"] == run.sn_endpoint_id]
        s.expect(gone == [], f"the network's ServiceNetwork endpoint {run.sn_endpoint_id} is deleted")
        done = [(a["action"], a["outcome"]) for a in result["summary"]["actions"]]
        s.note(f"controller: {done}")
        ids = {a["id"] for a in assocs}

        def unprobed_now() -> list[dict[str, Any]]:
            runs = run.service.of("ControllerFunction")
            summary = (runs[-1].result or {}).get("summary") or {} if runs else {}
            rows = (summary.get("probe_targets") or {}).get("unprobed", [])
            return [u for u in rows if u["endpoint_id"] in ids]

        # CREATE_IN_PROGRESS, then ACTIVE: a follow-up run finds it so and lists it unprobed
        first = len(run.service.invocations)
        run.service.run_for(timedelta(minutes=5), stop=lambda: bool(unprobed_now()))
        run.note_runs(s, first)
        unprobed = unprobed_now()
        s.expect(
            len(unprobed) == 1 and "UNVERIFIED" in unprobed[0]["reason"],
            "it is listed unprobed, with the reason (no public evidence of the DNS name clients use)",
        )
        s.note(f"{assocs[0]['id'] if assocs else '-'}: {unprobed[0]['reason'] if unprobed else '-'}")

        _update_mode(run, "endpoint")
        first = len(run.service.invocations)

        def endpoint_back() -> bool:
            return any(e.get("ServiceNetworkArn") == network for e in run.managed_endpoints())

        # the association's delete must finish first: the reconcile schedule's run makes the endpoint
        run.service.run_for(timedelta(minutes=6), stop=endpoint_back)
        run.note_runs(s, first)
        left = [
            a
            for a in lattice.list_service_network_vpc_associations(vpcIdentifier=run.c_vpc)["items"]
            if a["status"] != "DELETE_IN_PROGRESS"
        ]
        back = [e for e in run.managed_endpoints() if e.get("ServiceNetworkArn") == network]
        s.expect(
            left == [] and len(back) == 1, "back to endpoint mode: the association goes, an endpoint again"
        )
        run.sn_endpoint_id = back[0]["VpcEndpointId"] if back else ""
        s.note(f"notifications: {quoted([n['subject'] for n in run.notifications()][-2:])}")


def _update_mode(run: DemoContext, mode: str) -> dict[str, Any]:
    """Apply the policy parameter's value for ``ServiceNetworkMode=mode`` and deliver its change event."""
    name = run.consumer.physical["PolicyParameter"]
    value = render_property(
        run.consumer, REPO / "template.yaml", "PolicyParameter", "Value", {"ServiceNetworkMode": mode}
    )
    run.c_sess.client("ssm").put_parameter(Name=name, Value=value, Overwrite=True)
    event = parameter_change_event(name, CONSUMER, run.region, run.aws.clock.now())
    result: dict[str, Any] = run.controller.invoke(event)
    return result
