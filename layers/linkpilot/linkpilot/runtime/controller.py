"""The controller function's runtime: its settings (environment variables, parsed once), the one place its
boto3 clients and adapters are built, and its Lambda glue (``handle_event``: which event is this, load the
policy, run the one reconcile, publish metrics, decide between "return" and "raise for a retry").
Used by the Lambda handler, ``linkpilot reconcile`` and the demo alike.

- Unknown or malformed event: logged raw, nothing read or written, returns normally (no retry storm).
- Policy that does not validate: ``PolicyErrors`` (alarmed), nothing changed, returns normally (a retry
  cannot fix it). Policy that cannot be read (missing parameter, SSM error): ``PolicyErrors`` and raise.
- Reading AWS failed, or an action failed transiently: ``ReconcileErrors`` and raise, so Lambda retries
  the invocation and, after its retries, the DLQ keeps the event (alarmed).

Standard AWS configuration applies (credentials chain, ``AWS_REGION``, ``AWS_ENDPOINT_URL``,
``AWS_MAX_ATTEMPTS``), so the same code runs against a real account and against the local AWS emulation.
Neither boto3 nor Powertools is imported here at module level: the CLI imports the settings and
``build_controller`` without Powertools; the handler loads boto3 in ``ControllerFunction.from_env``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from linkpilot.consumer.follow_ups import MAX_DELAY_S, FollowUpStatus, follow_up_reason, stale_follow_up
from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.policy import PolicyError, TrustPolicy, parse_policy
from linkpilot.consumer.ports import Controller, Ports, ReconcileOptions, RunClock
from linkpilot.consumer.probe_inputs import DEFAULT_MAX_INPUT_CHARS
from linkpilot.consumer.reconcile import LEASE_NAME, reconcile
from linkpilot.consumer.record import record_read_failure
from linkpilot.consumer.triggers import Trigger, classify_event, follow_up_token
from linkpilot.consumer.uninstall import STACK_ID_PATTERN, is_custom_resource_event
from linkpilot.errors import AwsError
from linkpilot.foreign import MESSAGE_FIELD_BYTES, bound_tree
from linkpilot.lease import LeaseTiming
from linkpilot.outcome import Done, Retry, RetryWhy, RunOutcome, Terminal, conclude, retry_for
from linkpilot.settings import EnvSettings, SettingsError, setting

if TYPE_CHECKING:
    import boto3
    from aws_lambda_powertools import Logger, Metrics

__all__ = ["ControllerFunction", "ControllerSettings", "SettingsError", "build_controller", "handle_event"]

COUNT = "Count"  # Powertools' MetricUnit.Count, by value: no Powertools import for the CLI's sake


@dataclass(frozen=True)
class ControllerSettings(EnvSettings):
    """The controller's environment: ``LINKPILOT_<env name or field name>``."""

    policy_parameter_name: str | None = setting(None, env="policy_parameter")
    policy_cache_seconds: int = setting(300, ge=0, le=3600)
    audit_table_name: str | None = setting(None, env="audit_table")
    notification_topic_arn: str | None = setting(None, env="topic_arn")
    probe_schedule_group: str | None = setting(None)
    probe_function_arn: str | None = setting(None)
    probe_scheduler_role_arn: str | None = setting(None)
    probe_schedule_expression: str = setting(
        "rate(1 minute)", env="probe_schedule", pattern=r"(rate|cron)\(.+\)"
    )
    probe_input_max_chars: int = setting(DEFAULT_MAX_INPUT_CHARS, ge=1024, le=262_144)
    audit_retention_days: int = setting(90, ge=1, le=3650)
    max_workers: int = setting(8, ge=1, le=64)
    # "true": publish each managed endpoint association to SSM (/linkpilot/endpoints/...) and its state
    # changes to the default event bus.
    publish_endpoints: str = setting("false", pattern="true|false")
    # "true": the stack takes service networks and grants VPC Lattice access to service-network VPC
    # associations: every reconcile reads them (association mode, and cleanup after a mode change)
    service_network_associations: str = setting("false", pattern="true|false")
    # the stack's TrustedAccounts (comma-separated; "none" for an empty list), the accounts its IAM
    # condition admits: trust is the policy's trusted_accounts within these. Unset: no ceiling (the CLI,
    # where the caller's own IAM decides).
    trusted_accounts: str | None = setting(None, pattern=r"none|\d{12}(,\d{12})*")
    # the function's own stack (template: !Ref AWS::StackId): the only stack whose cleanup custom resource
    # it answers. Unset (the CLI): no custom resource request is answered.
    stack_id: str | None = setting(None, pattern=STACK_ID_PATTERN)

    @property
    def trust_ceiling(self) -> frozenset[str] | None:
        if self.trusted_accounts is None:
            return None
        return frozenset(a for a in self.trusted_accounts.split(",") if a != "none")

    # the stack's state table: the run lease and the grace marks (unset: runs are not serialised and
    # the grace marks live in the process's memory, so a one-shot CLI run never deletes on a missing read)
    state_table_name: str | None = setting(None, env="state_table")
    lease_seconds: int = setting(330, ge=30, le=3600)
    lease_wait_seconds: int = setting(60, ge=0, le=900)
    # the stack's follow-up queue (linkpilot.consumer.follow_ups): a run that leaves work only time will
    # finish sends itself a delayed message there. Unset (the CLI): no follow-up runs.
    follow_up_queue_url: str | None = setting(None, env="follow_up_queue")
    # the stack's ReconcileSchedule: a grace that ends within its interval gets a follow-up at its end
    reconcile_schedule: str = setting("rate(5 minutes)", pattern=r"(rate|cron)\(.+\)")

    def options(self) -> ReconcileOptions:
        """What the reconcile takes of these settings."""
        return ReconcileOptions(
            max_workers=self.max_workers,
            probe_input_max_chars=self.probe_input_max_chars,
            audit_retention_days=self.audit_retention_days,
            trust_ceiling=self.trust_ceiling,
            lease_timing=LeaseTiming(ttl_s=self.lease_seconds, wait_s=self.lease_wait_seconds),
            follow_up_horizon=schedule_interval(self.reconcile_schedule),
        )

    @property
    def probe_configured(self) -> bool:
        return bool(self.probe_schedule_group and self.probe_function_arn and self.probe_scheduler_role_arn)


