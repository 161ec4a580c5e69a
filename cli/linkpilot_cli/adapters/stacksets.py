"""CloudFormation StackSets: the calls of a rollout, and the wait for each of its operations.

The only module that calls CloudFormation. What to send and what the answers mean is the plan's
(``linkpilot_cli.rollout``); this module makes the calls in their order (read what exists; create or update
the StackSet; create the instances), waits for each operation (StackSets run one at a time), and says how
it goes through ``progress``.

Errors by name: ``StackSetNotFoundException`` from ``DescribeStackSet`` means there is no StackSet yet (it is
created). A change AWS refuses for a reason a retry will not fix (the errors the model lists for
CreateStackSet, UpdateStackSet and CreateStackInstances, and CloudFormation's ``ValidationError``) is
``Refused``; anything else leaves as ``Transient`` (``translates_errors``). ``changed`` says whether a call
that changes something was made: the command reports a failure before it as "nothing changed".
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, error_message, translates_errors
from linkpilot.errors import Refused
from linkpilot_cli import rollout
from linkpilot_cli.rollout import RolloutReport, RolloutRequest, StackSetState

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

NOT_FOUND = "StackSetNotFoundException"
CHANGE_REFUSALS = frozenset(
    {
        "NameAlreadyExistsException",
        "CreatedButModifiedException",
        "LimitExceededException",
        "StackSetNotFoundException",
        "OperationInProgressException",
        "OperationIdAlreadyExistsException",
        "StaleRequestException",
        "InvalidOperationException",
        "StackInstanceNotFoundException",
        "ValidationError",
    }
)


@translates_errors
class StackSetRollout:
    """The CloudFormation calls of one rollout (``client``: a CloudFormation client)."""

    def __init__(
        self,
        cfn: CloudFormationClient,
        *,
        poll_seconds: float = 15.0,
        timeout_seconds: float = 3600.0,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cfn: Any = cfn  # the requests are built as plain dicts by the plan
        self._progress = progress
        self._poll = poll_seconds
        self._timeout = timeout_seconds
        self._sleep = sleep
        self._clock = clock
        self.changed = False  # set once a call that changes something has been made

    def state(self, request: RolloutRequest) -> StackSetState | None:
        """The StackSet as it exists (its id, the OUs it was deployed to), or None when there is none."""
        try:
            found = self._cfn.describe_stack_set(StackSetName=request.stack_set_name, CallAs=request.call_as)[
                "StackSet"
            ]
        except ClientError as exc:
            if error_code(exc) == NOT_FOUND:
                return None
            raise
        ous = set(found.get("OrganizationalUnitIds", []))
        pages = self._cfn.get_paginator("list_stack_instances").paginate(
            StackSetName=request.stack_set_name, CallAs=request.call_as
        )
        for page in pages:
            ous.update(
                s["OrganizationalUnitId"] for s in page.get("Summaries", []) if s.get("OrganizationalUnitId")
            )
        return StackSetState(str(found.get("StackSetId", "")), frozenset(ous))

    def instance_results(self, request: RolloutRequest, operation_id: str) -> list[dict[str, Any]]:
        """Every stack instance result of an operation: ALL pages of ListStackSetOperationResults."""
        pages = self._cfn.get_paginator("list_stack_set_operation_results").paginate(
            StackSetName=request.stack_set_name, OperationId=operation_id, CallAs=request.call_as
        )
        return [dict(summary) for page in pages for summary in page.get("Summaries", [])]

    def wait(self, request: RolloutRequest, operation_id: str, action: str) -> dict[str, Any]:
        """Poll the operation until it is done (or ``timeout_seconds`` passed); its line of the report."""
        started = self._clock()
        while True:
            operation = self._cfn.describe_stack_set_operation(
                StackSetName=request.stack_set_name, OperationId=operation_id, CallAs=request.call_as
            )["StackSetOperation"]
            status = str(operation.get("Status", ""))
            if self._progress is not None:
                results = self.instance_results(request, operation_id)
                elapsed = self._clock() - started
                self._progress(rollout.progress_line(action, operation_id, status, results, elapsed))
            if status in rollout.DONE_STATUSES:
                break
            if self._clock() > started + self._timeout:
                return rollout.timed_out(action, operation_id, status)
            self._sleep(self._poll)
        results = self.instance_results(request, operation_id) if status != "SUCCEEDED" else []
        return rollout.operation_result(action, operation_id, status, results)

    def deploy(self, request: RolloutRequest, *, dry_run: bool = False) -> RolloutReport:
        """Create or update the StackSet, then its instances for every requested OU and Region."""
        planned = rollout.plan(request, self.state(request))
        report = RolloutReport(
            stack_set_name=request.stack_set_name,
            stack_set_id=planned.stack_set_id,
            untargeted_ous=list(planned.untargeted_ous),
        )
        if dry_run:
            report.action = planned.planned_action
            return report
        arguments = {**rollout.stack_set_arguments(request), **rollout.template_arguments(request)}
        self.changed = True
        if planned.create:
            created = self._change(self._cfn.create_stack_set, **arguments)
            report.action, report.stack_set_id = "created", created["StackSetId"]
        else:
            # No DeploymentTargets/Regions: the update reaches every existing stack instance.
            preferences = rollout.operation_preferences(request)
            updated = self._change(self._cfn.update_stack_set, **arguments, OperationPreferences=preferences)
            report.action = "updated"
            report.operations.append(self.wait(request, updated["OperationId"], "update-stack-set"))
            if not report.ok:
                return report
        # Creating instances that already exist is a no-op, so this also covers new OUs and Regions.
        instances = self._change(self._cfn.create_stack_instances, **rollout.instance_arguments(request))
        report.operations.append(self.wait(request, instances["OperationId"], "create-stack-instances"))
        return report

    @staticmethod
    def _change(call: Callable[..., Any], **arguments: Any) -> Any:
        try:
            return call(**arguments)
        except ClientError as exc:
            if error_code(exc) in CHANGE_REFUSALS:
                raise Refused(error_code(exc), error_message(exc)) from exc
            raise
