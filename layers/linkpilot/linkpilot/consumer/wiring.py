"""The controller's configuration (environment variables, parsed once) and the one place its boto3
clients and adapters are built: used by the Lambda handler, ``linkpilot reconcile`` and the demo alike.

Standard AWS configuration applies (credentials chain, ``AWS_REGION``, ``AWS_ENDPOINT_URL``,
``AWS_MAX_ATTEMPTS``),
so the same code runs against a real account and against the local AWS emulation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from linkpilot.consumer.memory import ControllerMemory
from linkpilot.consumer.ports import Controller
from linkpilot.consumer.probe_inputs import DEFAULT_MAX_INPUT_CHARS
from linkpilot.settings import EnvSettings, SettingsError, setting

if TYPE_CHECKING:
    import boto3

__all__ = ["ControllerFunction", "ControllerSettings", "SettingsError", "build_controller"]


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
    # the stack's TrustedAccounts (comma-separated; "none" for an empty list), the accounts its IAM
    # condition admits: trust is the policy's trusted_accounts within these. Unset: no ceiling (the CLI,
    # where the caller's own IAM decides).
    trusted_accounts: str | None = setting(None, pattern=r"none|\d{12}(,\d{12})*")

    @property
    def trust_ceiling(self) -> frozenset[str] | None:
        if self.trusted_accounts is None:
            return None
        return frozenset(a for a in self.trusted_accounts.split(",") if a != "none")

    @property
    def probe_configured(self) -> bool:
        return bool(self.probe_schedule_group and self.probe_function_arn and self.probe_scheduler_role_arn)


def build_controller(
    settings: ControllerSettings, session: boto3.Session, memory: ControllerMemory | None = None
) -> Controller:
    """Real adapters over one boto3 session; optional parts only when configured."""
    from botocore.config import Config

    from linkpilot.aws.audit import AuditTable
    from linkpilot.aws.ec2_endpoints import Ec2Endpoints
    from linkpilot.aws.notify import SnsNotifier
    from linkpilot.aws.probe_schedules import ProbeSchedules
    from linkpilot.aws.ram_consumer import RamConsumer

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
    return Controller(
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
        max_workers=settings.max_workers,
        probe_input_max_chars=settings.probe_input_max_chars,
        audit_retention_days=settings.audit_retention_days,
        trust_ceiling=settings.trust_ceiling,
    )


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

    def load_policy(self, force_fetch: bool) -> str:
        if not self.settings.policy_parameter_name:
            return ""  # parse_policy reports the missing document
        value = self._get_parameter(
            self.settings.policy_parameter_name,
            max_age=self.settings.policy_cache_seconds,
            force_fetch=force_fetch,
        )
        return str(value)

    def controller(self) -> Controller:
        if self._controller is None:
            self._controller = build_controller(self.settings, self._session_factory(), self._memory)
        return self._controller
