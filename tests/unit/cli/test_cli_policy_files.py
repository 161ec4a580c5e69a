"""Policies as people write them: YAML or JSON by content, a UTF-8 byte-order mark, a ``$schema`` key, a
did-you-mean for an unknown key; ``linkpilot policy validate|json|schema``; the published schema file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linkpilot.consumer.policy import PolicyError, parse_policy, policy_json_schema
from linkpilot_cli import main as cli
from linkpilot_cli.policy_files import load_policy, policy_parameter

ROOT = Path(__file__).resolve().parents[3]
ENDPOINT = {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": ["subnet-0123456789abcdef0"]}
POLICY = {"$schema": "policy.schema.json", "trusted_accounts": ["111111111111"], "endpoint": ENDPOINT}
YAML = """\
# a comment: YAML only
$schema: policy.schema.json
trusted_accounts:
  - "111111111111"
endpoint:
  vpc_id: vpc-0123456789abcdef0
  subnet_ids: [subnet-0123456789abcdef0]
"""


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("policy.yaml", YAML),
        ("policy.json", json.dumps(POLICY)),
        ("bom.json", b"\xef\xbb\xbf" + json.dumps(POLICY).encode()),
        ("bom.yaml", b"\xef\xbb\xbf" + YAML.encode()),
        ("yaml-named.json", YAML),  # told apart by content, not by name
        ("json-named.yaml", json.dumps(POLICY, indent=2)),
    ],
)
def test_yaml_or_json_by_content_with_or_without_a_bom(tmp_path, name, content):
    policy = load_policy(_write(tmp_path, name, content))
    assert policy.trusted_accounts == ("111111111111",) and policy.endpoint.vpc_id == ENDPOINT["vpc_id"]


def test_the_schema_key_is_accepted_by_the_controllers_own_parser_too():
    assert parse_policy(json.dumps(POLICY)).trusted_accounts == ("111111111111",)


def test_an_unknown_key_gets_the_closest_known_one(tmp_path):
    typo = YAML.replace("trusted_accounts:", "trusted_acounts:")
    with pytest.raises(PolicyError) as raised:
        load_policy(_write(tmp_path, "typo.yaml", typo))
    assert (
        "trusted_acounts: Extra inputs are not permitted (did you mean 'trusted_accounts'?)"
        in raised.value.problems
    )
    with pytest.raises(PolicyError) as raised:
        parse_policy(json.dumps({**POLICY, "endpoint": {**ENDPOINT, "subnets": []}}))
    assert any(
        "endpoint.subnets: Extra inputs are not permitted (did you mean 'subnet_ids'?)" in p
        for p in raised.value.problems
    )
    with pytest.raises(PolicyError) as raised:
        parse_policy(json.dumps({**POLICY, "zzz": 1}))
    assert "zzz: Extra inputs are not permitted" in raised.value.problems  # nothing close: no guess


def test_yaml_that_does_not_parse_names_the_line(tmp_path):
    with pytest.raises(PolicyError) as raised:
        load_policy(_write(tmp_path, "bad.yaml", "trusted_accounts: [\n  - x\nendpoint: {"))
    assert raised.value.problems[0].startswith("(document): Invalid YAML (line ")


def test_an_unquoted_account_id_in_yaml_gets_a_hint(tmp_path):
    unquoted = YAML.replace('"111111111111"', "111111111111")
    with pytest.raises(PolicyError) as raised:
        load_policy(_write(tmp_path, "unquoted.yaml", unquoted))
    assert raised.value.problems[-1].startswith("(document): in YAML, quote account ids")


def test_policy_validate_is_exit_0_or_2_with_every_problem_on_one_line(tmp_path, capsys):
    good = _write(tmp_path, "policy.yaml", YAML)
    assert cli.main(["policy", "validate", str(good), "--output", "table"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == f"{good} is valid; settings: 4"  # the title counts the rows, not what is valid
    assert table[1].split() == ["SETTING", "VALUE"]
    bad = _write(tmp_path, "typo.yaml", YAML.replace("vpc_id:", "vpcid:"))
    assert cli.main(["policy", "validate", str(bad)]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["problems"] == [
        "endpoint.vpc_id: Field required",
        "endpoint.vpcid: Extra inputs are not permitted (did you mean 'vpc_id'?)",
    ]
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(
        f"linkpilot policy validate: {bad} is invalid: endpoint.vpc_id: Field required"
    )


def test_policy_json_prints_what_the_controller_reads(tmp_path, capsys):
    path = _write(tmp_path, "policy.yaml", YAML)
    assert cli.main(["policy", "json", str(path)]) == 0
    printed = capsys.readouterr().out
    assert json.loads(printed) == {k: v for k, v in POLICY.items() if k != "$schema"}
    assert parse_policy(printed).endpoint.subnet_ids == tuple(ENDPOINT["subnet_ids"])
    assert printed == policy_parameter(path) + "\n"


def test_reconcile_and_status_read_yaml_policies_too(tmp_path, capsys):
    bad = _write(tmp_path, "typo.yaml", YAML.replace("trusted_accounts:", "trusted_acount:"))
    for command in ("reconcile", "status"):
        assert cli.main([command, "--policy", str(bad), "--output", "table"]) == 2
        assert "(did you mean 'trusted_accounts'?)" in capsys.readouterr().err


def test_the_published_schema_is_the_generated_one(capsys):
    published = json.loads((ROOT / "docs" / "policy.schema.json").read_text())
    assert published == policy_json_schema(), "regenerate: linkpilot policy schema > docs/policy.schema.json"
    assert "$schema" in published["properties"] and published["additionalProperties"] is False
    assert published["$schema"] == "https://json-schema.org/draft/2020-12/schema"  # the dialect, for editors
    assert cli.main(["policy", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == published


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("", "(document): Invalid JSON (Expecting value"),
        ("trusted_accounts = [1]", "(document): Invalid JSON (Expecting value"),
        ("null", "(document): Input should be an object"),  # as the controller says it
        ("[]", "(document): Input should be an object"),
    ],
)
def test_a_document_that_is_no_mapping_is_judged_as_the_controller_judges_it(tmp_path, content, says):
    with pytest.raises(PolicyError) as raised:
        load_policy(_write(tmp_path, "p.policy", content))
    assert raised.value.problems[0].startswith(says), raised.value.problems
    with pytest.raises(PolicyError) as controller:
        parse_policy(content)
    assert controller.value.problems[0].split(" (")[0].split(":")[:2] == says.split(" (")[0].split(":")[:2]
