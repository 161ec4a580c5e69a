"""The onboarding function's runtime: its settings (environment variables, parsed once), the one place its
boto3 clients and adapters are built, and its Lambda glue (``handle_event``: run one pass, publish metrics,
log the summary). The event is only a hint: every invocation reads the parameter and the share afresh.

A consumer list or share that is unusable changes nothing and is reported (``OnboardingConfigErrors``);
throttling and service errors raise ``Transient``, so Lambda retries the invocation.

Standard AWS configuration applies (credentials chain, ``AWS_REGION``, ``AWS_ENDPOINT_URL``), so the same code
runs against a real account and against the local AWS emulation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from linkpilot.errors import AwsError
from linkpilot.foreign import MESSAGE_FIELD_BYTES, bound_tree
from linkpilot.lease import LeasePort, LeaseTiming, OwnClock, SharedClock, lease_held, new_owner
from linkpilot.outcome import conclude, retry_for
from linkpilot.provider.plan import SharingMode
from linkpilot.provider.ports import ConfigurationNotFound, ConsumerEndpoints, ConsumerListSource, ShareAdmin
from linkpilot.provider.service import Outputs, SyncReport, observe_connections, run_onboarding
from linkpilot.settings import EnvSettings, setting

if TYPE_CHECKING:
    import boto3
    from aws_lambda_powertools import Logger, Metrics

LEASE_NAME = "onboarding"
COUNT = "Count"  # Powertools' MetricUnit.Count, by value


@dataclass(frozen=True)
class OnboardingSettings(EnvSettings):
    """The onboarding function's environment: ``LINKPILOT_<field name>``."""

    share_arn: str = setting()
    consumer_list_parameter: str = setting()
    audit_table: str = setting()
    topic_arn: str = setting()
    sharing_mode: SharingMode = setting(SharingMode.ACCOUNTS)
    audit_retention_days: int = setting(90, ge=1, le=3650)
    # The shared resource configuration(s) whose consumer endpoints are counted (comma separated ARNs);
    # empty: no provider's view (no ConnectedConsumers metric).
    resource_configuration_arns: str = setting("")
    # Hours a declared consumer may stay without an endpoint (ConsumersWithoutEndpointOverdue); 0: not judged.
    endpoint_overdue_hours: int = setting(0, ge=0, le=8760)
    # the stack's state table: one onboarding pass at a time (unset: passes are not serialised)
    state_table: str | None = setting(None)
    lease_seconds: int = setting(90, ge=30, le=3600)  # > the function's 60 s timeout
    lease_wait_seconds: int = setting(20, ge=0, le=900)

    @property
    def configurations(self) -> tuple[str, ...]:
        return tuple(a.strip() for a in self.resource_configuration_arns.split(",") if a.strip())


@dataclass(frozen=True)
class Collaborators:
    consumer_list: ConsumerListSource
    share: ShareAdmin
    out: Outputs
    endpoints: ConsumerEndpoints | None = None  # the provider's view (Lattice); None: not observed
    lease: LeasePort | None = None
    # the time the lease runs on (the state table's reading of AWS's clock); None: this host's clock
    shared_clock: SharedClock | None = None


def build_collaborators(settings: OnboardingSettings, session: boto3.Session) -> Collaborators:
    """Real adapters over one boto3 session."""
    from botocore.config import Config

    from linkpilot.aws.audit import AuditTable
    from linkpilot.aws.lattice_provider import LatticeConsumerEndpoints
    from linkpilot.aws.notify import SnsNotifier
    from linkpilot.aws.ram_provider import RamShareAdmin
    from linkpilot.aws.ssm_parameters import SsmParameter
    from linkpilot.aws.state_table import StateTable

    config = Config(retries={"mode": "standard"})
    state = (
        StateTable(
            session.client("dynamodb", config=config), settings.state_table, clock_key="lease#onboarding"
        )
        if settings.state_table
        else None
    )
    return Collaborators(
        consumer_list=SsmParameter(session.client("ssm", config=config), settings.consumer_list_parameter),
        share=RamShareAdmin(session.client("ram", config=config)),
        out=Outputs(
            audit=AuditTable(session.client("dynamodb", config=config), settings.audit_table),
            notifier=SnsNotifier(session.client("sns", config=config), settings.topic_arn),
            retention_days=settings.audit_retention_days,
        ),
        endpoints=LatticeConsumerEndpoints(session.client("vpc-lattice", config=config))
        if settings.configurations
        else None,
        lease=state,
        shared_clock=state.clock if state is not None else None,
    )


