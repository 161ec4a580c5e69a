"""The controller's configuration (environment variables, parsed once) and the one place its boto3
clients and adapters are built: used by the Lambda handler, ``linkpilot reconcile`` and the demo alike.

Standard AWS configuration applies (credentials chain, ``AWS_REGION``, ``AWS_ENDPOINT_URL``,
``AWS_MAX_ATTEMPTS``),
so the same code runs against a real account and against the local AWS emulation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from linkpilot.probe_schedule import DEFAULT_MAX_INPUT_CHARS
from linkpilot.reconcile import Controller, ControllerMemory

if TYPE_CHECKING:
    import boto3

ENV = {
    "policy_parameter_name": "LINKPILOT_POLICY_PARAMETER",
    "audit_table_name": "LINKPILOT_AUDIT_TABLE",
    "notification_topic_arn": "LINKPILOT_TOPIC_ARN",
    "probe_schedule_group": "LINKPILOT_PROBE_SCHEDULE_GROUP",
    "probe_function_arn": "LINKPILOT_PROBE_FUNCTION_ARN",
    "probe_scheduler_role_arn": "LINKPILOT_PROBE_SCHEDULER_ROLE_ARN",
    "probe_schedule_expression": "LINKPILOT_PROBE_SCHEDULE",
    "probe_input_max_chars": "LINKPILOT_PROBE_INPUT_MAX_CHARS",
    "audit_retention_days": "LINKPILOT_AUDIT_RETENTION_DAYS",
    "max_workers": "LINKPILOT_MAX_WORKERS",
}


class SettingsError(ValueError):
    """An environment variable has a bad value (the message names it)."""


class ControllerSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    policy_parameter_name: str | None = None
    audit_table_name: str | None = None
    notification_topic_arn: str | None = None
    probe_schedule_group: str | None = None
    probe_function_arn: str | None = None
    probe_scheduler_role_arn: str | None = None
    probe_schedule_expression: str = Field(default="rate(1 minute)", pattern=r"^(rate|cron)\(.+\)$")
    probe_input_max_chars: int = Field(default=DEFAULT_MAX_INPUT_CHARS, ge=1024, le=262_144)
    audit_retention_days: int = Field(default=90, ge=1, le=3650)
    max_workers: int = Field(default=8, ge=1, le=64)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ControllerSettings:
        env = os.environ if environ is None else environ
        values = {field: env[var] for field, var in ENV.items() if env.get(var)}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            problems = [f"{ENV[str(e['loc'][0])]}: {e['msg']}" for e in exc.errors(include_url=False)]
            raise SettingsError("; ".join(problems)) from None

    @property
    def probe_configured(self) -> bool:
        return bool(self.probe_schedule_group and self.probe_function_arn and self.probe_scheduler_role_arn)


def build_controller(
    settings: ControllerSettings, session: boto3.Session, memory: ControllerMemory | None = None
) -> Controller:
    """Real adapters over one boto3 session; optional parts only when configured."""
    from botocore.config import Config

    from linkpilot.aws.consumer_audit import AuditTable
    from linkpilot.aws.consumer_notify import RunNotifier
    from linkpilot.aws.ec2_endpoints import Ec2Endpoints
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
            RunNotifier(session.client("sns", config=config), settings.notification_topic_arn)
            if settings.notification_topic_arn
            else None
        ),
        memory=memory or ControllerMemory(),
        max_workers=settings.max_workers,
        probe_input_max_chars=settings.probe_input_max_chars,
        audit_retention_days=settings.audit_retention_days,
    )
