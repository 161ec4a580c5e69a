"""Render the copy of a packaged template that `sam publish` sends to the Serverless Application Repository:
the template's AWS::ServerlessRepo::Application metadata with HomePageUrl and SourceCodeUrl set to the
publisher's repository. The committed templates carry neither (the repository's address is not the
project's to hard-code), and `sam publish` needs neither; `make publish REPO_URL=...` runs this, then
`sam publish` on the copy. Run with the SAM CLI's venv (its YAML reader and writer, as `sam package` uses):

    .venv-sam/bin/python scripts/sar_publish_template.py .aws-sam/packaged-consumer.yaml \
        --repo-url https://github.com/acme/linkpilot --output .aws-sam/packaged-consumer.publish.yaml

The input must be `sam package` output (LicenseUrl and ReadmeUrl on S3). Exit status 2, with one line on
stderr, for an unusable input or URL; nothing is written then.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from samcli.yamlhelper import yaml_dump, yaml_parse

SAR = "AWS::ServerlessRepo::Application"
# An https URL without whitespace, quotes or angle brackets (so no "<owner>"), and not the placeholder the
# templates once held (https://github.com/OWNER/linkpilot).
URL = re.compile(r"https://[^\s\"'<>\\]+")


class Refused(Exception):
    pass


def render(packaged: str, repo_url: str) -> dict[str, Any]:
    """The packaged template (YAML or JSON text) with the repository's URLs in its SAR metadata."""
    if not URL.fullmatch(repo_url) or "OWNER" in repo_url:
        raise Refused(f"REPO_URL {repo_url!r} is not the repository's https:// address")
    try:
        template = yaml_parse(packaged)
    except Exception as exc:  # noqa: BLE001 - yaml and json raise several kinds; all mean "unreadable"
        raise Refused(f"not a YAML or JSON template ({type(exc).__name__})") from None
    metadata = template.get("Metadata", {}).get(SAR) if isinstance(template, dict) else None
    if not isinstance(metadata, dict):
        raise Refused(f"no {SAR} metadata: not a Linkpilot template")
    local = [
        key for key in ("LicenseUrl", "ReadmeUrl") if not str(metadata.get(key, "s3://")).startswith("s3:")
    ]
    if local:
        raise Refused(f"not packaged ({', '.join(local)} not on S3): run `sam package` first")
    url = repo_url.rstrip("/")
    metadata["HomePageUrl"] = url
    metadata["SourceCodeUrl"] = url
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sar_publish_template", description=__doc__.split("\n\n")[0])
    parser.add_argument("packaged", type=Path, help="a `sam package` output template")
    parser.add_argument("--repo-url", required=True, help="the repository's public https:// address")
    parser.add_argument("--output", type=Path, required=True, help="where to write the rendered copy")
    args = parser.parse_args(argv)
    try:
        text = args.packaged.read_text(encoding="utf-8")
    except OSError as exc:
        print(
            f"sar_publish_template: {args.packaged}: {exc.strerror} (sam package writes it)", file=sys.stderr
        )
        return 2
    try:
        rendered = render(text, args.repo_url)
    except Refused as exc:
        print(f"sar_publish_template: {args.packaged}: {exc}", file=sys.stderr)
        return 2
    args.output.write_text(yaml_dump(rendered), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
