"""What the demo's step modules (``zones.py``, ``service_networks.py``) use of the run, as a Protocol.

The steps take the run as a parameter; they name what they use of it here instead of importing
:class:`linkpilot_demo.steps.DemoRun`, which imports them: no import circle runs through them, not even one
made only for type checking. ``DemoRun`` satisfies :class:`DemoContext` structurally; mypy checks it where
the run is passed (``DemoRun.steps``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # names for the annotations only: importing this module imports none of them
    import boto3

    from linkpilot_demo.lambdas import LocalFunction
    from linkpilot_demo.reference_target import DatabaseStandIn, ReferenceTarget
    from linkpilot_demo.timeline import Step, Timeline
    from linkpilot_demo.triggers import LocalLambda
    from linkpilot_local.core import LocalAws
    from linkpilot_local.deploy.model import LocalStack


class DemoContext(Protocol):
    """The run as the steps see it: the local AWS and the accounts' sessions, what earlier steps found, the
    helpers that look at the consumer's side, and what these steps record for later ones."""

    # what these steps record (read by the steps that follow)
    inputs: list[dict[str, Any]]  # the probe's inputs, from the controller's schedules
    database: DatabaseStandIn | None
    db_endpoint_id: str
    bad_zone: str
    network_share_arn: str
    network_arn: str
    sn_endpoint_id: str

    @property
    def aws(self) -> LocalAws: ...

    @property
    def region(self) -> str: ...

    @property
    def tl(self) -> Timeline: ...

    @property
    def target(self) -> ReferenceTarget: ...

    @property
    def p_sess(self) -> boto3.Session: ...

    @property
    def c_sess(self) -> boto3.Session: ...

    @property
    def c_vpc(self) -> str: ...

    @property
    def provider(self) -> LocalStack: ...

    @property
    def consumer(self) -> LocalStack: ...

    @property
    def controller(self) -> LocalFunction: ...

    @property
    def service(self) -> LocalLambda: ...

    @property
    def share_arn(self) -> str: ...

    @property
    def endpoint_id(self) -> str: ...

    @property
    def rows(self) -> dict[str, dict[str, Any]]: ...

    def notifications(self) -> list[dict[str, Any]]: ...

    def managed_endpoints(self) -> list[Any]: ...

    def schedule_inputs(self) -> list[dict[str, Any]]: ...

    def deliver_ram_events(self, s: Step) -> int: ...

    def note_runs(self, s: Step, first: int) -> None: ...

    def probe_round(self) -> dict[str, Any]: ...

    def alarm_state(self, name: str | None = None) -> str: ...
