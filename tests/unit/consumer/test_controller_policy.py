import json

import pytest
from consumer_fakes import TRUSTED, make_policy, policy_doc
from consumer_fakes import policy_problems as problems

from linkpilot.consumer.planning import compile_rules
from linkpilot.consumer.policy import (
    RESOURCE_CONFIGURATION_TYPE,
    PolicyError,
    load_policy_file,
    parse_policy,
    policy_json_schema,
)


def test_minimal_policy_gets_safe_defaults():
    p = make_policy()
    assert p.allowed_resource_types == (RESOURCE_CONFIGURATION_TYPE,)
    assert p.allowed_resource_configuration_arns is None
    assert p.untrusted_invitations == "ignore"
    assert p.delete_endpoints_on_unshare is True
    assert p.endpoint.private_dns is False
    assert p.endpoint.ip_address_type == "ipv4"
    assert p.probe.defaults.port == 8080


def test_empty_trusted_accounts_trusts_nobody():
    p = make_policy(trusted_accounts=[])
    assert not compile_rules(p).shares.trusts(TRUSTED)


def test_trusted_accounts_is_required():
    doc = policy_doc()
    del doc["trusted_accounts"]
    assert problems(doc) == ["trusted_accounts: Field required"]


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"trusted_accounts": ["12345"]}, "trusted_accounts.0"),
        ({"trusted_accounts": [TRUSTED, TRUSTED]}, "trusted_accounts"),
        ({"untrusted_invitations": "accept"}, "untrusted_invitations"),
        ({"delete_endpoints_on_unshare": "true"}, "delete_endpoints_on_unshare"),
        ({"allowed_resource_configuration_arns": ["rcfg-*"]}, "allowed_resource_configuration_arns.0"),
        ({"allowed_resource_configuration_arns": ["arn:aws:[ab]"]}, "allowed_resource_configuration_arns.0"),
        ({"allowed_resource_types": []}, "allowed_resource_types"),
        ({"endpoint": {"vpc_id": "vpc-1", "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"]}}, "endpoint.vpc_id"),
        ({"endpoint": {"vpc_id": "vpc-0123456789abcdef0", "subnet_ids": []}}, "endpoint.subnet_ids"),
        ({"probe": {"defaults": {"port": 0}}}, "probe.defaults.port"),
        ({"probe": {"defaults": {"scheme": "ftp"}}}, "probe.defaults.scheme"),
        ({"probe": {"overrides": [{"match": "arn:*", "timeout_s": 99}]}}, "probe.overrides.0.timeout_s"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_each_wrong_field_is_named(override, field):
    found = problems(policy_doc(**override))
    assert any(p.startswith(f"{field}:") for p in found), found


def test_several_problems_are_all_reported():
    found = problems(policy_doc(trusted_accounts=["x"], untrusted_invitations="maybe"))
    assert len(found) == 2


@pytest.mark.parametrize("text", ["", "{", "[]", "null", "42"])
def test_not_a_json_object_is_a_policy_error(text):
    with pytest.raises(PolicyError) as err:
        parse_policy(text)
    assert err.value.problems[0].startswith("(document):")


def test_missing_file_is_a_policy_error(tmp_path):
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy_file(tmp_path / "absent.json")


def test_arn_globs():
    p = make_policy(
        allowed_resource_configuration_arns=[
            f"arn:aws:vpc-lattice:us-east-1:{TRUSTED}:resourceconfiguration/rcfg-a*"
        ]
    )
    shares = compile_rules(p).shares
    assert shares.allows_configuration(
        f"arn:aws:vpc-lattice:us-east-1:{TRUSTED}:resourceconfiguration/rcfg-abc"
    )
    assert not shares.allows_configuration(
        f"arn:aws:vpc-lattice:us-east-1:{TRUSTED}:resourceconfiguration/rcfg-b"
    )
    assert not shares.allows_configuration(
        f"arn:aws:vpc-lattice:us-east-1:{TRUSTED}:resourceconfiguration/RCFG-A"
    )


def test_probe_overrides_first_match_wins():
    p = make_policy(
        probe={
            "defaults": {"port": 80},
            "overrides": [
                {"match": "arn:aws:*:rcfg-db*", "port": 5432, "path": "/health"},
                {"match": "arn:aws:*", "port": 443, "scheme": "https"},
            ],
        }
    )
    probe = compile_rules(p).probe
    assert probe.fields("arn:aws:x:rcfg-db1") == {"port": 5432, "path": "/health"}
    assert probe.fields("arn:aws:x:rcfg-web") == {"port": 443, "kind": "https"}  # scheme is kind
    assert probe.fields("other") == {}


def test_json_schema_is_exportable_and_describes_the_keys():
    schema = policy_json_schema()
    json.dumps(schema)
    assert set(schema["required"]) == {"trusted_accounts", "endpoint"}
    for key in (
        "trusted_accounts",
        "allowed_resource_configuration_arns",
        "allowed_resource_types",
        "untrusted_invitations",
        "endpoint",
        "delete_endpoints_on_unshare",
        "probe",
    ):
        assert key in schema["properties"]
    assert schema["additionalProperties"] is False
