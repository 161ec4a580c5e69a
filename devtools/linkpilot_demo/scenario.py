"""The end-to-end story, offline: provider shares → consumer onboards → probe → alarm → recovery →
untrusted share left alone → unshare → cleanup. Every step checks what it expects to see in the local AWS.

Simulated time: the local AWS clock is moved forward minute by minute so that minutes of probing and alarm
evaluation take seconds. Probe and controller metrics (EMF lines on the functions' stdout) are given the
simulated time of their run when they are ingested, as CloudWatch Logs would stamp them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parents[2]
PROVIDER, CONSUMER, UNTRUSTED = "111111111111", "222222222222", "333333333333"
TARGET_DOMAIN = "hello.provider.internal"
TARGET_PORT = 8080
EXPECTED_BODY = "Hello, World!"


@dataclass
class DemoOptions:
    untrusted_invitations: str = "ignore"  # or "reject": what the consumer's policy does with them
    trusted_accounts: tuple[str, ...] = (PROVIDER,)  # the consumer's trust policy
    log_path: Path = field(default_factory=lambda: REPO / ".demo" / "demo.log")
    color: bool = False


def _vpc(session: Any, cidr: str) -> tuple[str, list[str], str]:
    from linkpilot_local.fixtures import make_vpc

    vpc_id, subnets = make_vpc(session, cidr)
    ec2 = session.client("ec2")
    sg = ec2.create_security_group(GroupName="linkpilot-demo", Description="demo", VpcId=vpc_id)["GroupId"]
    return vpc_id, subnets, sg


def _parameter_change_event(name: str, account: str, region: str, at: datetime) -> dict[str, Any]:
    """What EventBridge delivers for an SSM parameter update (moto's SSM does not emit events)."""
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000001",
        "detail-type": "Parameter Store Change",
        "source": "aws.ssm",
        "account": account,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:ssm:{region}:{account}:parameter{name}"],
        "detail": {"operation": "Update", "name": name, "type": "String"},
    }


def _scheduled_event(account: str, region: str, at: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000002",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account}:rule/linkpilot-reconcile"],
        "detail": {},
    }


