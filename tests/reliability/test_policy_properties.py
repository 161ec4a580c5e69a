"""Properties of the trust policy's validation over generated documents (Hypothesis; profiles in conftest.py).

- A valid policy round-trips: parse -> to_json -> parse gives the same policy, and what the document said
  is what the policy holds.
- The JSON schema written from the same declarations accepts every policy the validator accepts (so an
  editor using the schema never flags a valid policy), whatever the document.
- A random mutation of a valid policy gives a policy or a PolicyError naming its problems by path, never
  another exception. A wrong-typed value or an unknown key is always refused, at its own path.
- Wrong values in several fields at once are all reported in one error.
"""

from __future__ import annotations

import json
import string
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkpilot.consumer.policy import PolicyError, TrustPolicy, parse_policy, policy_json_schema
from linkpilot.probe import contract as pc

SCHEMA = jsonschema.Draft202012Validator(policy_json_schema())
HEX = "0123456789abcdef"


def _ids(prefix: str, min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    one = st.text(HEX, min_size=8, max_size=17).map(lambda h: prefix + h)
    return st.lists(one, min_size=min_size, max_size=max_size, unique=True)


def _optional(required: dict[str, Any], optional: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(required, optional=optional)


accounts = st.lists(st.text("0123456789", min_size=12, max_size=12), max_size=4, unique=True)
arn_globs = st.text(string.ascii_letters + string.digits + ":/-*?._", min_size=1, max_size=40).map(
    lambda s: "arn:" + s
)
resource_types = st.from_regex(r"[a-z0-9-]{1,10}:[A-Za-z0-9]{1,10}", fullmatch=True)
domains = st.from_regex(r"([a-z0-9]{1,10}\.){1,3}[a-z]{2,6}", fullmatch=True)


@st.composite
def placements(draw: st.DrawFn) -> dict[str, Any]:
    doc = draw(
        _optional(
            {"vpc_id": _ids("vpc-", 1, 1).map(lambda v: v[0]), "subnet_ids": _ids("subnet-", 1, 16)},
            {
                "security_group_ids": _ids("sg-", 0, 5),
                "private_dns": st.booleans(),
                "ip_address_type": st.sampled_from(["ipv4", "ipv6", "dualstack"]),
            },
        )
    )
    if draw(st.booleans()):
        doc["private_dns_preference"] = "SPECIFIED_DOMAINS_ONLY"
        doc["private_dns_specified_domains"] = draw(st.lists(domains, min_size=1, max_size=10, unique=True))
    return doc


probe_fields = {
    "kind": st.sampled_from(pc.KINDS),
    "port": st.integers(pc.MIN_PORT, pc.MAX_PORT),
    "path": st.text(string.ascii_letters + "/-_.?=&", max_size=30).map(lambda p: "/" + p),
    "server_name": st.text(string.ascii_lowercase + ".", max_size=pc.MAX_HOST_NAME),
    "host_header": st.text(string.ascii_lowercase + ".:", min_size=1, max_size=40),
    "expected_status": st.integers(pc.MIN_STATUS, pc.MAX_STATUS),
    "expected_body": st.text(min_size=1, max_size=20),
    "timeout_s": st.floats(min_value=0.001, max_value=pc.MAX_TIMEOUT_S) | st.integers(1, 30),
    "cert_expiry_days": st.integers(0, pc.MAX_CERT_EXPIRY_DAYS),
}
probe_sections = _optional(
    {},
    {
        "enabled": st.booleans(),
        "defaults": _optional({}, probe_fields),
        "overrides": st.lists(_optional({"match": arn_globs}, probe_fields), max_size=3),
    },
)
policies = _optional(
    {"trusted_accounts": accounts, "endpoint": placements()},
    {
        "allowed_resource_configuration_arns": st.none() | st.lists(arn_globs, max_size=3),
        "allowed_resource_types": st.lists(resource_types, min_size=1, max_size=3),
        "untrusted_invitations": st.sampled_from(["ignore", "reject"]),
        "delete_endpoints_on_unshare": st.booleans(),
        "unshare_grace_minutes": st.integers(0, 10080),
        "probe": probe_sections,
    },
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def _said(doc: Any, held: Any) -> bool:
    """Everything ``doc`` says is in ``held`` (the policy as JSON, with its defaults filled in)."""
    if isinstance(doc, dict):
        return isinstance(held, dict) and all(k in held and _said(v, held[k]) for k, v in doc.items())
    if isinstance(doc, list):
        return isinstance(held, list) and len(doc) == len(held) and all(map(_said, doc, held))
    return bool(doc == held) and type(doc) in (type(held), int)  # an integer timeout becomes a float


def _paths(doc: Any, prefix: str = "") -> list[tuple[str, ...]]:
    """Every place in a document: dict keys and list positions, as tuples of parts."""
    found: list[tuple[str, ...]] = []
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else []
    for key, value in items:
        here = (*prefix, str(key)) if prefix else (str(key),)
        found.append(here)
        found.extend(_paths(value, here))  # type: ignore[arg-type]
    return found


def _set(doc: Any, path: tuple[str, ...], value: Any) -> None:
    *parents, last = path
    node = doc
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def _get(doc: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


@given(policies)
def test_a_valid_policy_round_trips_and_holds_what_it_says(doc):
    policy = parse_policy(json.dumps(doc))
    held = policy.to_json()
    assert _said(doc, held)
    assert parse_policy(json.dumps(held)) == policy
    assert SCHEMA.is_valid(doc) and SCHEMA.is_valid(held)


@given(policies, st.data())
def test_a_mutated_policy_is_a_policy_or_a_named_error(doc, data):
    paths = _paths(doc)
    path = data.draw(st.sampled_from(paths))
    _set(doc, path, data.draw(json_values))
    try:
        policy = parse_policy(json.dumps(doc))
    except PolicyError as exc:
        assert exc.problems and all(": " in p for p in exc.problems)
    else:
        assert isinstance(policy, TrustPolicy)
        assert SCHEMA.is_valid(doc), "the schema refuses a policy the validator accepts"


@given(policies, st.data())
def test_unknown_keys_and_wrong_types_are_refused_at_their_path(doc, data):
    objects = [p for p in [(), *_paths(doc)] if isinstance(_get(doc, p), dict)]
    where = data.draw(st.sampled_from(objects))
    _get(doc, where)["unexpected"] = data.draw(json_values)
    strings = [p for p in _paths(doc) if isinstance(_get(doc, p), str) and "unexpected" not in p]
    wrong = data.draw(st.sampled_from(strings)) if strings else None
    if wrong is not None:
        _set(doc, wrong, data.draw(st.integers() | st.lists(st.text(max_size=3), max_size=2)))
    with pytest.raises(PolicyError) as err:
        parse_policy(json.dumps(doc))
    named = {p.split(": ", 1)[0] for p in err.value.problems}
    assert ".".join((*where, "unexpected")) in named, err.value.problems
    if wrong is not None:
        assert ".".join(wrong) in named, err.value.problems
