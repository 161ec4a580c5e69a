"""The trust policy's declarative validation (linkpilot.spec): strict types, every wrong field named by its
dotted path in one error, direct construction checked alike, and a JSON schema written from the same
declarations. (Generated documents and mutations: tests/reliability/test_policy_properties.py.)"""

from __future__ import annotations

import json

import pytest
from consumer_fakes import TRUSTED, make_policy, policy_doc
from consumer_fakes import policy_problems as problems

from linkpilot.consumer.policy import (
    EndpointPlacement,
    PolicyError,
    ProbeOverride,
    ProbePolicy,
    ProbeSettings,
    TrustPolicy,
    parse_policy,
    policy_json_schema,
)
from linkpilot.spec import SpecError


def test_every_wrong_field_is_reported_at_once_by_its_path():
    doc = policy_doc(
        trusted_accounts=["12345", TRUSTED, True],
        untrusted_invitations="maybe",
        unshare_grace_minutes=-1,
        surprise=1,
        endpoint={"vpc_id": 7, "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1", "nope"], "extra": None},
        probe={"defaults": {"port": "80", "timeout_s": 0}, "overrides": [{"kind": "udp"}]},
    )
    found = problems(doc)
    paths = sorted(p.split(": ", 1)[0] for p in found)
    assert paths == sorted(
        [
            "trusted_accounts.0",
            "trusted_accounts.2",
            "untrusted_invitations",
            "unshare_grace_minutes",
            "surprise",
            "endpoint.vpc_id",
            "endpoint.subnet_ids.1",
            "endpoint.extra",
            "probe.defaults.port",
            "probe.defaults.timeout_s",
            "probe.overrides.0.match",
            "probe.overrides.0.kind",
        ]
    ), found


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ({"delete_endpoints_on_unshare": 1}, "delete_endpoints_on_unshare: Input should be a valid boolean"),
        ({"unshare_grace_minutes": 15.0}, "unshare_grace_minutes: Input should be a valid integer"),
        ({"unshare_grace_minutes": True}, "unshare_grace_minutes: Input should be a valid integer"),
        ({"unshare_grace_minutes": "15"}, "unshare_grace_minutes: Input should be a valid integer"),
        (
            {"probe": {"defaults": {"timeout_s": True}}},
            "probe.defaults.timeout_s: Input should be a valid number",
        ),
        (
            {"probe": {"defaults": {"timeout_s": 1e999}}},
            "probe.defaults.timeout_s: Input should be a finite number",
        ),
        ({"trusted_accounts": f"{TRUSTED}"}, "trusted_accounts: Input should be an array"),
        ({"probe": []}, "probe: Input should be an object"),
        ({"trusted_accounts": [f"{TRUSTED}\n"]}, "trusted_accounts.0: String should match pattern"),
    ],
)
def test_strict_types_no_coercion(override, problem):
    assert any(p.startswith(problem) for p in problems(policy_doc(**override))), problem


def test_an_integer_is_a_number_and_becomes_a_float():
    p = make_policy(probe={"defaults": {"timeout_s": 2}})
    assert p.probe.defaults.timeout_s == 2.0 and isinstance(p.probe.defaults.timeout_s, float)


def test_cross_field_checks_speak_at_the_objects_path():
    endpoint = policy_doc()["endpoint"]
    assert problems(
        policy_doc(endpoint={**endpoint, "private_dns_preference": "SPECIFIED_DOMAINS_ONLY"})
    ) == ["endpoint: SPECIFIED_DOMAINS_ONLY needs private_dns_specified_domains"]
    assert problems(
        policy_doc(endpoint={**endpoint, "private_dns_specified_domains": ["a.example.com"]})
    ) == ["endpoint: private_dns_specified_domains needs SPECIFIED_DOMAINS_ONLY"]
    assert problems(policy_doc(endpoint={**endpoint, "subnet_ids": ["subnet-0aaaaaaaaaaaaaaa1"] * 2})) == [
        "endpoint.subnet_ids: duplicate ids"
    ]


def test_not_utf8_or_not_json_is_a_document_problem():
    with pytest.raises(PolicyError) as err:
        parse_policy(b"\xff\xfe{")
    assert err.value.problems[0].startswith("(document): Invalid JSON")
    with pytest.raises(PolicyError) as err:
        parse_policy("[" * 100_000)
    assert err.value.problems[0].startswith("(document): Invalid JSON")


def test_direct_construction_is_checked_and_normalised_like_a_document():
    assert ProbeSettings(scheme="https", port=443).kind == "https"
    assert EndpointPlacement(
        vpc_id="vpc-0123456789abcdef0", subnet_ids=["subnet-0aaaaaaaaaaaaaaa1"]
    ).subnet_ids == ("subnet-0aaaaaaaaaaaaaaa1",)
    with pytest.raises(SpecError, match="port: Input should be greater than or equal to 1"):
        ProbeSettings(port=0)
    with pytest.raises(SpecError, match="port: Input should be a valid integer"):
        ProbeSettings(port=8080.0)  # equal to the default, but not an integer
    with pytest.raises(SpecError, match="enabled: Input should be a valid boolean"):
        ProbePolicy(enabled=1)  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="disagree"):
        ProbeSettings(scheme="https", kind="tcp")
    with pytest.raises(SpecError, match="match: Field required"):
        ProbeOverride.load({"port": 80})
    with pytest.raises(SpecError, match="subnet_ids: Tuple should have at least 1 item"):
        EndpointPlacement(vpc_id="vpc-0123456789abcdef0", subnet_ids=())


def test_documents_are_frozen_and_equal_by_value():
    a, b = make_policy(), make_policy()
    assert a == b and hash(a) == hash(b)
    with pytest.raises(AttributeError):
        a.trusted_accounts = ()  # type: ignore[misc]
    assert ProbePolicy() == ProbePolicy(defaults=ProbeSettings())


def test_to_json_round_trips():
    p = make_policy(probe={"defaults": {"scheme": "https"}, "overrides": [{"match": "arn:*", "port": 1}]})
    assert parse_policy(json.dumps(p.to_json())) == p
    assert p.to_json()["probe"]["overrides"] == [dict(ProbeOverride(match="arn:*", port=1).to_json())]


def test_the_schema_says_what_the_validator_checks():
    schema = policy_json_schema()
    assert schema["title"] == "Linkpilot trust policy" and schema["$id"].endswith("policy.schema.json")
    assert schema["required"] == ["trusted_accounts", "endpoint"]
    accounts = schema["properties"]["trusted_accounts"]
    assert accounts["uniqueItems"] is True and accounts["items"]["pattern"] == r"^\d{12}$"
    placement = schema["$defs"]["EndpointPlacement"]
    assert placement["additionalProperties"] is False
    assert placement["properties"]["subnet_ids"]["minItems"] == 1
    assert placement["properties"]["private_dns_preference"]["enum"] == [
        "VERIFIED_DOMAINS_ONLY",
        "SPECIFIED_DOMAINS_ONLY",
    ]
    defaults = schema["$defs"]["ProbeSettings"]["properties"]
    assert defaults["timeout_s"] == {
        "type": "number",
        "exclusiveMinimum": 0,
        "maximum": 30.0,
        "default": 5.0,
    }
    assert defaults["scheme"]["deprecated"] is True
    assert schema["$defs"]["ProbeOverride"]["required"] == ["match"]
    assert schema["properties"]["probe"]["default"] == ProbePolicy().to_json()
    assert TrustPolicy.__doc__ and schema["description"] == TrustPolicy.__doc__.strip()
