"""The demo's story as a sequence of named steps (:meth:`DemoRun.steps`), run in order by ``run_demo``.

Each step is one line of the timeline and checks what it expects to see in the local AWS; what a step
finds (stacks, functions, the endpoint, the probe's inputs) is kept on the :class:`DemoRun` for the next.
"""

from __future__ import annotations

import contextlib
import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from linkpilot_demo import service_networks, zones
from linkpilot_demo.lambdas import LocalFunction, LogSink
from linkpilot_demo.reference_target import DatabaseStandIn, ReferenceTarget
from linkpilot_demo.timeline import Step, Timeline, quoted
from linkpilot_demo.triggers import LocalLambda, describe_runs
from linkpilot_demo.world import (
    CONSUMER,
    EXPECTED_BODY,
    PROVIDER,
    REPO,
    TARGET_DOMAIN,
    TARGET_PORT,
    UNTRUSTED,
    DemoOptions,
    deploy_provider,
    make_demo_vpc,
    parameter_change_event,
)
from linkpilot_local import LocalAws
from linkpilot_local.cloudwatch_alarms import evaluate_alarms, put_emf_records
from linkpilot_local.deploy import (
    LocalStack,
    deploy_stack,
    stackset_instance_stack_name,
    write_baseline,
)


class DemoRun:
    """One run of the story against a started local AWS; its steps in order are :meth:`steps`."""

    provider: LocalStack
    consumer: LocalStack
    onboarding: LocalFunction
    controller: LocalFunction
    probe: LocalFunction
    service: LocalLambda  # the controller's and the probe's triggers (linkpilot_demo.triggers)
    consumers_param: str
    cfg_arn: str
    share_arn: str
    alerts_queue: str
    failing_alarm: str
    endpoint_id: str
    inputs: list[dict[str, Any]]
    rows: dict[str, dict[str, Any]]  # the last probe run's result per endpoint id
    database: DatabaseStandIn | None = None  # the database-like target (zones.add_database)
    db_endpoint_id: str = ""
    bad_zone: str = ""  # the endpoint address black-holed by zones.zone_fails
    network_share_arn: str = ""  # the service network's share (service_networks.share_service_network)
    network_arn: str = ""  # that service network
    sn_endpoint_id: str = ""
    base: datetime

    def __init__(
        self, options: DemoOptions, aws: LocalAws, tl: Timeline, sink: LogSink, target: ReferenceTarget
    ) -> None:
        self.options, self.aws, self.tl, self.sink, self.target = options, aws, tl, sink, target
        self.region = aws.region
        self.p_sess, self.c_sess, self.u_sess = (aws.session(a) for a in (PROVIDER, CONSUMER, UNTRUSTED))
        c_sess = self.c_sess
        self.c_ram, self.c_ec2, self.c_cw = (
            c_sess.client("ram"),
            c_sess.client("ec2"),
            c_sess.client("cloudwatch"),
        )
        self.c_sqs, self.c_sched = c_sess.client("sqs"), c_sess.client("scheduler")
        self.minute = 0

    def steps(self) -> list[Callable[[], None]]:
        return [
            self.deploy_provider,
            self.write_consumer_baseline,
            self.deploy_consumer,
            self.onboard_consumer,
            self.accept_share_and_create_endpoint,
            self.publish_probe_target,
            self.application_finds_endpoint,
            self.probe_target_up,
            self.probe_target_down,
            self.probe_target_back,
            functools.partial(zones.add_database, self),
            functools.partial(zones.zone_fails, self),
            functools.partial(zones.zone_recovers, self),
            self.ignore_untrusted_share,
            self.show_status,
            self.show_provider_view,
            functools.partial(service_networks.share_service_network, self),
            functools.partial(service_networks.switch_to_association, self),
            self.unshare,
        ]

    # ------------------------------------------------------------------------------------ provider side

    def deploy_provider(self) -> None:
        with self.tl.step(
            "provider stack deployed: resource gateway, resource configuration, RAM share"
        ) as s:
            self.provider = deploy_provider(self.p_sess)
            self.cfg_arn = cfg_arn = self.provider.outputs["ResourceConfigurationArn"]
            self.share_arn = self.provider.outputs["ResourceShareArn"]
            target = self.target
            target.start()
            self.aws.map_target(TARGET_DOMAIN, TARGET_PORT, (target.host, target.port))
            s.note(
                f"configuration {cfg_arn.rsplit('/', 1)[1]} → {TARGET_DOMAIN}:{TARGET_PORT} "
                f"(served by the reference target on {target.host}:{target.port})"
            )
            s.expect(
                cfg_arn.startswith(
                    f"arn:aws:vpc-lattice:{self.region}:{PROVIDER}:resourceconfiguration/rcfg-"
                ),
                "a resource configuration in the provider account",
            )
            principals = self.p_sess.client("ram").get_resource_share_associations(
                associationType="PRINCIPAL", resourceShareArns=[self.share_arn]
            )["resourceShareAssociations"]
            s.expect(not principals, "the share starts with no consumers")
        self.onboarding = LocalFunction(
            self.provider.functions["OnboardingFunction"], self.p_sess, self.region, self.sink
        )

    # ------------------------------------------------------------------------------------ consumer side

    def write_consumer_baseline(self) -> None:
        with self.tl.step("consumer account baseline: VPC, subnets, probe security group in SSM") as s:
            self.c_vpc, self.c_subnets, c_sg = make_demo_vpc(self.c_sess, "10.1.0.0/16")
            written = write_baseline(
                self.c_sess,
                REPO / "template.yaml",
                {
                    "EndpointVpcId": self.c_vpc,
                    "EndpointSubnetIds": self.c_subnets,
                    "ProbeSecurityGroupIds": [c_sg],
                },
            )
            prefix = str(Path(next(iter(written.values()))).parent)
            s.note(
                f"{self.c_vpc}, {len(self.c_subnets)} subnets, probe group {c_sg} → "
                f"{len(written)} parameters under {prefix}/ "
                "(the per-account values one StackSet cannot pass to every account)"
            )

    def deploy_consumer(self) -> None:
        options = self.options
        with self.tl.step("consumer stack deployed: trust policy, controller, probe, alarms, dashboard") as s:
            self.consumer = consumer = deploy_stack(
                self.c_sess,
                REPO / "template.yaml",
                # named as a StackSet names its instance stacks (the README's set "linkpilot-consumer")
                stack_name=stackset_instance_stack_name("linkpilot-consumer"),
                parameters={  # the same for every account: the VPC, subnets and groups come from the baseline
                    "TrustedAccounts": list(options.trusted_accounts),
                    "UntrustedInvitations": options.untrusted_invitations,
                    "ProbeExpectedBody": EXPECTED_BODY,
                    "ProbeTimeoutSeconds": 2,  # a down target is judged within 2 s (the default is 5)
                    # the provider's shared service networks: one ServiceNetwork endpoint each
                    "AllowedServiceNetworkArns": [f"arn:aws:vpc-lattice:*:{PROVIDER}:servicenetwork/*"],
                },
            )
            s.expect(
                (consumer.parameters["EndpointVpcId"], consumer.parameters["EndpointSubnetIds"])
                == (self.c_vpc, self.c_subnets),
                "the stack resolved the endpoint VPC and subnets from the baseline",
            )
            self.alerts_queue = self.c_sqs.create_queue(QueueName="demo-alerts-inbox")["QueueUrl"]
            alerts_queue_arn = f"arn:aws:sqs:{self.region}:{CONSUMER}:demo-alerts-inbox"
            self.c_sess.client("sns").subscribe(
                TopicArn=consumer.physical["AlertsTopic"], Protocol="sqs", Endpoint=alerts_queue_arn
            )
            self.failing_alarm = consumer.physical["ProbeTargetsFailingAlarm"]
            alarm = self.c_cw.describe_alarms(AlarmNames=[self.failing_alarm])["MetricAlarms"][0]
            s.note(
                f"trusted: {', '.join(options.trusted_accounts)}; "
                f"untrusted invitations: {options.untrusted_invitations}; "
                f"probe alarm: {alarm.get('DatapointsToAlarm', alarm['EvaluationPeriods'])} of "
                f"{alarm['EvaluationPeriods']} one-minute periods, missing data = {alarm['TreatMissingData']}"
            )
            s.expect(alarm["TreatMissingData"] == "breaching", "a dead probe counts as an outage")
        self.controller = LocalFunction(
            consumer.functions["ControllerFunction"], self.c_sess, self.region, self.sink
        )
        self.probe = LocalFunction(consumer.functions["ProbeFunction"], self.c_sess, self.region, self.sink)
        # the controller keeps time on the simulated clock, as the local AWS stamps endpoints with it (a
        # resource made after a run's observation began is never deleted by that run)
        self.controller.module().FUNCTION.clock = self.aws.clock.now
        # From here on the controller runs on its real triggers only: RAM events as they arrive, the
        # reconcile schedule, its own follow-up runs, and it invokes the probe for new targets (the probe's
        # minutes are the demo's: probe_round stands in for the probe schedule, with CloudWatch's evaluation).
        self.service = LocalLambda(self.aws, phase=timedelta(minutes=4))
        self.service.add(self.controller, self.c_sess)
        self.service.add(self.probe, self.c_sess, resolver=self.aws.resolver)

    # --------------------------------------------------------------------------------------- onboarding

    def onboard_consumer(self) -> None:
        self.consumers_param = consumers_param = self.provider.outputs["ConsumerListParameterName"]
        with self.tl.step("provider adds the consumer to its list → onboarding shares → invitation") as s:
            self.p_sess.client("ssm").put_parameter(
                Name=consumers_param, Value=json.dumps([CONSUMER]), Overwrite=True
            )
            result = self.onboarding.invoke(
                parameter_change_event(consumers_param, PROVIDER, self.region, self.aws.clock.now())
            )
            s.note("onboarding: " + ", ".join(f"{c['action']} {c['principal']}" for c in result["changes"]))
            s.expect(
                self.invitation_status(PROVIDER) == ["PENDING"], "one PENDING invitation from the provider"
            )

    def accept_share_and_create_endpoint(self) -> None:
        accepted = "RAM event → controller accepts the trusted share (no endpoint in the same run)"
        with self.tl.step(accepted) as s:
            first = len(self.service.invocations)
            s.expect(
                self.deliver_ram_events(s) >= 1,
                "the invitation's aws.ram event reached the controller's rule",
            )
            s.expect(self.invitation_status(PROVIDER) == ["ACCEPTED"], "the invitation is ACCEPTED")
            s.expect(
                self.managed_endpoints() == [],
                "no endpoint yet: RAM accepts asynchronously, the endpoint waits until RAM lists the share",
            )
            self.note_runs(s, first)
        with self.tl.step("RAM lists the accepted share → its RAM event's run creates the endpoint") as s:
            first = len(self.service.invocations)
            self.service.run_for(timedelta(minutes=2), stop=lambda: bool(self.managed_endpoints()))
            self.note_runs(s, first)
            eps = self.managed_endpoints()
            s.expect(len(eps) == 1, "exactly one managed resource endpoint")
            ep = eps[0]
            tags = {t["Key"]: t["Value"] for t in ep["Tags"]}
            s.note(
                f"endpoint {ep['VpcEndpointId']} ({ep['State']}) "
                f"for {tags['linkpilot:resource-configuration-arn'].rsplit('/', 1)[1]}"
            )
            s.expect(
                tags.get("linkpilot:resource-share-arn") == self.share_arn,
                "the endpoint is tagged with its share",
            )
            subjects = [n["subject"] for n in self.notifications()]
            s.note(f"notifications: {quoted(subjects)}")
            s.expect(subjects, "the accept/create was notified on the alerts topic")
        self.endpoint_id = ep["VpcEndpointId"]

    def publish_probe_target(self) -> None:
        aws = self.aws
        with self.tl.step(
            "endpoint available → a follow-up run publishes the target and probes it at once"
        ) as s:
            first = len(self.service.invocations)
            self.service.run_for(timedelta(minutes=5), stop=lambda: bool(self.service.of("ProbeFunction")))
            self.note_runs(s, first)
            probed = self.service.of("ProbeFunction", "async")
            s.expect(probed, "the controller invoked the probe for the new target at once")
            rows = [r for i in probed for r in (i.result or {}).get("results", [])]
            s.expect(
                [r.get("target") for r in rows] == [self.endpoint_id],
                "the first probe checked the new endpoint only",
            )
            s.note(f"first probe verdict: {rows[0].get('verdict')} at {probed[0].ended:%H:%M:%S}")
            self.inputs = self.schedule_inputs()
            targets = [t for i in self.inputs for t in i.get("targets", [])]
            s.expect(
                [t["endpoint_id"] for t in targets] == [self.endpoint_id],
                "the probe schedule targets the endpoint",
            )
            dns_name = targets[0]["dns_name"]
            s.note(f"probe target {dns_name} → {aws.resolve(dns_name)} (the endpoint's loopback address)")
            self.emf_in(self.c_sess, aws.clock.now())
        self.base = datetime.fromtimestamp(aws.clock.time() // 60 * 60 + 60, tz=UTC)

    def application_finds_endpoint(self) -> None:
        """What an application in the consumer account does: find the endpoint's name in SSM, connect."""
        import socket

        with self.tl.step("an application finds the endpoint by its SSM parameter and calls the target") as s:
            ssm = self.c_sess.client("ssm")
            found = ssm.get_parameters_by_path(Path="/linkpilot/endpoints", Recursive=True)["Parameters"]
            s.expect(len(found) == 1, "one parameter under /linkpilot/endpoints")
            value = json.loads(found[0]["Value"])
            s.note(f"{found[0]['Name']} → {value['dns_name']} ({value['state']})")
            s.expect(value["resource_configuration_arn"] == self.cfg_arn, "it names the shared configuration")
            name = value["private_dns_name"] or value["dns_name"]
            with socket.create_connection((self.aws.resolve(name), TARGET_PORT), timeout=3) as conn:
                conn.sendall(f"GET / HTTP/1.1\r\nHost: {name}\r\n\r\n".encode())
                reply = b""
                while chunk := conn.recv(4096):
                    reply += chunk
            s.note(f"reply: {reply.splitlines()[0].decode() if reply else '(none)'}")
            s.expect(reply.endswith(EXPECTED_BODY.encode()), "the target answered through the endpoint")

    # ------------------------------------------------------------------------------- probing and alarms

    def probe_target_up(self) -> None:
        with self.tl.step("probe through the endpoint: the target answers") as s:
            for _ in range(3):
                row = self.probe_round()
                s.expect(row["ok"], f"probe ok (got {row['verdict']}: {row.get('error')})")
            t = row["timings_ms"]
            s.note(
                f"verdict {row['verdict']}, HTTP {row['status_code']}, {row['bytes_read']} bytes, "
                f"connect {t['connect']:.1f} ms, first byte {t['first_byte']:.1f} ms, "
                f"total {t['total']:.1f} ms"
            )
            s.expect(self.alarm_state() == "OK", "the failing-targets alarm is OK")

    def probe_target_down(self) -> None:
        with self.tl.step("the target stops → probe fails → alarm goes to ALARM") as s:
            self.target.stop()
            went_down = self.aws.clock.now()
            for _ in range(5):
                row = self.probe_round()
                s.expect(not row["ok"], "the probe reports the target down")
                if self.alarm_state() == "ALARM":
                    break
            took = self.aws.clock.now() - went_down
            s.note(
                f"verdict {row['verdict']} ({row.get('error')}); ALARM after {took.total_seconds() / 60:.1f} "
                f"simulated minutes"
            )
            s.expect(self.alarm_state() == "ALARM", "the alarm is in ALARM")
            s.expect(took <= timedelta(minutes=3), "detected within 3 minutes")
            s.expect(
                any("ALARM" in n["subject"] for n in self.notifications()), "the ALARM reached the SNS topic"
            )

    def probe_target_back(self) -> None:
        with self.tl.step("the target comes back → probe ok → alarm back to OK") as s:
            self.target.start()
            for _ in range(4):
                row = self.probe_round()
                if self.alarm_state() == "OK":
                    break
            s.expect(row["ok"], "the probe reports the target up")
            s.expect(self.alarm_state() == "OK", "the alarm is OK again")
            s.expect(any("OK" in n["subject"] for n in self.notifications()), "the OK reached the SNS topic")

    # ---------------------------------------------------------------------------------- untrusted share

    def ignore_untrusted_share(self) -> None:
        untrusted = self.options.untrusted_invitations
        outcome = {"reject": "rejected", "ignore": "ignored"}.get(untrusted, untrusted)
        with self.tl.step(f"an untrusted account shares with the consumer → {outcome}") as s:
            u_vpc, u_subnets, _ = make_demo_vpc(self.u_sess, "10.2.0.0/16")
            rogue = deploy_stack(
                self.u_sess,
                REPO / "provider" / "template.yaml",
                stack_name="rogue",
                parameters={"VpcId": u_vpc, "SubnetIds": u_subnets, "TargetDomainName": "rogue.example"},
            )
            self.u_sess.client("ram").associate_resource_share(
                resourceShareArn=rogue.outputs["ResourceShareArn"], principals=[CONSUMER]
            )
            self.deliver_ram_events(s)
            expected = "PENDING" if untrusted == "ignore" else "REJECTED"
            s.expect(
                self.invitation_status(UNTRUSTED) == [expected], f"the untrusted invitation is {expected}"
            )
            s.expect(
                sorted(e["VpcEndpointId"] for e in self.managed_endpoints())
                == sorted([self.endpoint_id, self.db_endpoint_id]),
                "no endpoint for the untrusted configuration",
            )

    def show_status(self) -> None:
        with self.tl.step("linkpilot status") as s:
            from linkpilot_cli.commands.status import render_table

            report = zones.status_report(self)
            for line in render_table(report).splitlines():
                s.note(line, rendered=True)
            s.expect(
                [e.probe for e in report.endpoints] == ["ok", "ok"], "status shows both endpoints probing ok"
            )
            if self.options.untrusted_invitations == "ignore":
                s.expect(
                    [i.sender_account_id for i in report.invitations] == [UNTRUSTED],
                    "status lists the untrusted invitation",
                )

    def show_provider_view(self) -> None:
        with self.tl.step("linkpilot provider status: the provider sees its consumer's endpoints") as s:
            from linkpilot_cli.commands.provider import collect_view, render_table

            view = collect_view(
                self.p_sess,
                share_arn=self.share_arn,
                consumer_list_parameter=self.consumers_param,
                now=self.aws.clock.now(),
            )
            for line in render_table(view).splitlines():
                s.note(line, rendered=True)
            s.expect(
                [(r.account, r.state) for r in view.rows] == [(CONSUMER, "connected")],
                "the consumer is connected",
            )
            seen = sorted(e.endpoint_id for r in view.rows for e in r.endpoints)
            s.expect(
                self.endpoint_id in seen
                and seen == sorted(e["VpcEndpointId"] for e in self.managed_endpoints()),
                "the provider sees the consumer's endpoints on its configurations (web and database)",
            )

    # ------------------------------------------------------------------------------------------ unshare

    def unshare(self) -> None:
        aws, consumers_param = self.aws, self.consumers_param
        with self.tl.step(
            "provider removes the consumer → 15-minute grace → follow-up: controller deletes the endpoints"
        ) as s:
            before = len(self.managed_endpoints())  # the web target's and the database's
            self.p_sess.client("ssm").put_parameter(Name=consumers_param, Value="[]", Overwrite=True)
            self.onboarding.invoke(
                parameter_change_event(consumers_param, PROVIDER, self.region, aws.clock.now())
            )
            if self.network_share_arn:  # and from the service network's share
                self.p_sess.client("ram").disassociate_resource_share(
                    resourceShareArn=self.network_share_arn, principals=[CONSUMER]
                )
            shared = self.c_ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]
            s.expect(self.cfg_arn not in [r["arn"] for r in shared], "the configuration is no longer shared")
            first = len(self.service.invocations)
            self.deliver_ram_events(s)
            missing_at = aws.clock.now()
            self.service.run_for(timedelta(minutes=10))
            kept = len(self.managed_endpoints()) == before
            s.expect(kept, "10 minutes later, still within the grace: kept")
            self.service.run_for(timedelta(minutes=10), stop=lambda: self.managed_endpoints() == [])
            deleted_at = aws.clock.now()
            self.note_runs(s, first)
            s.expect(
                self.managed_endpoints() == [], "15 minutes after going missing: the endpoints are deleted"
            )
            ends = [
                datetime.fromisoformat(g["delete_after"])
                for i in self.service.invocations[first:]
                for g in ((i.result or {}).get("summary") or {}).get("awaiting_grace", [])
            ]
            s.expect(
                bool(ends) and deleted_at - max(ends) < timedelta(seconds=30),
                "deleted when the grace ends (a follow-up run at its end), not at the next scheduled run",
            )
            s.note(f"missing since {missing_at:%H:%M:%S} (simulated), deleted at {deleted_at:%H:%M:%S}")
            left = [t for i in self.schedule_inputs() for t in i.get("targets", [])]
            s.expect(left == [], "no probe targets remain")
            published = self.c_sess.client("ssm").get_parameters_by_path(
                Path="/linkpilot/endpoints", Recursive=True
            )["Parameters"]
            s.expect(published == [], "the endpoint's SSM parameter is gone")
            subjects = [n["subject"] for n in self.notifications()]
            s.note(f"notifications: {quoted(subjects)}")
        self.emf_in(self.c_sess, aws.clock.now())

    # ---------------------------------------------------------------------- what the steps look at

    def emf_in(self, account_session: Any, at: datetime) -> int:
        """Ingests the EMF lines the functions printed, stamped with the simulated time; the probe's
        failure lines go to its log group, as CloudWatch Logs would keep them (``linkpilot status`` reads
        them there)."""
        records, failures = [], []
        for line in self.sink.take():
            if line.startswith("{") and '"_aws"' in line:
                record = json.loads(line)
                record["_aws"]["Timestamp"] = int(at.timestamp() * 1000)
                records.append(record)
            elif '"probe target failed"' in line:
                failures.append(line)
        if failures and hasattr(self, "consumer"):
            logs, group = account_session.client("logs"), self.consumer.physical["ProbeLogGroup"]
            stream = f"{at:%Y/%m/%d}/[$LATEST]demo"
            with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
                logs.create_log_stream(logGroupName=group, logStreamName=stream)
            stamp = int(at.timestamp() * 1000) + 1000  # logged after the run started
            logs.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": stamp, "message": line} for line in failures],
            )
        return put_emf_records(account_session.client("cloudwatch"), records)

    def notifications(self) -> list[dict[str, Any]]:
        got = []
        c_sqs = self.c_sqs
        while msgs := c_sqs.receive_message(QueueUrl=self.alerts_queue, MaxNumberOfMessages=10).get(
            "Messages"
        ):
            for m in msgs:
                body = json.loads(m["Body"])
                got.append({"subject": body.get("Subject") or "", "message": body.get("Message", "")})
                c_sqs.delete_message(QueueUrl=self.alerts_queue, ReceiptHandle=m["ReceiptHandle"])
        return got

    def managed_endpoints(self) -> list[Any]:
        eps = self.c_ec2.describe_vpc_endpoints(
            Filters=[{"Name": "tag:linkpilot:managed", "Values": ["true"]}]
        )["VpcEndpoints"]
        return [e for e in eps if e["State"].lower() not in {"deleted", "deleting"}]

    def invitation_status(self, sender: str) -> list[str]:
        invs = self.c_ram.get_resource_share_invitations()["resourceShareInvitations"]
        return [i["status"] for i in invs if i["senderAccountId"] == sender]

    def schedule_inputs(self) -> list[dict[str, Any]]:
        """What the controller's probe schedules would pass to the probe function."""
        group = self.consumer.physical["ProbeScheduleGroup"]
        names = [x["Name"] for x in self.c_sched.list_schedules(GroupName=group)["Schedules"]]
        targets = [self.c_sched.get_schedule(GroupName=group, Name=n)["Target"] for n in names]
        return [json.loads(t["Input"]) for t in targets]

    def deliver_ram_events(self, s: Step) -> int:
        """The aws.ram events the controller's rule matched, delivered now (with whatever else is due)."""
        first = len(self.service.invocations)
        self.service.run_until(self.aws.clock.now())
        events = [i.event for i in self.service.invocations[first:] if i.trigger == "event"]
        s.note(
            f"{len(events)} aws.ram event(s) delivered to the controller: "
            f"{', '.join(sorted({str(e['detail'].get('event', '?')) for e in events})) or 'none'}"
        )
        return len(events)

    def note_runs(self, s: Step, first: int) -> None:
        """One line per controller run since invocation ``first``: when, what triggered it, what it did, and
        the next run it arranged."""
        for line in describe_runs(self.service.invocations[first:]):
            s.note(line)

    def probe_round(self) -> dict[str, Any]:
        """One scheduled probe run in its own simulated minute, then CloudWatch's evaluation."""
        aws = self.aws
        run_at = self.base + timedelta(minutes=self.minute, seconds=5)
        while run_at < aws.clock.now():  # a step spent time between runs: the next scheduled minute
            self.minute += 1
            run_at += timedelta(minutes=1)
        self.service.run_until(run_at)  # the controller's own triggers meanwhile
        (event,) = self.inputs  # one endpoint: one schedule, invoked with its input as is
        result = self.probe.invoke(event, resolver=aws.resolver)  # every address of each name
        self.emf_in(self.c_sess, run_at)
        self.minute += 1
        self.service.run_until(self.base + timedelta(minutes=self.minute))
        evaluate_alarms(self.c_cw, aws.clock.now(), self.c_sess.client("sns"))
        self.rows = {r["target"]: r for r in result["results"]}
        return self.rows[self.endpoint_id]  # the web target's

    def alarm_state(self, name: str | None = None) -> str:
        alarm = name or self.failing_alarm
        return str(self.c_cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"][0]["StateValue"])