def run_demo(out: TextIO, options: DemoOptions | None = None) -> bool:
    """Runs the whole story; True only if every step's expectations held."""
    options = options or DemoOptions()
    from linkpilot_demo.lambdas import LocalFunction, LogSink
    from linkpilot_demo.reference_target import reference_target
    from linkpilot_demo.timeline import ExpectationFailed, Timeline
    from linkpilot_local import LocalAws
    from linkpilot_local.cloudwatch_alarms import evaluate_alarms, put_emf_records
    from linkpilot_local.deploy import deploy_stack, drain_inbox, write_baseline

    sink = LogSink(options.log_path)
    target = reference_target()
    aws = LocalAws()
    started = False
    tl = Timeline(out, sim_now=lambda: aws.clock.now() if started else datetime.now(UTC), color=options.color)
    tl.say("Linkpilot demo: offline, against the local AWS (moto + linkpilot_local), simulated clock")
    tl.say(f"  provider {PROVIDER} · consumer {CONSUMER} · untrusted {UNTRUSTED}")
    tl.say(
        f"  reference target: {target.kind} responder on {target.host}:{target.port}; full log: {sink.path}"
    )
    tl.say(f"\n{'wall':>8}  {'sim':8}  step")
    try:
        aws.start()
        started = True
        region = aws.region
        p_sess, c_sess, u_sess = (aws.session(a) for a in (PROVIDER, CONSUMER, UNTRUSTED))
        c_ram, c_ec2, c_cw = c_sess.client("ram"), c_sess.client("ec2"), c_sess.client("cloudwatch")
        c_sqs, c_sched = c_sess.client("sqs"), c_sess.client("scheduler")

        def emf_in(account_session: Any, at: datetime) -> int:
            """Ingests the EMF lines the functions printed, stamped with the simulated time."""
            records = []
            for line in sink.take():
                if line.startswith("{") and '"_aws"' in line:
                    record = json.loads(line)
                    record["_aws"]["Timestamp"] = int(at.timestamp() * 1000)
                    records.append(record)
            return put_emf_records(account_session.client("cloudwatch"), records)

        def notifications() -> list[dict[str, Any]]:
            got = []
            while msgs := c_sqs.receive_message(QueueUrl=alerts_queue, MaxNumberOfMessages=10).get(
                "Messages"
            ):
                for m in msgs:
                    body = json.loads(m["Body"])
                    got.append({"subject": body.get("Subject") or "", "message": body.get("Message", "")})
                    c_sqs.delete_message(QueueUrl=alerts_queue, ReceiptHandle=m["ReceiptHandle"])
            return got

        def managed_endpoints() -> list[Any]:
            eps = c_ec2.describe_vpc_endpoints(
                Filters=[{"Name": "tag:linkpilot:managed", "Values": ["true"]}]
            )["VpcEndpoints"]
            return [e for e in eps if e["State"].lower() not in {"deleted", "deleting"}]

        def invitation_status(sender: str) -> list[str]:
            invs = c_ram.get_resource_share_invitations()["resourceShareInvitations"]
            return [i["status"] for i in invs if i["senderAccountId"] == sender]

        # ---------------------------------------------------------------- provider side
        with tl.step("provider stack deployed: resource gateway, resource configuration, RAM share") as s:
            p_vpc, p_subnets, _ = _vpc(p_sess, "10.0.0.0/16")
            provider = deploy_stack(
                p_sess,
                REPO / "provider" / "template.yaml",
                stack_name="linkpilot-provider",
                parameters={
                    "VpcId": p_vpc,
                    "SubnetIds": p_subnets,
                    "TargetDomainName": TARGET_DOMAIN,
                    "PortRanges": [str(TARGET_PORT)],
                },
            )
            cfg_arn = provider.outputs["ResourceConfigurationArn"]
            share_arn = provider.outputs["ResourceShareArn"]
            target.start()
            aws.map_target(TARGET_DOMAIN, TARGET_PORT, (target.host, target.port))
            s.note(
                f"configuration {cfg_arn.rsplit('/', 1)[1]} → {TARGET_DOMAIN}:{TARGET_PORT} "
                f"(served by the reference target on {target.host}:{target.port})"
            )
            s.expect(
                cfg_arn.startswith(f"arn:aws:vpc-lattice:{region}:{PROVIDER}:resourceconfiguration/rcfg-"),
                "a resource configuration in the provider account",
            )
            principals = p_sess.client("ram").get_resource_share_associations(
                associationType="PRINCIPAL", resourceShareArns=[share_arn]
            )["resourceShareAssociations"]
            s.expect(not principals, "the share starts with no consumers")
        onboarding = LocalFunction(provider.functions["OnboardingFunction"], p_sess, region, sink)

        # ---------------------------------------------------------------- consumer side
        with tl.step("consumer account baseline: VPC, subnets, probe security group in SSM") as s:
            c_vpc, c_subnets, c_sg = _vpc(c_sess, "10.1.0.0/16")
            written = write_baseline(
                c_sess,
                REPO / "template.yaml",
                {"EndpointVpcId": c_vpc, "EndpointSubnetIds": c_subnets, "ProbeSecurityGroupIds": [c_sg]},
            )
            prefix = str(Path(next(iter(written.values()))).parent)
            s.note(
                f"{c_vpc}, {len(c_subnets)} subnets, probe group {c_sg} → {len(written)} parameters under "
                f"{prefix}/ (the per-account values one StackSet cannot pass to every account)"
            )

        with tl.step("consumer stack deployed: trust policy, controller, probe, alarms, dashboard") as s:
            consumer = deploy_stack(
                c_sess,
                REPO / "template.yaml",
                stack_name="linkpilot",
                parameters={  # the same for every account: the VPC, subnets and groups come from the baseline
                    "TrustedAccounts": list(options.trusted_accounts),
                    "UntrustedInvitations": options.untrusted_invitations,
                    "ProbeExpectedBody": EXPECTED_BODY,
                    "ProbeTimeoutSeconds": 2,  # a down target is judged within 2 s (the default is 5)
                },
            )
            s.expect(
                (consumer.parameters["EndpointVpcId"], consumer.parameters["EndpointSubnetIds"])
                == (c_vpc, c_subnets),
                "the stack resolved the endpoint VPC and subnets from the baseline",
            )
            alerts_queue = c_sqs.create_queue(QueueName="demo-alerts-inbox")["QueueUrl"]
            alerts_queue_arn = f"arn:aws:sqs:{region}:{CONSUMER}:demo-alerts-inbox"
            c_sess.client("sns").subscribe(
                TopicArn=consumer.physical["AlertsTopic"], Protocol="sqs", Endpoint=alerts_queue_arn
            )
            failing_alarm = consumer.physical["ProbeTargetsFailingAlarm"]
            alarm = c_cw.describe_alarms(AlarmNames=[failing_alarm])["MetricAlarms"][0]
            s.note(
                f"trusted: {', '.join(options.trusted_accounts)}; "
                f"untrusted invitations: {options.untrusted_invitations}; "
                f"probe alarm: {alarm.get('DatapointsToAlarm', alarm['EvaluationPeriods'])} of "
                f"{alarm['EvaluationPeriods']} one-minute periods, missing data = {alarm['TreatMissingData']}"
            )
            s.expect(alarm["TreatMissingData"] == "breaching", "a dead probe counts as an outage")
        controller = LocalFunction(consumer.functions["ControllerFunction"], c_sess, region, sink)
        probe = LocalFunction(consumer.functions["ProbeFunction"], c_sess, region, sink)
        controller_inbox = consumer.functions["ControllerFunction"].inbox_queue_url
        assert controller_inbox is not None

        def schedule_inputs() -> list[dict[str, Any]]:
            """What the controller's probe schedules would pass to the probe function."""
            group = consumer.physical["ProbeScheduleGroup"]
            names = [x["Name"] for x in c_sched.list_schedules(GroupName=group)["Schedules"]]
            targets = [c_sched.get_schedule(GroupName=group, Name=n)["Target"] for n in names]
            return [json.loads(t["Input"]) for t in targets]

        def deliver_ram_events(s: Any) -> int:
            events = drain_inbox(c_sess, controller_inbox)
            for event in events:
                controller.invoke(event)
            s.note(
                f"{len(events)} aws.ram event(s) delivered to the controller: "
                f"{sorted({e['detail'].get('event', '?') for e in events})}"
            )
            return len(events)

        # ---------------------------------------------------------------- onboarding
        consumers_param = provider.outputs["ConsumerListParameterName"]
        with tl.step("provider adds the consumer to its list → onboarding shares → invitation") as s:
            p_sess.client("ssm").put_parameter(
                Name=consumers_param, Value=json.dumps([CONSUMER]), Overwrite=True
            )
            result = onboarding.invoke(
                _parameter_change_event(consumers_param, PROVIDER, region, aws.clock.now())
            )
            s.note("onboarding: " + ", ".join(f"{c['action']} {c['principal']}" for c in result["changes"]))
            s.expect(invitation_status(PROVIDER) == ["PENDING"], "one PENDING invitation from the provider")

        with tl.step("RAM event → controller accepts the trusted share (no endpoint in the same run)") as s:
            s.expect(
                deliver_ram_events(s) >= 1, "the invitation's aws.ram event reached the controller's rule"
            )
            s.expect(invitation_status(PROVIDER) == ["ACCEPTED"], "the invitation is ACCEPTED")
            s.expect(
                managed_endpoints() == [],
                "no endpoint yet: RAM accepts asynchronously, the endpoint waits until RAM lists the share",
            )

        with tl.step("RAM lists the accepted share → scheduled reconcile creates the endpoint") as s:
            aws.clock.advance(seconds=30)
            controller.invoke(_scheduled_event(CONSUMER, region, aws.clock.now()))
            eps = managed_endpoints()
            s.expect(len(eps) == 1, "exactly one managed resource endpoint")
            ep = eps[0]
            tags = {t["Key"]: t["Value"] for t in ep["Tags"]}
            s.note(
                f"endpoint {ep['VpcEndpointId']} ({ep['State']}) "
                f"for {tags['linkpilot:resource-configuration-arn'].rsplit('/', 1)[1]}"
            )
            s.expect(
                tags.get("linkpilot:resource-share-arn") == share_arn, "the endpoint is tagged with its share"
            )
            subjects = [n["subject"] for n in notifications()]
            s.note(f"notifications: {subjects}")
            s.expect(subjects, "the accept/create was notified on the alerts topic")
        endpoint_id = ep["VpcEndpointId"]

        with tl.step("endpoint available → scheduled reconcile publishes the probe target") as s:
            aws.clock.advance(seconds=5)
            controller.invoke(_scheduled_event(CONSUMER, region, aws.clock.now()))
            inputs = schedule_inputs()
            targets = [t for i in inputs for t in i.get("targets", [])]
            s.expect(
                [t["endpoint_id"] for t in targets] == [endpoint_id],
                "the probe schedule targets the endpoint",
            )
            dns_name = targets[0]["dns_name"]
            s.note(f"probe target {dns_name} → {aws.resolve(dns_name)} (the endpoint's loopback address)")
            emf_in(c_sess, aws.clock.now())

        # ---------------------------------------------------------------- probing and alarms
        base = datetime.fromtimestamp(aws.clock.time() // 60 * 60 + 60, tz=UTC)
        minute = [0]

        def probe_round() -> dict[str, Any]:
            """One scheduled probe run in its own simulated minute, then CloudWatch's evaluation."""
            run_at = base + timedelta(minutes=minute[0], seconds=5)
            aws.clock.advance(run_at - aws.clock.now())
            (event,) = inputs  # one endpoint: one schedule, invoked with its input as is
            result = probe.invoke(event, resolver=aws.resolver)
            emf_in(c_sess, run_at)
            minute[0] += 1
            aws.clock.advance(base + timedelta(minutes=minute[0]) - aws.clock.now())
            evaluate_alarms(c_cw, aws.clock.now(), c_sess.client("sns"))
            row: dict[str, Any] = result["results"][0]
            return row

        def alarm_state() -> str:
            return str(c_cw.describe_alarms(AlarmNames=[failing_alarm])["MetricAlarms"][0]["StateValue"])

        with tl.step("probe through the endpoint: the target answers") as s:
            for _ in range(3):
                row = probe_round()
                s.expect(row["ok"], f"probe ok (got {row['verdict']}: {row.get('error')})")
            t = row["timings_ms"]
            s.note(
                f"verdict {row['verdict']}, HTTP {row['status_code']}, {row['bytes_read']} bytes, "
                f"connect {t['connect']:.1f} ms, first byte {t['first_byte']:.1f} ms, "
                f"total {t['total']:.1f} ms"
            )
            s.expect(alarm_state() == "OK", "the failing-targets alarm is OK")

        with tl.step("the target stops → probe fails → alarm goes to ALARM") as s:
            target.stop()
            went_down = aws.clock.now()
            for _ in range(5):
                row = probe_round()
                s.expect(not row["ok"], "the probe reports the target down")
                if alarm_state() == "ALARM":
                    break
            took = aws.clock.now() - went_down
            s.note(
                f"verdict {row['verdict']} ({row.get('error')}); ALARM after {took.total_seconds() / 60:.1f} "
                f"simulated minutes"
            )
            s.expect(alarm_state() == "ALARM", "the alarm is in ALARM")
            s.expect(took <= timedelta(minutes=3), "detected within 3 minutes")
            s.expect(any("ALARM" in n["subject"] for n in notifications()), "the ALARM reached the SNS topic")

        with tl.step("the target comes back → probe ok → alarm back to OK") as s:
            target.start()
            for _ in range(4):
                row = probe_round()
                if alarm_state() == "OK":
                    break
            s.expect(row["ok"], "the probe reports the target up")
            s.expect(alarm_state() == "OK", "the alarm is OK again")
            s.expect(any("OK" in n["subject"] for n in notifications()), "the OK reached the SNS topic")

        # ---------------------------------------------------------------- untrusted share
        with tl.step(
            f"an untrusted account shares with the consumer → {options.untrusted_invitations}d"
        ) as s:
            u_vpc, u_subnets, _ = _vpc(u_sess, "10.2.0.0/16")
            rogue = deploy_stack(
                u_sess,
                REPO / "provider" / "template.yaml",
                stack_name="rogue",
                parameters={"VpcId": u_vpc, "SubnetIds": u_subnets, "TargetDomainName": "rogue.example"},
            )
            u_sess.client("ram").associate_resource_share(
                resourceShareArn=rogue.outputs["ResourceShareArn"], principals=[CONSUMER]
            )
            deliver_ram_events(s)
            expected = "PENDING" if options.untrusted_invitations == "ignore" else "REJECTED"
            s.expect(invitation_status(UNTRUSTED) == [expected], f"the untrusted invitation is {expected}")
            s.expect(
                [e["VpcEndpointId"] for e in managed_endpoints()] == [endpoint_id],
                "no endpoint for the untrusted configuration",
            )

        with tl.step("linkpilot status") as s:
            from linkpilot.consumer.policy import parse_policy
            from linkpilot_cli.commands.status import collect_status
            from linkpilot_cli.status import render_table

            policy = parse_policy(
                c_sess.client("ssm").get_parameter(Name=consumer.physical["PolicyParameter"])["Parameter"][
                    "Value"
                ]
            )
            report = collect_status(c_sess, policy, now=aws.clock.now())
            for line in render_table(report).splitlines():
                s.note(line)
            s.expect([e.probe for e in report.endpoints] == ["ok"], "status shows the endpoint probing ok")
            if options.untrusted_invitations == "ignore":
                s.expect(
                    [i.sender_account_id for i in report.invitations] == [UNTRUSTED],
                    "status lists the untrusted invitation",
                )

        # ---------------------------------------------------------------- unshare
        with tl.step("provider removes the consumer → access revoked → controller deletes the endpoint") as s:
            p_sess.client("ssm").put_parameter(Name=consumers_param, Value="[]", Overwrite=True)
            onboarding.invoke(_parameter_change_event(consumers_param, PROVIDER, region, aws.clock.now()))
            shared = c_ram.list_resources(resourceOwner="OTHER-ACCOUNTS")["resources"]
            s.expect(cfg_arn not in [r["arn"] for r in shared], "the configuration is no longer shared")
            deliver_ram_events(s)
            aws.clock.advance(seconds=5)
            s.expect(managed_endpoints() == [], "the managed endpoint is deleted")
            controller.invoke(_scheduled_event(CONSUMER, region, aws.clock.now()))
            left = [t for i in schedule_inputs() for t in i.get("targets", [])]
            s.expect(left == [], "no probe targets remain")
            subjects = [n["subject"] for n in notifications()]
            s.note(f"notifications: {subjects}")
        emf_in(c_sess, aws.clock.now())
    except ExpectationFailed:
        pass
    except Exception as exc:  # noqa: BLE001 - a crash is a failed demo, reported with its cause
        tl.say(f"\nthe demo stopped on an error: {exc!r} (see {sink.path})")
        import traceback

        traceback.print_exc(file=sink)
        return False
    finally:
        target.stop()
        aws.stop()
        sink.close()
    verdict = "every expectation held" if tl.ok else "an expectation FAILED"
    tl.say(f"\n{len(tl.steps)} steps, {tl.checks} checks, {tl.elapsed():.1f} s: {verdict}")
    return tl.ok


def loopback_only() -> None:
    """The demo's traffic stays on 127.0.0.0/8, like the tests' (an address elsewhere is refused)."""
    from linkpilot_local import netguard

    netguard.install()