_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")


def schedule_interval(expression: str) -> timedelta:
    """The interval of a ``rate(...)`` expression, at most 15 minutes (SQS's longest delay); a ``cron(...)``
    schedule's is taken as those 15 minutes."""
    found = _RATE.fullmatch(expression.strip())
    longest = timedelta(seconds=MAX_DELAY_S)
    if found is None:
        return longest
    unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
    return min(longest, timedelta(seconds=int(found.group(1)) * unit))


def build_controller(
    settings: ControllerSettings, session: boto3.Session, memory: ControllerMemory | None = None
) -> Controller:
    """Real adapters over one boto3 session; optional parts only when configured."""
    from botocore.config import Config

    from linkpilot.aws.audit import AuditTable
    from linkpilot.aws.ec2_endpoints import Ec2Endpoints
    from linkpilot.aws.events import EventBridgeEvents
    from linkpilot.aws.follow_up_queue import FollowUpQueue
    from linkpilot.aws.lattice_associations import LatticeAssociations
    from linkpilot.aws.notify import SnsNotifier
    from linkpilot.aws.probe_now import ProbeNow
    from linkpilot.aws.probe_schedules import ProbeSchedules
    from linkpilot.aws.ram_consumer import RamConsumer
    from linkpilot.aws.ssm_directory import SsmEndpointDirectory
    from linkpilot.aws.state_table import StateTable
    from linkpilot.consumer.directory import PREFIX

    # standard retries (throttling backs off); the pool fits the reconcile's worker threads
    config = Config(retries={"mode": "standard"}, max_pool_connections=max(10, settings.max_workers + 2))
    schedules = None
    if settings.probe_configured:
        schedules = ProbeSchedules(
            session.client("scheduler", config=config),
            group=str(settings.probe_schedule_group),
            function_arn=str(settings.probe_function_arn),
            role_arn=str(settings.probe_scheduler_role_arn),
            expression=settings.probe_schedule_expression,
        )
    state = (
        StateTable(session.client("dynamodb", config=config), settings.state_table_name)
        if settings.state_table_name
        else None
    )
    ports = Ports(
        ram=RamConsumer(session.client("ram", config=config)),
        ec2=Ec2Endpoints(session.client("ec2", config=config)),
        schedules=schedules,
        audit=(
            AuditTable(session.client("dynamodb", config=config), settings.audit_table_name)
            if settings.audit_table_name
            else None
        ),
        notifier=(
            SnsNotifier(session.client("sns", config=config), settings.notification_topic_arn)
            if settings.notification_topic_arn
            else None
        ),
        memory=memory or ControllerMemory(),
        lease=state,
        marks=state,
        directory=(
            SsmEndpointDirectory(session.client("ssm", config=config), PREFIX)
            if settings.publish_endpoints == "true"
            else None
        ),
        events=EventBridgeEvents(session.client("events", config=config))
        if settings.publish_endpoints == "true"
        else None,
        associations=(
            LatticeAssociations(session.client("vpc-lattice", config=config))
            if settings.service_network_associations == "true"
            else None
        ),
        follow_ups=(
            FollowUpQueue(session.client("sqs", config=config), settings.follow_up_queue_url)
            if settings.follow_up_queue_url
            else None
        ),
        probe_now=(
            ProbeNow(session.client("lambda", config=config), str(settings.probe_function_arn))
            if settings.probe_configured
            else None
        ),
    )
    clock = RunClock(shared=state.clock if state is not None else None)
    return Controller(ports, settings.options(), clock)


