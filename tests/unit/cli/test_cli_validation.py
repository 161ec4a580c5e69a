"""Every value a command sends to AWS is checked before any call: a bad one is one line naming the whole
command, exit 2, and no AWS session is even made (so nothing is read or created). An unknown ``LINKPILOT_*``
variable gets a warning with the closest known name."""

from __future__ import annotations

import json
import re
import socket
from pathlib import Path

import pytest

from linkpilot_cli import aws
from linkpilot_cli import main as cli
from linkpilot_cli.environment import KNOWN_VARIABLES, unknown_variables
from linkpilot_cli.validate import Invalid, check_arn, check_endpoint_url, check_ou_id, check_region

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def sessions(monkeypatch):
    """Records every AWS session a command makes (and makes none)."""
    made: list[str] = []

    def record(*_args, **_kwargs):
        made.append("session")
        raise AssertionError("an AWS session was made")

    monkeypatch.setattr(aws, "session_from", record)
    return made


@pytest.fixture
def template(tmp_path: Path) -> str:
    path = tmp_path / "template.json"
    path.write_text(json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}))
    return str(path)


def _deploy(template: str, **given: str) -> list[str]:
    values = {"--name": "linkpilot-consumer", "--ou-ids": "ou-ab12-abcdefgh", "--regions": "us-east-1"}
    values.update(given)
    return ["stackset", "deploy", "--template", template, *(x for kv in values.items() for x in kv)]


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ({"--ou-ids": "nope"}, "'nope' is not an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)"),
        ({"--ou-ids": "ou-ab12-abcdefgh,ou-x"}, "'ou-x' is not an OU id"),
        ({"--ou-ids": ","}, "needs at least one value"),
        ({"--name": "1-starts-with-a-digit"}, "is not a StackSet name"),
        ({"--name": "has_underscore"}, "is not a StackSet name"),
        ({"--name": "a" * 129}, "at most 128 characters"),
        ({"--regions": "us-east-1,mars-1"}, "'mars-1' is not a Region name (like us-east-1)"),
        ({"--regions": "eu-wst-1"}, "'eu-wst-1' is not a Region AWS has (did you mean 'eu-west-1'?)"),
        ({"--max-concurrent-percentage": "0"}, "0 is not in the range 1<=x<=100"),
        ({"--template-bucket": "Not_A_Bucket"}, "is not an S3 bucket name"),
    ],
)
def test_stackset_deploy_refuses_a_bad_value_before_any_call(given, says, template, sessions, capsys):
    assert cli.main(_deploy(template, **given)) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert captured.err.startswith("linkpilot stackset deploy: Invalid value for ") and says in captured.err
    assert sessions == []  # nothing read, nothing created


def test_stackset_deploy_with_good_values_gets_as_far_as_the_session(template, sessions, capsys):
    assert cli.main([*_deploy(template, **{"--ou-ids": "r-ab12,ou-ab12-abcdefgh"}), "--dry-run"]) == 1
    assert sessions == ["session"]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["provider", "status", "--share-arn", "notanarn"],
            "'notanarn' is not an ARN of a ram resource-share",
        ),
        (
            ["provider", "status", "--share-arn", "arn:aws:ec2:us-east-1:111111111111:vpc/vpc-1"],
            "is not an ARN of a ram resource-share",
        ),
        (["status", "--window", "0"], "0 is not in the range 1<=x<=1440"),
        (["status", "--window", "1441"], "1441 is not in the range 1<=x<=1440"),
        (["provider", "status", "--overdue-hours", "-1"], "-1 is not in the range x>=0"),
        (["local", "serve", "--port", "99999"], "99999 is not in the range 0<=x<=65535"),
        (["local", "serve", "--port", "-1"], "-1 is not in the range 0<=x<=65535"),
        (["doctor", "--vpc-id", "nope"], "'nope' is not a vpc id (vpc-0123456789abcdef0)"),
        (
            ["doctor", "--subnet-ids", "subnet-0123456789abcdef0,subnet-x"],
            "'subnet-x' is not a subnet id (subnet-0123456789abcdef0)",
        ),
        (
            [
                "acceptance",
                "--aws",
                "--provider-profile",
                "p",
                "--consumer-profile",
                "c",
                "--region",
                "mars-1",
            ],
            "'mars-1' is not a Region name (like us-east-1)",
        ),
    ],
)
def test_other_values_are_refused_before_any_call(argv, says, sessions, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert (
        err.count("\n") == 1
        and says in err
        and err.startswith(f"linkpilot {' '.join(argv[: 2 if argv[0] in ('provider', 'local') else 1])}: ")
    )
    assert sessions == []


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("AWS_ENDPOINT_URL", "notaurl", "AWS_ENDPOINT_URL: 'notaurl' is not an endpoint URL"),
        (
            "AWS_ENDPOINT_URL",
            "http://127.0.0.1:99999",
            "AWS_ENDPOINT_URL: 'http://127.0.0.1:99999' is not a URL",
        ),
        ("AWS_ENDPOINT_URL_S3", "ftp://files", "AWS_ENDPOINT_URL_S3: 'ftp://files' is not an endpoint URL"),
    ],
)
def test_a_bad_endpoint_url_is_exit_2_before_any_call(variable, value, says, monkeypatch, capsys):
    monkeypatch.setenv(variable, value)
    assert cli.main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"linkpilot status: {says}") and err.count("\n") == 1


