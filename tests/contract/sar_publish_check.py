"""What `sam build`, `sam package` and `sam publish` do with a template's AWS::ServerlessRepo::Application
metadata, run offline with the SAM CLI's own code. Run it with the SAM CLI's venv (test_sam_app.py does):

    .venv-sam/bin/python tests/contract/sar_publish_check.py template.yaml WORKDIR [REPO_URL]

1. build: samcli's move_template rewrites the metadata's local paths (LicenseUrl, ReadmeUrl) for the build
   directory, as `sam build` does when it writes .aws-sam/build/template.yaml;
2. package: samcli's artifact exporter uploads those two files (to a recording uploader instead of S3) and
   puts their S3 locations in the metadata, as `sam package` / `sam deploy` do;
   With REPO_URL, the packaged template is then rendered as `make publish REPO_URL=...` renders it
   (scripts/sar_publish_template.py: HomePageUrl and SourceCodeUrl set) and the rendered copy is published;
3. publish: the SAM CLI's vendored serverlessrepo publish_application builds the CreateApplication request
   (first publish) and the UpdateApplication + CreateApplicationVersion requests (a later version), sent to a
   botocore Stubber, so botocore validates each request against the serverlessrepo model and nothing leaves
   the machine;
4. the SAM translator translates the template (as `sam validate` does), for its resource types.

Prints one JSON report on stdout. What stays unchecked: what only SAR checks server-side (its supported
resource list and its own template validation).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber
from samcli.commands._utils.template import get_template_data, move_template
from samcli.lib.package.artifact_exporter import Template
from samcli.lib.package.code_signer import CodeSigner
from samcli.lib.package.uploaders import Uploaders
from samcli.lib.translate.sam_template_validator import SamTemplateValidator
from samcli.vendor.serverlessrepo import publish_application
from samcli.vendor.serverlessrepo.parser import get_app_metadata, parse_template
from samcli.yamlhelper import yaml_dump, yaml_parse

ACCOUNT_APP = "arn:aws:serverlessrepo:us-east-1:123456789012:applications/{name}"
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


class RecordingS3Uploader:
    """Stands in for samcli's S3Uploader: records what sam package would upload."""

    bucket_name = "artifacts-bucket"
    prefix = "linkpilot"

    def __init__(self) -> None:
        self.uploaded: list[str] = []

    def upload_with_dedup(
        self, path: str, precomputed_md5: str | None = None, extension: str | None = None
    ) -> str:
        self.uploaded.append(path)
        return f"s3://{self.bucket_name}/{self.prefix}/{Path(path).name}"


class NoManagedPolicyLookup:
    def load(self) -> dict[str, str]:
        raise SystemExit("a function names a managed policy by name; translation would need IAM")


def _client_with_capture(captured: dict[str, dict[str, Any]]) -> Any:
    client = boto3.client(
        "serverlessrepo", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )

    def capture(params: dict[str, Any], model: Any, **_: Any) -> None:
        captured[model.name] = dict(params)

    client.meta.events.register("provide-client-params.serverlessrepo.*", capture)
    return client


def _publish(packaged_yaml: str, name: str) -> dict[str, Any]:
    """First publish (CreateApplication), then a later one (conflict, so UpdateApplication + a version)."""
    captured: dict[str, dict[str, Any]] = {}
    client = _client_with_capture(captured)
    app_id = ACCOUNT_APP.format(name=name)
    with Stubber(client) as stub:
        stub.add_response("create_application", {"ApplicationId": app_id})
        first = publish_application(template=packaged_yaml, sar_client=client)
        stub.add_client_error(
            "create_application",
            service_error_code="ConflictException",
            service_message=f"Application with id {app_id} already exists",
            http_status_code=409,
        )
        stub.add_response("update_application", {"ApplicationId": app_id})
        stub.add_response("create_application_version", {"ApplicationId": app_id})
        later = publish_application(template=packaged_yaml, sar_client=client)
        stub.assert_no_pending_responses()
    for request in captured.values():
        body = request.pop("TemplateBody", None)
        if body is not None:
            sent = parse_template(body)
            request["TemplateBody"] = {
                "Metadata": sorted(sent.get("Metadata", {})),
                "Resources": sorted(sent["Resources"]),
            }
    return {"first": first["actions"], "later": later["actions"], "requests": captured}


def check(template_path: Path, workdir: Path, repo_url: str | None = None) -> dict[str, Any]:
    template_path = template_path.resolve()
    built = workdir.resolve() / "build" / "template.yaml"
    built.parent.mkdir(parents=True, exist_ok=True)
    move_template(str(template_path), str(built), get_template_data(str(template_path)))
    built_metadata = yaml_parse(built.read_text())["Metadata"]["AWS::ServerlessRepo::Application"]

    uploader = RecordingS3Uploader()
    packaged = Template(
        str(built),
        str(built.parent),
        Uploaders(uploader, None),  # type: ignore[arg-type]  # no images, so no ECR uploader
        CodeSigner(None, None),
        resources_to_export=frozenset(),  # functions and layers: not what this check is about
    ).export()
    if repo_url is not None:
        sys.path.insert(0, str(SCRIPTS))
        from sar_publish_template import render

        packaged = render(yaml_dump(packaged), repo_url)
    metadata = get_app_metadata(packaged)
    packaged_yaml = yaml_dump(packaged)

    source = get_template_data(str(template_path))
    translated = yaml_parse(
        SamTemplateValidator(
            source, NoManagedPolicyLookup(), region="us-east-1"
        ).get_translated_template_if_valid()
    )
    return {
        "built_paths": {k: built_metadata[k] for k in ("LicenseUrl", "ReadmeUrl")},
        "uploaded": uploader.uploaded,
        "packaged_metadata": dict(metadata.template_dict),
        "publish": _publish(packaged_yaml, str(metadata.name)),
        "translated_types": {name: r["Type"] for name, r in translated["Resources"].items()},
        "translated": {
            name: translated["Resources"][name]
            for name in ("ControllerFunction", "ControllerFunctionRole", "ControllerLogGroup")
            if name in translated["Resources"]
        },
    }


if __name__ == "__main__":
    url = sys.argv[3] if len(sys.argv) > 3 else None
    print(json.dumps(check(Path(sys.argv[1]), Path(sys.argv[2]), url), indent=1, sort_keys=True, default=str))
