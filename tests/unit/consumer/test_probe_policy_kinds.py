"""The trust policy's probe settings: ``kind`` with ``scheme`` kept for older policies, the certificate
threshold, the CA bundle. What the controller publishes from them, and how the probe judges it, is tested
against loopback servers in tests/integration/probe/test_probe_policy_kinds.py."""

from __future__ import annotations

import json
import typing

import pytest
from consumer_fakes import TRUSTED, config_arn, make_policy, policy_doc

from linkpilot.consumer.planning import compile_rules
from linkpilot.consumer.policy import (
    Kind,
    PolicyError,
    ProbeOverride,
    ProbeSettings,
    parse_policy,
)
from linkpilot.probe import contract as c


def test_the_policy_kinds_are_the_probe_contract_kinds():
    assert typing.get_args(Kind) == c.KINDS
    assert ProbeSettings().kind == c.DEFAULT_KIND


def test_an_older_policy_with_scheme_still_validates_and_means_kind():
    p = make_policy(probe={"defaults": {"scheme": "https", "port": 443}})
    assert p.probe.defaults.kind == "https"
    # the probe input speaks kind only
    assert "scheme" not in p.probe.defaults.probe_input()
    assert p.probe.defaults.probe_input()["kind"] == "https"
    o = ProbeOverride.load({"match": "arn:*", "scheme": "http"})
    assert o.fields() == {"kind": "http"}


def test_scheme_and_kind_must_agree_and_scheme_stays_http_or_https():
    make_policy(probe={"defaults": {"scheme": "https", "kind": "https"}})
    with pytest.raises(PolicyError, match="disagree"):
        make_policy(probe={"defaults": {"scheme": "http", "kind": "tcp"}})
    with pytest.raises(PolicyError, match=r"probe\.overrides\.0"):
        make_policy(probe={"overrides": [{"match": "arn:*", "scheme": "https", "kind": "tls"}]})
    with pytest.raises(PolicyError, match=r"probe\.defaults\.scheme"):
        make_policy(probe={"defaults": {"scheme": "tcp"}})  # kinds beyond http(s) are spelled kind
    with pytest.raises(PolicyError, match=r"probe\.defaults\.kind"):
        make_policy(probe={"defaults": {"kind": "udp"}})


def test_cert_expiry_days_limits_and_ca_bundle_must_load():
    assert make_policy(probe={"defaults": {"cert_expiry_days": 30}}).probe.defaults.cert_expiry_days == 30
    for bad in (-1, c.MAX_CERT_EXPIRY_DAYS + 1):
        with pytest.raises(PolicyError, match="cert_expiry_days"):
            make_policy(probe={"defaults": {"cert_expiry_days": bad}})
    with pytest.raises(PolicyError, match="ca_bundle"):
        make_policy(probe={"defaults": {"ca_bundle": "not a certificate"}})
    garbled = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"
    with pytest.raises(PolicyError, match="ca_bundle does not load"):
        make_policy(probe={"overrides": [{"match": "arn:*", "ca_bundle": garbled}]})


def test_an_rds_like_configuration_is_probed_with_tcp_on_its_port():
    """The README's database example: an ARN-type configuration (an RDS instance) behind its own
    configuration, checked by connecting on 5432 while the other configurations keep the HTTP defaults."""
    doc = policy_doc(
        probe={
            "defaults": {"port": 8080, "path": "/health"},
            "overrides": [
                {
                    "match": f"arn:aws:vpc-lattice:*:{TRUSTED}:resourceconfiguration/rcfg-pg*",
                    "kind": "tcp",
                    "port": 5432,
                }
            ],
        }
    )
    policy = parse_policy(json.dumps(doc))
    pg = config_arn(TRUSTED, 3).replace("rcfg-", "rcfg-pg")
    probe = compile_rules(policy).probe
    assert probe.fields(pg) == {"kind": "tcp", "port": 5432}
    assert probe.fields(config_arn(TRUSTED, 4)) == {}


def test_a_child_takes_the_override_for_its_own_arn_before_its_groups():
    group = config_arn(TRUSTED, "grp")
    pg, web = config_arn(TRUSTED, "pg1"), config_arn(TRUSTED, "web1")
    p = make_policy(
        probe={
            "overrides": [
                {
                    "match": "arn:aws:vpc-lattice:*:resourceconfiguration/rcfg-pg*",
                    "kind": "tcp",
                    "port": 5432,
                },
                {"match": group, "kind": "https", "port": 443},
            ]
        }
    )
    probe = compile_rules(p).probe
    assert probe.fields(group, pg) == {"kind": "tcp", "port": 5432}
    assert probe.fields(group, web) == {"kind": "https", "port": 443}  # no child match: the group's
    assert probe.fields(group) == {"kind": "https", "port": 443}
    assert probe.fields(config_arn(TRUSTED, "other"), web) == {}


def test_a_group_configurations_children_are_targets_with_their_own_kind_and_child_arn():
    from linkpilot.consumer.models import CONFIGURATION_TAG, MANAGED_TAG, Endpoint, EndpointAssociation
    from linkpilot.consumer.planning.probe_targets import probe_targets
    from linkpilot.consumer.probe_inputs import shard_inputs
    from linkpilot.probe import parse_event

    group, pg, web = (config_arn(TRUSTED, n) for n in ("grp", "pg1", "web1"))
    rows = tuple(
        EndpointAssociation(
            association_id=f"vpce-rsc-asc-{n}",
            endpoint_id="vpce-g",
            associated_resource_arn=child,
            group_arn=group,
            dns_name=f"{n}.vpce-g.example",
            accessibility="accessible",
        )
        for n, child in (("a", pg), ("b", web))
    )
    endpoint = Endpoint(
        endpoint_id="vpce-g",
        vpc_id="vpc-1",
        state="available",
        resource_configuration_arn=group,
        tags={MANAGED_TAG: "true", CONFIGURATION_TAG: group},
        ip_address_type="dualstack",
        associations=rows,
    )
    p = make_policy(
        probe={
            "overrides": [
                {
                    "match": "arn:aws:vpc-lattice:*:resourceconfiguration/rcfg-pg*",
                    "kind": "tcp",
                    "port": 5432,
                },
                {"match": group, "kind": "https", "port": 443},
            ]
        }
    )
    targets, unprobed = probe_targets(compile_rules(p).probe, [endpoint])
    assert unprobed == ()
    (only,) = shard_inputs(p.probe.defaults, targets)
    parsed = {t.child_arn: t for _, t in parse_event(json.loads(only)).targets}
    assert {c: (t.kind, t.port, t.dns_name, t.address_family) for c, t in parsed.items()} == {
        pg: ("tcp", 5432, "a.vpce-g.example", "dualstack"),
        web: ("https", 443, "b.vpce-g.example", "dualstack"),
    }
    assert {t.endpoint_id for t in parsed.values()} == {"vpce-g"}
