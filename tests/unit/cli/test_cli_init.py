"""``linkpilot init``: a consumer account's starting files from flags (or questions on a terminal), checked
before anything is written."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import click
import jsonschema
import pytest
import yaml

from linkpilot.consumer.policy import policy_json_schema
from linkpilot_cli import main as cli
from linkpilot_cli.policy_files import load_policy

FLAGS = ["--no-input", "--trusted-accounts", "111111111111,222222222222", "--alert-email", "ops@example.com"]


def test_init_writes_a_commented_policy_that_validates_its_schema_and_samconfig(tmp_path, capsys):
    assert cli.main(["init", "--directory", str(tmp_path), *FLAGS, "--region", "eu-west-1"]) == 0
    policy_text = (tmp_path / "policy.yaml").read_text()
    assert policy_text.count("\n# ") >= 5 and "$schema: policy.schema.json" in policy_text
    policy = load_policy(tmp_path / "policy.yaml")
    assert policy.trusted_accounts == ("111111111111", "222222222222")
    assert policy.untrusted_invitations == "ignore"
    assert json.loads((tmp_path / "policy.schema.json").read_text()) == policy_json_schema()
    deploy = tomllib.loads((tmp_path / "samconfig.toml").read_text())["default"]["deploy"]["parameters"]
    assert deploy["region"] == "eu-west-1" and deploy["stack_name"] == "linkpilot-consumer"
    assert deploy["parameter_overrides"] == (
        "TrustedAccounts=111111111111,222222222222 UntrustedInvitations=ignore AlertEmail=ops@example.com"
    )
    assert cli.main(["policy", "validate", str(tmp_path / "policy.yaml")]) == 0


def test_an_editor_validates_the_example_with_the_schema_beside_it(tmp_path):
    """What an editor does with ``$schema: policy.schema.json``: the schema names its dialect, the example
    policy passes it, and a misspelt key does not."""
    assert cli.main(["init", "--directory", str(tmp_path), *FLAGS]) == 0
    schema = json.loads((tmp_path / "policy.schema.json").read_text())
    editor = jsonschema.validators.validator_for(schema)(schema)
    assert isinstance(editor, jsonschema.Draft202012Validator)
    example = yaml.safe_load((tmp_path / "policy.yaml").read_text())
    assert example["$schema"] == "policy.schema.json"
    assert list(editor.iter_errors(example)) == []
    example["trusted_acounts"] = example.pop("trusted_accounts")
    assert {e.validator for e in editor.iter_errors(example)} == {"required", "additionalProperties"}


def test_the_parameters_init_writes_are_the_consumer_stacks():
    template = (Path(__file__).resolve().parents[3] / "template.yaml").read_text()
    for name in ("TrustedAccounts", "UntrustedInvitations", "AlertEmail", "AllowedResourceConfigurationArns"):
        assert f"\n  {name}:\n" in template, name


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--trusted-accounts", "12345"], "--trusted-accounts: '12345' is not an account id (12 digits)"),
        (["--alert-email", "not-an-address"], "--alert-email: 'not-an-address' is not an e-mail address"),
        (["--region", "us-est-1"], "--region: 'us-est-1' is not a Region AWS has (did you mean"),
        (["--stack-name", "9lives"], "'9lives' is not a stack name"),
        (["--vpc-id", "vpc-nope"], "endpoint.vpc_id: String should match pattern"),
        (["--untrusted-invitations", "drop"], "'drop' is not one of 'ignore', 'reject'"),
    ],
)
def test_a_bad_value_is_one_line_exit_2_and_nothing_is_written(tmp_path, flags, says, capsys):
    assert cli.main(["init", "--directory", str(tmp_path / "out"), "--no-input", *flags]) == 2
    err = capsys.readouterr().err
    assert err.startswith("linkpilot init: ") and err.count("\n") == 1 and says in err, err
    assert not (tmp_path / "out").exists()


def test_nothing_is_overwritten_without_force_and_an_existing_samconfig_is_left_alone(tmp_path, capsys):
    (tmp_path / "samconfig.toml").write_text("# mine\n")
    assert cli.main(["init", "--directory", str(tmp_path), *FLAGS]) == 0
    captured = capsys.readouterr()
    assert (tmp_path / "samconfig.toml").read_text() == "# mine\n"
    assert "[default.deploy.parameters]" in captured.out  # the lines to add, printed
    assert "samconfig.toml exists and is left alone" in captured.err
    assert cli.main(["init", "--directory", str(tmp_path), *FLAGS]) == 2
    assert "policy.yaml exists: pass --force" in capsys.readouterr().err
    assert (
        cli.main(
            ["init", "--directory", str(tmp_path), *FLAGS, "--force", "--untrusted-invitations", "reject"]
        )
        == 0
    )
    assert load_policy(tmp_path / "policy.yaml").untrusted_invitations == "reject"


def test_on_a_terminal_it_asks_for_what_no_flag_gave(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["333333333333", "reject", "", "us-east-2"])
    asked: list[str] = []

    def prompt(question: str, **_: object) -> str:
        asked.append(question)
        return next(answers)

    monkeypatch.setattr(click, "prompt", prompt)
    assert cli.main(["init", "--directory", str(tmp_path)]) == 0
    assert len(asked) == 4
    policy = load_policy(tmp_path / "policy.yaml")
    assert policy.trusted_accounts == ("333333333333",) and policy.untrusted_invitations == "reject"
    assert 'region = "us-east-2"' in (tmp_path / "samconfig.toml").read_text()


def test_a_directory_that_cannot_be_made_or_written_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert cli.main(["init", "--directory", str(blocker / "sub"), *FLAGS]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(
        f"linkpilot init: --directory {blocker / 'sub'}: cannot create"
    )
    assert err.rstrip().endswith("; nothing written")

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "policy.schema.json").mkdir()  # the second file cannot be written, even with --force
    assert cli.main(["init", "--directory", str(tmp_path / "out"), *FLAGS, "--force"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unexpected" not in err
    assert err.startswith(f"linkpilot init: cannot write {tmp_path / 'out' / 'policy.schema.json'}: ")
    assert err.rstrip().endswith(f"already written: {tmp_path / 'out' / 'policy.yaml'}")
