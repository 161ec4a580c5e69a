"""CloudFormation custom resources: the response is a PUT of a JSON body to the request's pre-signed
``ResponseURL`` (an S3 URL), with an empty Content-Type (CloudFormation user guide, "Custom resource response
objects"). The only HTTP call the controller makes outside boto3, and only to a URL that
``linkpilot.consumer.uninstall.custom_resource_refusal`` found to be CloudFormation's for the stack."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Mapping
from typing import Any

from linkpilot.errors import Transient

TIMEOUT_S = 30


def send_response(response_url: str, body: Mapping[str, Any]) -> None:
    if not response_url.startswith("https://"):  # the caller checked the whole URL (uninstall.py)
        raise ValueError("ResponseURL is not an https URL")
    data = json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - scheme checked above
        response_url, data=data, method="PUT", headers={"Content-Type": "", "Content-Length": str(len(data))}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as reply:  # noqa: S310 - scheme checked
            reply.read()
    except OSError as exc:  # URLError, HTTPError and timeouts are OSErrors
        raise Transient(type(exc).__name__, f"CloudFormation response not delivered: {exc}") from exc