class ControllerFunction:
    """The controller function's wiring: settings, the policy loader and one set of clients per warm
    container. The handler builds one at cold start and passes each event to ``handle``."""

    def __init__(
        self,
        settings: ControllerSettings,
        session_factory: Callable[[], boto3.Session],
        get_parameter: Callable[..., Any],
    ) -> None:
        self.settings = settings
        self._session_factory = session_factory
        self._get_parameter = get_parameter
        self._memory = ControllerMemory()
        self._controller: Controller | None = None
        # the runner's own clock (None: UTC now), which names runs and dates audit records; the demo sets its
        # simulated clock. The lease, the grace and the creation-time rule run on AWS's clock (state table).
        self.clock: Callable[[], datetime] | None = None

    @classmethod
    def from_env(cls) -> ControllerFunction:
        """The function as Lambda runs it: settings from the environment, boto3 sessions, the policy through
        Powertools' parameter cache. Called once, at cold start (the handler module's import)."""
        import boto3
        from aws_lambda_powertools.utilities import parameters

        return cls(ControllerSettings.from_env(), boto3.Session, parameters.get_parameter)

    def handle(self, event: Any, logger: Logger, metrics: Metrics) -> dict[str, Any]:
        """One invocation: the stack's cleanup custom resource, or a reconcile trigger."""
        if is_custom_resource_event(event):
            result = self.custom_resource(event)
            if result.get("status") == "ignored":
                # not this stack's cleanup resource: nothing read, written or sent (fields bounded, escaped)
                logger.warning("custom resource request ignored", extra={"ignored": result})
            else:
                logger.info("custom resource answered", extra={"result": result})
            return result
        return handle_event(
            event,
            policy_parameter=self.settings.policy_parameter_name,
            load_policy=self.load_policy,
            controller=self.controller,
            logger=logger,
            metrics=metrics,
        )

    def load_policy(self, force_fetch: bool) -> str:
        if not self.settings.policy_parameter_name:
            return ""  # parse_policy reports the missing document
        value = self._get_parameter(
            self.settings.policy_parameter_name,
            max_age=self.settings.policy_cache_seconds,
            force_fetch=force_fetch,
        )
        return str(value)

    def custom_resource(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """The stack's ``ManagedEndpointsCleanup`` custom resource (uninstall): answer CloudFormation.

        A request that is not this stack's own cleanup resource's (:func:`custom_resource_refusal`) is
        ignored before anything is built, read, written or sent: ``{"status": "ignored", ...}`` with the
        reason and the request's identifying fields, bounded and escaped, for the log."""
        from linkpilot.consumer.uninstall import (
            cleanup_under_lease,
            custom_resource_refusal,
            custom_resource_reply,
            describe_request,
        )

        refusal = custom_resource_refusal(event, self.settings.stack_id)
        if refusal is not None:
            return {"status": "ignored", "reason": refusal, "request": describe_request(event)}
        from linkpilot.aws.cfn_response import send_response

        ctl = self.controller()
        body, report = custom_resource_reply(
            event,
            lambda: cleanup_under_lease(
                ctl.ports.ec2,
                ctl.ports.lease,
                dry_run=False,
                hold=True,
                shared=ctl.clock.shared_time,
                sleep=ctl.clock.sleep,
                associations=ctl.ports.associations,
            ),
        )
        send_response(str(event["ResponseURL"]), body)
        return {**body, "cleanup": report.to_json() if report else None}

    def controller(self) -> Controller:
        if self._controller is None:
            self._controller = build_controller(self.settings, self._session_factory(), self._memory)
        if self.clock is not None:
            self._controller.clock.own = self.clock
        return self._controller


def handle_event(
    event: Any,
    *,
    policy_parameter: str | None,
    load_policy: Callable[[bool], str],
    controller: Callable[[], Controller],
    logger: Logger,
    metrics: Metrics,
) -> dict[str, Any]:
    """``load_policy(force_fetch)`` returns the policy JSON; ``controller()`` builds the adapters. Returns the
    invocation's result, or raises as the run's outcome says (:func:`linkpilot.outcome.conclude`)."""
    outcome, result = _run(
        event,
        policy_parameter=policy_parameter,
        load_policy=load_policy,
        controller=controller,
        logger=logger,
        metrics=metrics,
    )
    return conclude(outcome, result)


def _run(
    event: Any,
    *,
    policy_parameter: str | None,
    load_policy: Callable[[bool], str],
    controller: Callable[[], Controller],
    logger: Logger,
    metrics: Metrics,
) -> tuple[RunOutcome, dict[str, Any]]:
    trigger = classify_event(event, policy_parameter)
    # the event is a hint kept for the log; its fields may come from another account (a share's name)
    raw = bound_tree(event, MESSAGE_FIELD_BYTES)
    if trigger is None:
        logger.warning("unrecognised event: nothing read or changed", extra={"raw_event": raw})
        return Done(), {"status": "ignored", "reason": "unrecognised event"}
    logger.info("reconcile triggered", extra={"trigger": trigger.value, "raw_event": raw})

    try:
        document = load_policy(trigger is Trigger.POLICY_CHANGE)
    except Exception as exc:
        # Missing parameter, access denied or SSM throttling (Powertools wraps them all): nothing can be
        # decided. Alarm, and retry in case it was transient.
        metrics.add_metric(name="PolicyErrors", unit=COUNT, value=1)
        logger.exception("policy could not be loaded: nothing changed")
        return Retry(f"policy could not be loaded: {exc}", why=RetryWhy.AWS, cause=exc), {}
    try:
        policy: TrustPolicy = parse_policy(document, source="policy parameter")
    except PolicyError as exc:
        metrics.add_metric(name="PolicyErrors", unit=COUNT, value=1)
        logger.error("policy invalid: nothing changed", extra={"problems": list(exc.problems)})
        problems = list(exc.problems)
        return Terminal("policy invalid", tuple(problems)), {"status": "policy-error", "problems": problems}
    metrics.add_metric(name="PolicyErrors", unit=COUNT, value=0)

    ctl = controller()
    token = follow_up_token(event) if trigger is Trigger.FOLLOW_UP else None
    try:
        stale = stale_follow_up(ctl, token, LEASE_NAME) if token is not None else None
        if stale is not None:
            logger.info("follow-up ignored", extra={"reason": stale})
            return Done(), {"status": "ignored", "reason": stale}
        # an event, the schedule or a follow-up is only a hint: a run that began after it covers it
        hint = trigger in {Trigger.RAM_EVENT, Trigger.SCHEDULE, Trigger.FOLLOW_UP}
        report = reconcile(policy, ctl, trigger=trigger.value, coalesce=hint, follow_up_token=token)
    except AwsError as exc:
        stopped = retry_for(exc)
        if stopped.why is RetryWhy.BUSY:
            # another run held the account's lease all along: nothing read or changed
            metrics.add_metric(name="LeaseBusy", unit=COUNT, value=1)
            logger.warning("another reconcile holds the lease: raising so the invocation is retried")
        else:
            metrics.add_metric(name="ReconcileErrors", unit=COUNT, value=1)
            logger.exception("reading AWS failed: nothing changed; raising so the invocation is retried")
            problems = record_read_failure(ctl, trigger.value, exc)
            if problems:
                logger.error("the failed run could not be recorded", extra={"problems": problems})
        return stopped, {}
    for name, value in report.metrics().items():
        metrics.add_metric(name=name, unit=COUNT, value=value)
    # each string bounded: a name another account chose must not make the log line exceed CloudWatch Logs'
    # 256 KB event size (cut there, the line is no longer JSON) nor the invocation's result
    summary = bound_tree(report.to_json(), MESSAGE_FIELD_BYTES)
    logger.info("reconcile finished", extra={"summary": summary})
    if report.follow_up.status is FollowUpStatus.ARRANGED:
        logger.info(follow_up_reason(report.follow_up), extra={"follow_up": report.follow_up.to_json()})
    return report.outcome, {"status": "failed" if report.failed else "ok", "summary": summary}
