"""SSM Parameter Store: the endpoint directory, one String parameter per managed endpoint association under
``/linkpilot/endpoints/`` (written and removed by the controller only; a name outside it is refused here).

``GetParametersByPath(Path, Recursive=True)`` reads what is published (all pages; SSM returns at most 10 a
page). ``PutParameter(Overwrite=True)`` writes a new or changed value; ``DeleteParameter`` removes one, and
``ParameterNotFound`` there means it is already gone (another run, or a person): done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from linkpilot.aws.errors import error_code, translates_errors

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

DESCRIPTION = "Linkpilot: a managed resource endpoint association (names, accessibility, state)"


@translates_errors
class SsmEndpointDirectory:
    def __init__(self, client: SSMClient, prefix: str) -> None:
        self._ssm = client
        self._prefix = prefix.rstrip("/")

    def published(self) -> dict[str, str]:
        found: dict[str, str] = {}
        paginator = self._ssm.get_paginator("get_parameters_by_path")
        for page in paginator.paginate(Path=self._prefix, Recursive=True):
            for parameter in page.get("Parameters", []):
                found[parameter["Name"]] = parameter.get("Value", "")
        return found

    def _within(self, name: str) -> str:
        """A write or delete outside the directory's own path is a bug: refused before any call."""
        if not name.startswith(self._prefix + "/") or "/.." in name or "//" in name:
            raise ValueError(f"{name!r} is outside the endpoint directory {self._prefix}/")
        return name

    def put(self, name: str, value: str) -> None:
        self._ssm.put_parameter(
            Name=self._within(name), Value=value, Type="String", Overwrite=True, Description=DESCRIPTION
        )

    def delete(self, name: str) -> None:
        self._within(name)
        try:
            self._ssm.delete_parameter(Name=name)
        except ClientError as exc:
            if error_code(exc) != "ParameterNotFound":
                raise
