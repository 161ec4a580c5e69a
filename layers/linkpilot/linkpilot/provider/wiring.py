"""The onboarding function's configuration (environment variables, parsed once) and the one place its
boto3 clients and adapters are built. Standard AWS configuration applies (credentials chain, ``AWS_REGION``,
``AWS_ENDPOINT_URL``), so the same code runs against a real account and against the local AWS emulation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from linkpilot.lease import LeasePort, SharedClock
from linkpilot.provider.plan import SharingMode
from linkpilot.provider.ports import ConsumerEndpoints, ConsumerListSource, ShareAdmin
from linkpilot.provider.service import Outputs
from linkpilot.settings import EnvSettings, setting

if TYPE_CHECKING:
    import boto3


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

    def collaborators(self) -> Collaborators:
        if self._collaborators is None:
            if self._session_factory is None:
                raise ValueError("OnboardingFunction needs a session factory or collaborators")
            self._collaborators = build_collaborators(self.settings, self._session_factory())
        return self._collaborators