class OnboardingFunction:
    """The onboarding function's wiring: settings and one set of clients per warm container (or the
    collaborators a test or the demo passes)."""

    def __init__(
        self,
        settings: OnboardingSettings,
        session_factory: Callable[[], boto3.Session] | None = None,
        collaborators: Collaborators | None = None,
    ) -> None:
        self.settings = settings
        self._session_factory = session_factory
        self._collaborators = collaborators

    @classmethod
    def from_env(cls) -> OnboardingFunction:
        """The function as Lambda runs it: settings from the environment, boto3 sessions. Called once, at
        cold start (the handler module's import)."""
        import boto3

        return cls(OnboardingSettings.from_env(), boto3.Session)

    def handle(self, event: Any, logger: Logger, metrics: Metrics) -> dict[str, Any]:
        return handle_event(event, function=self, logger=logger, metrics=metrics)

    def collaborators(self) -> Collaborators:
        if self._collaborators is None:
            if self._session_factory is None:
                raise ValueError("OnboardingFunction needs a session factory or collaborators")
            self._collaborators = build_collaborators(self.settings, self._session_factory())
        return self._collaborators


def _one_pass_at_a_time(function: OnboardingFunction, parts: Collaborators) -> SyncReport:
    """One pass, under the stack's lease when configured (a parameter change and the schedule never act
    on the share at the same time; a pass that waited reads the list and the share afresh). ``LeaseBusy``
    (a ``Transient``) raises, so Lambda retries the invocation."""

    def one_pass() -> SyncReport:
        return run_onboarding(
            share_arn=function.settings.share_arn,
            mode=function.settings.sharing_mode,
            consumer_list=parts.consumer_list,
            share=parts.share,
            out=parts.out,
        )

    settings = function.settings
    # the lease runs on the time every pass shares (AWS's, from the state table), not this host's clock
    with lease_held(
        parts.lease,
        name=LEASE_NAME,
        owner=new_owner("onboarding"),
        timing=LeaseTiming(ttl_s=settings.lease_seconds, wait_s=settings.lease_wait_seconds),
        clock=parts.shared_clock or OwnClock(lambda: datetime.now(UTC)),
        sleep=time.sleep,
    ):
        return one_pass()


def handle_event(
    event: Any, *, function: OnboardingFunction, logger: Logger, metrics: Metrics
) -> dict[str, Any]:
    """One pass and the provider's view after it. Returns the summary, or raises as the pass's outcome says
    (:func:`linkpilot.outcome.conclude`): throttling, service errors and a busy lease retry the invocation;
    an unusable list or share is reported (``OnboardingConfigErrors``) and returns."""
    logger.info("onboarding triggered", extra={"raw_event": bound_tree(event, MESSAGE_FIELD_BYTES)})
    parts = function.collaborators()
    try:
        report = _one_pass_at_a_time(function, parts)
        summary = _observe(report, function.settings, parts, logger, metrics)
    except AwsError as exc:
        return conclude(retry_for(exc), {})
    if report.error:
        logger.error("onboarding made no change", extra=summary)
    else:
        logger.info("onboarding pass done", extra=summary)
    return conclude(report.outcome, summary)


def _observe(
    report: SyncReport, settings: OnboardingSettings, parts: Collaborators, logger: Logger, metrics: Metrics
) -> dict[str, Any]:
    """The pass's metrics and summary, with the provider's view of its consumers when configured."""
    for name, value in report.metrics().items():
        metrics.add_metric(name=name, unit=COUNT, value=value)
    summary = report.summary()
    if parts.endpoints is not None and settings.configurations:
        try:
            view = observe_connections(
                report,
                configurations=settings.configurations,
                endpoints=parts.endpoints,
                now=parts.out.clock(),
                overdue_hours=settings.endpoint_overdue_hours,
            )
        except ConfigurationNotFound as err:
            logger.error("consumer endpoints not readable", extra={"error": str(err)})
            metrics.add_metric(name="OnboardingConfigErrors", unit=COUNT, value=1)
            summary["connections_error"] = str(err)
        else:
            if view is not None:
                for name, value in view.metrics().items():
                    metrics.add_metric(name=name, unit=COUNT, value=value)
                summary["connected_consumers"] = [r.account for r in view.connected]
                summary["declared_without_endpoint"] = [r.account for r in view.without_endpoint]
                summary["overdue"] = [r.account for r in view.rows if r.overdue]
    return summary
