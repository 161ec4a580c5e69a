"""Lambda: the probe function invoked at once, asynchronously (``InvocationType=Event``: Lambda queues the
event and answers 202 without waiting for the run, Lambda developer guide "Invoking a Lambda function
asynchronously"), with an input that holds the new targets only. The probe's verdicts go to its log and
metrics as on any scheduled run; the controller does not wait for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linkpilot.aws.errors import translates_errors

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient


@translates_errors
class ProbeNow:
    def __init__(self, client: LambdaClient, function_arn: str) -> None:
        self._lambda = client
        self._function_arn = function_arn

    def invoke(self, payload: str) -> None:
        self._lambda.invoke(FunctionName=self._function_arn, InvocationType="Event", Payload=payload.encode())
