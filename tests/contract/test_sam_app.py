"""The SAM application around the code: the templates' console (AWS::CloudFormation::Interface) and Serverless
Application Repository metadata, the controller's log group, and the samconfig environments.

What `sam build`, `sam package` and `sam publish` check offline runs with the SAM CLI's own code, in its venv
(tests/contract/sar_publish_check.py); what only SAR checks server-side is listed in docs/sam-workflows.md."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from botocore.session import get_session

from linkpilot_local.cfn import load_template

ROOT = Path(__file__).resolve().parents[2]
SAM_PYTHON = ROOT / ".venv-sam" / "bin" / "python"
TEMPLATES = {"consumer": ROOT / "template.yaml", "provider": ROOT / "provider" / "template.yaml"}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
SAR = "AWS::ServerlessRepo::Application"
REPO_URL = "https://github.com/acme/linkpilot"
# SHA-256 of the Apache License 2.0 as apache.org publishes it (LICENSE-2.0.txt); the same bytes as the
# LICENSE.txt that s3transfer and other AWS Python packages ship.
APACHE_2_SHA256 = "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

# Resource types of the translated templates, checked against the AWS Serverless Application Repository's
# "List of Supported AWS Resources" (awsdocs/aws-serverlessrepo-developer-guide,
# doc_source/list-supported-resources.md, the last version of that archived repository; the live page has
# grown since and may list more).
SAR_LISTED = {
    "AWS::CloudWatch::Alarm",
    "AWS::CloudWatch::Dashboard",
    "AWS::DynamoDB::Table",
    "AWS::EC2::SecurityGroup",
    "AWS::Events::Rule",
    "AWS::IAM::Role",
    "AWS::Lambda::EventInvokeConfig",
    # what SAM's own SQS, Kinesis and DynamoDB events translate to (the follow-up queue's mapping is declared
    # as one so that SAM attaches no policy on "*"). UNVERIFIED: the stored copy of SAR's "List of Supported
    # AWS Resources" is cut before its Lambda entries. Either answer is safe: were it refused, `make publish`
    # fails at SAR's check and nothing deployed changes (sam deploy and StackSets do not go through SAR).
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Function",
    "AWS::Lambda::LayerVersion",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::SNS::Subscription",
    "AWS::SNS::Topic",
    "AWS::SQS::Queue",
    "AWS::SSM::Parameter",
}
# Not on that list: publishing may be refused for these (docs/sam-workflows.md says so; the stacks need them).
SAR_UNLISTED = {
    "consumer": {"AWS::Scheduler::ScheduleGroup", "Custom::LinkpilotManagedEndpoints"},
    "provider": {
        "AWS::EC2::Instance",
        "AWS::RAM::ResourceShare",
        "AWS::Scheduler::Schedule",
        "AWS::VpcLattice::DomainVerification",
        "AWS::VpcLattice::ResourceConfiguration",
        "AWS::VpcLattice::ResourceGateway",
    },
}


@pytest.fixture(scope="module")
def templates() -> dict[str, dict[str, Any]]:
    return {side: load_template(path) for side, path in TEMPLATES.items()}


# ---------------------------------------------------------------- console metadata


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_every_parameter_is_in_exactly_one_group(templates: dict[str, dict[str, Any]], side: str) -> None:
    template = templates[side]
    grouped = [
        name
        for group in template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
        for name in group["Parameters"]
    ]
    assert sorted(grouped) == sorted(template["Parameters"]), f"{side}: grouped != declared parameters"


def test_every_consumer_parameter_has_its_own_label(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["consumer"]
    labels = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterLabels"]
    assert sorted(labels) == sorted(template["Parameters"])
    texts = [label["default"] for label in labels.values()]
    assert all(texts) and len(set(texts)) == len(texts)


# ---------------------------------------------------------------- Serverless Application Repository metadata


def _sar(template: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = template["Metadata"][SAR]
    return metadata


def test_sar_metadata_agrees_with_the_project(templates: dict[str, dict[str, Any]]) -> None:
    consumer, provider = _sar(templates["consumer"]), _sar(templates["provider"])
    for side, metadata in (("consumer", consumer), ("provider", provider)):
        assert metadata["Name"] == f"linkpilot-{side}"
        assert metadata["SpdxLicenseId"] == PROJECT["license"] == "Apache-2.0"
        assert metadata["SemanticVersion"] == PROJECT["version"]
        base = TEMPLATES[side].parent
        assert (base / metadata["LicenseUrl"]).resolve() == ROOT / "LICENSE"
        assert (base / metadata["ReadmeUrl"]).resolve() == ROOT / "docs" / "sar-readme.md"
    for shared in ("Author", "SemanticVersion", "SpdxLicenseId"):
        assert consumer[shared] == provider[shared], f"{shared} differs between the two applications"


def _constraints(member: str) -> dict[str, Any]:
    """Length limits and pattern of a CreateApplication member, as its botocore documentation states them."""
    doc = get_session().get_service_model("serverlessrepo").shape_for("CreateApplicationRequest")
    text = re.sub(r"<[^>]+>", " ", doc.members[member].documentation)
    found: dict[str, Any] = {}
    for key, regex in (("min", r"Minimum length=(\d+)"), ("max", r"Maximum length=(\d+)")):
        if match := re.search(regex, text):
            found[key] = int(match[1])
    if match := re.search(r"Maximum number of labels: (\d+)", text):
        found["count"] = int(match[1])
    if match := re.search(r'Pattern:? "(.+?)";', text):
        found["pattern"] = match[1].replace("\\\\", "\\")  # the documentation doubles the escapes
    return found


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_sar_metadata_meets_the_documented_limits(templates: dict[str, dict[str, Any]], side: str) -> None:
    metadata = _sar(templates[side])
    for member in ("Author", "Description", "Name"):
        limits = _constraints(member)
        value = metadata[member]
        assert limits["min"] <= len(value) <= limits["max"], (member, len(value))
        if "pattern" in limits:
            assert re.fullmatch(limits["pattern"], value), (member, value, limits["pattern"])
    labels = _constraints("Labels")
    assert labels["pattern"] and 1 <= len(metadata["Labels"]) <= labels["count"]
    for label in metadata["Labels"]:
        assert labels["min"] <= len(label) <= labels["max"] and re.fullmatch(labels["pattern"], label), label
    assert re.fullmatch(r"\d+\.\d+\.\d+", metadata["SemanticVersion"])
    # the repository's address is given at publish time (make publish REPO_URL=...), never committed
    assert not {"HomePageUrl", "SourceCodeUrl"} & set(metadata)
    for local in ("LicenseUrl", "ReadmeUrl"):  # "Maximum size 5 MB" (LicenseUrl, ReadmeUrl documentation)
        assert (TEMPLATES[side].parent / metadata[local]).stat().st_size <= 5 * 1024 * 1024


def test_license_is_the_apache_2_text() -> None:
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.sha256(text).hexdigest() == APACHE_2_SHA256


def _run_sar_check(side: str, tmp_path: Path, repo_url: str | None = None) -> dict[str, Any]:
    completed = subprocess.run(
        [
            str(SAM_PYTHON),
            str(ROOT / "tests" / "contract" / "sar_publish_check.py"),
            str(TEMPLATES[side]),
            str(tmp_path),
            *([repo_url] if repo_url else []),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
        env={"SAM_CLI_TELEMETRY": "0", "AWS_EC2_METADATA_DISABLED": "true", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report: dict[str, Any] = json.loads(completed.stdout)
    return report


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_sam_build_package_and_publish_accept_the_metadata(
    templates: dict[str, dict[str, Any]], side: str, tmp_path: Path
) -> None:
    report = _run_sar_check(side, tmp_path, REPO_URL)
    # sam build rewrote the local paths for the build directory, sam package uploaded exactly those two files
    built = tmp_path / "build"
    assert (built / report["built_paths"]["LicenseUrl"]).resolve() == ROOT / "LICENSE"
    assert [Path(p) for p in report["uploaded"]] == [ROOT / "LICENSE", ROOT / "docs" / "sar-readme.md"]
    packaged = report["packaged_metadata"]
    assert packaged["LicenseUrl"].startswith("s3://") and packaged["ReadmeUrl"].startswith("s3://")
    # sam publish: a first publish creates the application, a later one updates it and adds the version
    publish = report["publish"]
    assert publish["first"] == ["CREATE_APPLICATION"]
    assert publish["later"] == ["UPDATE_APPLICATION", "CREATE_APPLICATION_VERSION"]
    create = publish["requests"]["CreateApplication"]
    expected = {k: v for k, v in _sar(templates[side]).items() if k not in {"LicenseUrl", "ReadmeUrl"}}
    assert {k: create[k] for k in expected} == expected
    # the rendered copy (make publish REPO_URL=...) carries the repository's address
    assert create["HomePageUrl"] == create["SourceCodeUrl"] == REPO_URL
    assert publish["requests"]["UpdateApplication"]["HomePageUrl"] == REPO_URL
    # the template SAR stores keeps the console metadata and drops its own section
    assert create["TemplateBody"]["Metadata"] == ["AWS::CloudFormation::Interface"]
    assert create["TemplateBody"]["Resources"] == sorted(templates[side]["Resources"])
    version = publish["requests"]["CreateApplicationVersion"]
    assert version["SemanticVersion"] == PROJECT["version"]
    assert version["SourceCodeUrl"] == REPO_URL


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_resource_types_outside_the_sar_list_are_the_documented_ones(side: str, tmp_path: Path) -> None:
    types = set(_run_sar_check(side, tmp_path)["translated_types"].values())
    unknown = types - SAR_LISTED - SAR_UNLISTED[side]
    assert not unknown, f"{side}: look these up in SAR's supported-resources list, classify them: {unknown}"
    assert types & SAR_UNLISTED[side] == SAR_UNLISTED[side]
    docs = (ROOT / "docs" / "sam-workflows.md").read_text()
    for rtype in SAR_UNLISTED[side]:
        assert f"`{rtype}`" in docs, f"docs/sam-workflows.md does not name {rtype}"


# ---------------------------------------------------------------- make publish REPO_URL=...


def _make(*args: str) -> subprocess.CompletedProcess[str]:
    # the caller's environment (the Makefile looks for python3.13 as it parses: PATH, HOME, PYENV_ROOT), less
    # what an outer make or the caller's shell would pass on to this one
    outer = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "REPO_URL", "PACKAGED", "SAM", "PUBLISHFLAGS", "REGION"}
    env = {k: v for k, v in os.environ.items() if k not in outer} | {"SAM_CLI_TELEMETRY": "0"}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def test_make_publish_without_repo_url_says_so_in_one_line_and_runs_nothing() -> None:
    completed = _make("publish")
    assert completed.returncode == 2
    assert completed.stdout == ""
    (line,) = completed.stderr.strip().splitlines()
    assert "REPO_URL" in line and "make publish REPO_URL=https://" in line


def _packaged_copy(side: str, tmp_path: Path) -> Path:
    """The committed template with its license and readme where `sam package` puts them (on S3)."""
    text = TEMPLATES[side].read_text()
    metadata = _sar(load_template(TEMPLATES[side]))
    for key in ("LicenseUrl", "ReadmeUrl"):
        text = text.replace(f"{key}: {metadata[key]}\n", f"{key}: s3://artifacts-bucket/linkpilot/{key}\n", 1)
    packaged = tmp_path / f"packaged-{side}.yaml"
    packaged.write_text(text)
    return packaged


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
def test_make_publish_publishes_a_rendered_copy_of_each_packaged_template(
    templates: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    packaged = [_packaged_copy(side, tmp_path) for side in sorted(TEMPLATES)]
    calls = tmp_path / "sam-calls"
    fake_sam = tmp_path / "sam"
    fake_sam.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    fake_sam.chmod(0o755)
    completed = _make(
        "-o",
        ".venv-sam/.stamp",  # never (re)build the SAM CLI's venv here
        "publish",
        f"REPO_URL={REPO_URL}/",
        f"PACKAGED={' '.join(map(str, packaged))}",
        f"SAM={fake_sam}",
        "PUBLISHFLAGS=--fail-on-same-version",
    )
    assert completed.returncode == 0, completed.stderr
    sent = [line.split() for line in calls.read_text().splitlines()]
    copies = [tmp_path / f"packaged-{side}.publish.yaml" for side in sorted(TEMPLATES)]
    assert sent == [
        ["publish", "--template", str(copy), "--region", "us-east-1", "--fail-on-same-version"]
        for copy in copies
    ]
    for side, source, copy in zip(sorted(TEMPLATES), packaged, copies, strict=True):
        rendered, original = load_template(copy), load_template(source)
        metadata = _sar(rendered)
        assert metadata.pop("HomePageUrl") == metadata.pop("SourceCodeUrl") == REPO_URL
        assert rendered == original, f"{side}: rendering changed more than the two URLs"
        assert "OWNER" not in copy.read_text()


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
@pytest.mark.parametrize(
    ("template", "url", "reason"),
    [
        ("template.yaml", REPO_URL, "not packaged (LicenseUrl, ReadmeUrl not on S3)"),
        ("packaged", "https://github.com/OWNER/linkpilot", "is not the repository's https:// address"),
        ("packaged", "http://github.com/acme/linkpilot", "is not the repository's https:// address"),
        ("packaged", "https://github.com/<owner>/linkpilot", "is not the repository's https:// address"),
        ("missing", REPO_URL, "No such file or directory"),
    ],
)
def test_the_publish_rendering_refuses_what_sam_publish_should_not_get(
    tmp_path: Path, template: str, url: str, reason: str
) -> None:
    source = {
        "template.yaml": TEMPLATES["consumer"],
        "packaged": _packaged_copy("consumer", tmp_path),
        "missing": tmp_path / "nope.yaml",
    }[template]
    output = tmp_path / "rendered.yaml"
    completed = subprocess.run(
        [
            str(SAM_PYTHON),
            str(ROOT / "scripts" / "sar_publish_template.py"),
            str(source),
            *("--repo-url", url, "--output", str(output)),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 2
    (line,) = completed.stderr.strip().splitlines()
    assert reason in line
    assert not output.exists()


# ---------------------------------------------------------------- logs


def test_controller_logs_to_its_own_group_kept_like_the_onboarding_log(
    templates: dict[str, dict[str, Any]],
) -> None:
    consumer, provider = templates["consumer"]["Resources"], templates["provider"]["Resources"]
    assert consumer["ControllerFunction"]["Properties"]["LoggingConfig"] == {
        "LogGroup": {"Ref": "ControllerLogGroup"}
    }
    group = consumer["ControllerLogGroup"]
    assert group["Type"] == "AWS::Logs::LogGroup"
    retention = group["Properties"]["RetentionInDays"]
    assert retention == provider["OnboardingLogGroup"]["Properties"]["RetentionInDays"] == 90


@pytest.mark.parametrize("side", sorted(TEMPLATES))
def test_every_function_logs_to_a_group_with_a_retention(
    templates: dict[str, dict[str, Any]], side: str
) -> None:
    resources = templates[side]["Resources"]
    groups = {name: r for name, r in resources.items() if r["Type"] == "AWS::Logs::LogGroup"}
    for name, function in resources.items():
        if function["Type"] != "AWS::Serverless::Function":
            continue
        by_config = function["Properties"].get("LoggingConfig", {}).get("LogGroup", {}).get("Ref")
        by_name = [  # a group named as Lambda's default (/aws/lambda/<function name>)
            g
            for g, r in groups.items()
            if r["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{name}}}"}
        ]
        owned = [by_config] if by_config else by_name
        assert len(owned) == 1 and owned[0] in groups, f"{side}: {name} has no log group of its own"
        assert groups[owned[0]]["Properties"]["RetentionInDays"] > 0


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
def test_controller_may_write_to_its_log_group(tmp_path: Path) -> None:
    translated = _run_sar_check("consumer", tmp_path)["translated"]
    function = translated["ControllerFunction"]["Properties"]
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "ControllerLogGroup"}}
    # Like the other functions: logs:CreateLogStream / PutLogEvents come with AWSLambdaBasicExecutionRole.
    role = translated["ControllerFunctionRole"]["Properties"]
    assert "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" in role["ManagedPolicyArns"]


# ---------------------------------------------------------------- samconfig.toml

SAMCONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text())
ENVIRONMENTS = ["consumer-dev", "consumer-prod", "provider-dev", "provider-prod"]


def _section(env: str, command: str) -> dict[str, Any]:
    section: dict[str, Any] = SAMCONFIG.get(env, {}).get(command, {}).get("parameters", {})
    return section


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_each_environment_names_its_template(env: str) -> None:
    template = str(TEMPLATES[env.split("-", maxsplit=1)[0]].relative_to(ROOT))
    build = _section(env, "build")
    assert build.get("template_file", "template.yaml") == template  # sam build's default is ./template.yaml
    deploy = _section(env, "deploy")
    assert deploy["template_file"] == f"{build.get('build_dir', '.aws-sam/build')}/template.yaml"
    for command in ("validate", "sync"):
        assert _section(env, command).get("template_file", template) == template
    assert _section(env, "global")["region"]


def test_stack_names_are_one_per_environment() -> None:
    names = {env: _section(env, "deploy")["stack_name"] for env in [*ENVIRONMENTS, "default"]}
    assert len(set(names.values())) == len(names), names
    for env in ENVIRONMENTS:
        for command in ("sync", "logs"):
            assert _section(env, command).get("stack_name", names[env]) == names[env], (env, command)


@pytest.mark.parametrize("env", ["consumer-prod", "provider-prod"])
def test_production_environments(env: str) -> None:
    deploy = _section(env, "deploy")
    assert deploy["confirm_changeset"] is True
    assert deploy["fail_on_empty_changeset"] is False
    # the artifacts bucket is named per deploy (--s3-bucket), never created on the fly
    assert deploy["resolve_s3"] is False and "s3_bucket" not in deploy
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert 'environment="prod"' in deploy["tags"] and 'project="linkpilot"' in deploy["tags"]
    assert "parameter_overrides" not in deploy  # documented placeholders, never values that would deploy
    assert _section(env, "build")["cached"] is False
    assert not _section(env, "sync"), "sam sync is for development stacks only"
    assert _section(env, "build")["build_dir"] not in {
        _section(other, "build").get("build_dir", ".aws-sam/build") for other in ENVIRONMENTS if other != env
    }


@pytest.mark.skipif(not SAM_PYTHON.exists(), reason="needs the SAM CLI venv (make samvenv)")
def test_the_sam_cli_reads_the_environments_as_written() -> None:
    script = (
        "import json, sys\n"
        "from samcli.lib.config.samconfig import SamConfig\n"
        "envs = sys.argv[2].split(',')\n"
        "commands = ('build', 'deploy', 'sync', 'logs')\n"
        # one SamConfig per lookup, as one sam command reads it (get_all merges into the document it caches)
        "print(json.dumps({e: {c: SamConfig(sys.argv[1]).get_all([c], 'parameters', e) for c in commands}"
        " for e in envs}))\n"
    )
    completed = subprocess.run(
        [str(SAM_PYTHON), "-c", script, str(ROOT), ",".join(ENVIRONMENTS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"SAM_CLI_TELEMETRY": "0", "PATH": "/usr/bin:/bin"},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    seen = json.loads(completed.stdout)
    for env in ENVIRONMENTS:
        for command in ("build", "deploy", "sync", "logs"):
            expected = {**_section(env, "global"), **_section(env, command)}
            assert seen[env][command] == expected, (env, command)
