"""SSM Parameter Store: the provider's declared consumer list, read fresh on every pass.

Read through Powertools Parameters, which wraps every failure in ``GetParameterError``: a missing parameter
is a configuration error (``ConsumerListUnavailable``); anything else leaves as ``Transient`` (retried).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, transient
from linkpilot.errors import Transient
from linkpilot.provider.ports import ConsumerListUnavailable

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient


class SsmParameter:
    def __init__(self, client: SSMClient, name: str) -> None:
        self._ssm = client
        self._name = name

    def read(self) -> str:
        from aws_lambda_powertools.utilities.parameters import SSMProvider
        from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

        try:
            value = SSMProvider(boto3_client=self._ssm).get(self._name, force_fetch=True)
        except GetParameterError as err:
            cause = err.__context__
            if isinstance(cause, ClientError) and error_code(cause) == "ParameterNotFound":
                raise ConsumerListUnavailable(f"consumer list parameter {self._name} does not exist") from err
            if isinstance(cause, ClientError):
                raise transient(cause) from err
            raise Transient(type(err).__name__, str(err)) from err
        return value if isinstance(value, str) else str(value)
