"""The demo's steps for issue 14: a database-like TCP target behind a second resource configuration, probed
with kind ``tcp`` by a trust-policy override, and a zone failing (one of the endpoint's addresses
black-holed in the local data path) as ``degraded``, seen by the alarm and by ``linkpilot status``, then
recovering. Each step takes the :class:`linkpilot_demo.steps.DemoRun`, whose helpers and state it uses.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from linkpilot_demo.reference_target import DatabaseStandIn
from linkpilot_demo.timeline import quoted
from linkpilot_demo.world import (
    CONSUMER,
    DATABASE_DOMAIN,
    DATABASE_PORT,
    parameter_change_event,
)

if TYPE_CHECKING:
    from linkpilot_cli.commands.status import StatusReport
    from linkpilot_demo.context import DemoContext


def add_database(run: DemoContext) -> None:
    aws = run.aws
    with run.tl.step(
        "provider adds a database (TCP 5432) to the share → policy override kind tcp → endpoint probed"
    ) as s:
        db = run.database = DatabaseStandIn()
        db.start()
        aws.map_target(DATABASE_DOMAIN, DATABASE_PORT, (db.host, db.port))
        cfg = run.p_sess.client("vpc-lattice").create_resource_configuration(
            name="linkpilot-demo-database",
            type="SINGLE",
            portRanges=[str(DATABASE_PORT)],
            protocol="TCP",
            resourceGatewayIdentifier=run.provider.physical["ResourceGateway"],
            resourceConfigurationDefinition={
                "dnsResource": {"domainName": DATABASE_DOMAIN, "ipAddressType": "IPV4"}
            },
        )
        run.p_sess.client("ram").associate_resource_share(
            resourceShareArn=run.share_arn, resourceArns=[cfg["arn"]]
        )
        override = {"match": cfg["arn"], "kind": "tcp", "port": DATABASE_PORT}
        edit_policy(run, lambda doc: doc["probe"].setdefault("overrides", []).append(override))
        s.note(
            f"configuration {cfg['id']} → {DATABASE_DOMAIN}:{DATABASE_PORT}; "
            f"policy probe override: {json.dumps(override)}"
        )
        first = len(run.service.invocations)
        run.deliver_ram_events(s)
        # the run its RAM event triggers creates the endpoint; follow-up runs publish it once available
        run.service.run_for(
            timedelta(minutes=5), stop=lambda: cfg["arn"] in json.dumps(run.schedule_inputs()) or False
        )
        run.note_runs(s, first)
        eps = {
            t["Value"]: e["VpcEndpointId"]
            for e in run.managed_endpoints()
            for t in e["Tags"]
            if t["Key"] == "linkpilot:resource-configuration-arn"
        }
        s.expect(cfg["arn"] in eps, "an endpoint for the database's configuration")
        run.db_endpoint_id = eps.get(cfg["arn"], "")
        run.inputs = run.schedule_inputs()
        targets = {t["endpoint_id"]: t for i in run.inputs for t in i.get("targets", [])}
        db_target = targets.get(run.db_endpoint_id, {})
        s.expect(
            (db_target.get("kind"), db_target.get("port")) == ("tcp", DATABASE_PORT),
            f"the database target is published with kind tcp on {DATABASE_PORT} (got {db_target})",
        )
        s.expect(targets[run.endpoint_id].get("kind") is None, "the web target keeps the http default")
        run.probe_round()
        row = run.rows.get(run.db_endpoint_id, {})
        s.expect(row.get("verdict") == "ok", f"the database probes ok (got {row.get('verdict')})")
        s.note(
            f"{row.get('url')}: verdict {row.get('verdict')}, kind {row.get('kind')}, "
            f"{len(row.get('addresses', []))} addresses, connect {row['timings_ms']['connect']:.1f} ms"
        )


def zone_fails(run: DemoContext) -> None:
    with run.tl.step("one zone's address black-holed → probe degraded → degraded alarm, status") as s:
        addresses = run.aws.endpoint_addresses(run.endpoint_id)
        s.expect(len(addresses) >= 2, f"the endpoint has an address per subnet ({addresses})")
        run.bad_zone = addresses[-1]
        run.aws.black_hole(run.bad_zone)
        degraded = run.consumer.physical["ProbeTargetsDegradedAlarm"]
        for _ in range(4):
            row = run.probe_round()
            s.expect(row["verdict"] == "degraded", f"the web target is degraded (got {row['verdict']})")
            if run.alarm_state(degraded) == "ALARM":
                break
        failed = [(a["address"], a["reason"]) for a in row["addresses"] if not a["ok"]]
        s.note(f"verdict {row['verdict']}: {row['error']}")
        s.expect(failed == [(run.bad_zone, "timeout")], f"only {run.bad_zone} fails, by timeout")
        s.expect(run.rows[run.db_endpoint_id]["ok"], "the database endpoint is unaffected")
        s.expect(run.alarm_state(degraded) == "ALARM", "the degraded alarm is in ALARM")
        down = run.consumer.physical["ProbeTargetsDownAlarm"]
        s.expect(run.alarm_state(down) == "OK", "the down alarm stays OK (clients still connect)")
        subjects = [n["subject"] for n in run.notifications()]
        s.expect(any("ALARM" in x and "Degraded" in x for x in subjects), f"notified: {quoted(subjects)}")
        report = status_report(run)
        for line in _endpoint_lines(report):
            s.note(line, rendered=True)
        web = next(e for e in report.endpoints if e.endpoint_id == run.endpoint_id)
        s.expect(
            (web.probe, web.failed_addresses) == ("degraded", (f"{run.bad_zone} timeout",)),
            f"status shows the endpoint degraded and the failed address (got {web.probe}, "
            f"{web.failed_addresses})",
        )


def zone_recovers(run: DemoContext) -> None:
    with run.tl.step("the zone comes back → probe ok → degraded alarm back to OK") as s:
        run.aws.black_hole(run.bad_zone, on=False)
        degraded = run.consumer.physical["ProbeTargetsDegradedAlarm"]
        for _ in range(4):
            row = run.probe_round()
            if run.alarm_state(degraded) == "OK":
                break
        s.expect(row["verdict"] == "ok", f"every address serves again (got {row['verdict']})")
        s.expect(run.alarm_state(degraded) == "OK", "the degraded alarm is OK again")
        s.expect(run.alarm_state() == "OK", "the failing-targets alarm is OK again")
        run.notifications()


# -- helpers -----------------------------------------------------------------------------------------------


def edit_policy(run: DemoContext, change: Any) -> None:
    """What an operator does: edit the policy's SSM parameter; its change event triggers a reconcile."""
    ssm, name = run.c_sess.client("ssm"), run.consumer.physical["PolicyParameter"]
    doc = json.loads(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    change(doc)
    ssm.put_parameter(Name=name, Value=json.dumps(doc), Overwrite=True)
    run.controller.invoke(parameter_change_event(name, CONSUMER, run.region, run.aws.clock.now()))


def status_report(run: DemoContext) -> StatusReport:
    from linkpilot.consumer.policy import parse_policy
    from linkpilot_cli.commands.status import collect_status

    ssm, name = run.c_sess.client("ssm"), run.consumer.physical["PolicyParameter"]
    policy = parse_policy(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    state_table = run.consumer.physical["StateTable"]  # the controller's next run, as the lease records it
    return collect_status(run.c_sess, policy, now=run.aws.clock.now(), state_table=state_table)


def _endpoint_lines(report: StatusReport) -> list[str]:
    from linkpilot_cli.commands.status import render_table

    lines = render_table(report).splitlines()
    return lines[: 2 + len(report.endpoints)]
