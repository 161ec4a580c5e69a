"""S3: a StackSet template too large to send inline (over 51,200 bytes), uploaded for CloudFormation to
read by URL. The only module that calls S3; its failures leave as ``Transient`` (``translates_errors``)."""

from __future__ import annotations

from typing import Any

from linkpilot.aws.errors import translates_errors


@translates_errors
class TemplateBucket:
    def __init__(self, s3: Any, bucket: str) -> None:  # an S3 client (no S3 stubs in the dev venv)
        self._s3 = s3
        self._bucket = bucket

    def upload(self, key: str, body: str) -> str:
        """Put the template at ``key``; its URL (virtual-hosted style, in the client's Region)."""
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body.encode())
        region = self._s3.meta.region_name
        return f"https://{self._bucket}.s3.{region}.amazonaws.com/{key}"
