"""Expand a packaged SAM template into plain CloudFormation JSON for a service-managed StackSet.

Service-managed StackSets cannot run macros (AWS::Serverless is one) with the default execution role, so
the consumer stack goes to them already translated. Run with the SAM CLI's venv, which has the translator:

    .venv-sam/bin/python scripts/stackset_translate.py .aws-sam/packaged-consumer.yaml \
        --output .aws-sam/stackset-consumer.json

The input is `sam package` output: every CodeUri / ContentUri an s3:// location. Translation is offline
and needs no credentials; a function that names an AWS managed policy by name (instead of by ARN) is an
error here, because resolving names would need IAM.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import boto3
from samcli.yamlhelper import yaml_parse
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator


def _no_policy_lookup() -> dict[str, str]:
    raise SystemExit(
        "stackset_translate: a function names a managed policy by name; "
        "use its ARN so translation stays offline"
    )


def _local_paths(template: dict[str, Any]) -> list[str]:
    found = []
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            value = props.get(key)
            if isinstance(value, str) and not value.startswith("s3://"):
                found.append(f"{name}.{key}={value}")
    return found


def translate(packaged: str, region: str) -> dict[str, Any]:
    template = yaml_parse(packaged)
    local = _local_paths(template)
    if local:
        raise SystemExit(f"stackset_translate: not packaged (run `sam package` first): {', '.join(local)}")
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        return translator.translate(template, {}, get_managed_policy_map=_no_policy_lookup)
    except InvalidDocumentException as exc:
        causes = "; ".join(str(cause) for cause in exc.causes)
        raise SystemExit(f"stackset_translate: invalid SAM template: {causes}") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("packaged", type=Path, help="template written by `sam package`")
    parser.add_argument("--output", type=Path, required=True, help="where to write the CloudFormation JSON")
    # The result does not depend on the Region (pseudo parameters stay intrinsic); the translator needs one.
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args(argv)
    result = translate(args.packaged.read_text(), args.region)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.output} ({args.output.stat().st_size} bytes, {len(result['Resources'])} resources)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