def test_the_checks_accept_what_aws_accepts():
    assert check_ou_id("ou-ab12-abcdefgh") and check_ou_id("r-ab12")
    assert check_region("us-east-1") and check_region("eu-central-2") and check_region("us-gov-west-1")
    share = "arn:aws:ram:us-east-1:111111111111:resource-share/7ab63972-b505-7e2a-420d-6f5d3EXAMPLE"
    assert check_arn(share, "ram", "resource-share") == share
    assert check_arn(share.replace("arn:aws:", "arn:aws-cn:"), "ram", "resource-share")
    for url in ("http://127.0.0.1:4566", "https://ram.us-east-1.amazonaws.com", "http://localhost:4566/"):
        assert check_endpoint_url("AWS_ENDPOINT_URL", url) == url
    with pytest.raises(Invalid):
        check_ou_id("OU-AB12-ABCDEFGH")


@pytest.mark.network
def test_a_port_in_use_is_one_line(capsys):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    try:
        assert cli.main(["local", "serve", "--port", str(taken.getsockname()[1])]) == 1
    finally:
        taken.close()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("linkpilot local serve: cannot listen on 127.0.0.1:"), err


# -- LINKPILOT_* names ------------------------------------------------------------------------------------
def test_an_unknown_linkpilot_variable_gets_a_warning_with_a_did_you_mean(monkeypatch, capsys):
    monkeypatch.setenv("LINKPILOT_STATE_TABEL", "linkpilot-state")
    assert cli.main(["status", "--region", "bad region!"]) == 2  # the warning comes first, then the error
    assert capsys.readouterr().err.splitlines()[0] == (
        "linkpilot status: warning: LINKPILOT_STATE_TABEL is not a Linkpilot variable and is ignored "
        "(did you mean 'LINKPILOT_STATE_TABLE'?)"
    )
    assert unknown_variables({"LINKPILOT_X": "1", "LINKPILOT_STATE_TABLE": "t", "OTHER": "x"}) == [
        "LINKPILOT_X is not a Linkpilot variable and is ignored"  # nothing close: no guess
    ]


def test_the_known_variables_are_every_name_the_project_reads():
    sources = [
        *ROOT.glob("layers/linkpilot/linkpilot/**/*.py"),
        *ROOT.glob("cli/**/*.py"),
        *ROOT.glob("devtools/**/*.py"),
        *ROOT.glob("functions/**/*.py"),
        *ROOT.glob("tests/**/*.py"),
        *ROOT.glob("bench/**/*.py"),
        *ROOT.glob("scripts/**/*"),
        ROOT / "template.yaml",
        ROOT / "provider" / "template.yaml",
        ROOT / "Makefile",
    ]
    named = {
        name
        for path in sources
        if path.is_file() and path.name != "test_cli_validation.py"
        for name in re.findall(r"\bLINKPILOT_[A-Z][A-Z0-9_]*[A-Z0-9]\b", path.read_text(errors="replace"))
    }
    named -= {"LINKPILOT_STATE_TABEL"}
    from linkpilot.runtime.controller import ControllerSettings
    from linkpilot.runtime.onboarding import OnboardingSettings

    settings = {
        cls.env_name(f) for cls in (ControllerSettings, OnboardingSettings) for f in cls.__dataclass_fields__
    }
    assert settings <= KNOWN_VARIABLES, sorted(settings - KNOWN_VARIABLES)
    assert named == set(KNOWN_VARIABLES), (sorted(named - KNOWN_VARIABLES), sorted(KNOWN_VARIABLES - named))


def test_doctor_without_credentials_is_a_failed_read_not_a_bug(tmp_path, monkeypatch, capsys):
    """No credentials anywhere: no check could be made, which is exit 3 (reading AWS failed) in one line."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    assert cli.main(["doctor", "--region", "us-east-1", "--quiet"]) == 3
    err = capsys.readouterr().err
    assert err == "linkpilot doctor: reading AWS failed: Unable to locate credentials\n"
