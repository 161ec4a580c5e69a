"""The probe schedules' input (pure): sharding, and the empty target list that keeps one schedule."""

from __future__ import annotations

import json

import pytest

from linkpilot.consumer.models import ProbeTarget
from linkpilot.consumer.policy import ProbeSettings
from linkpilot.consumer.probe_inputs import inputs_digest, shard_inputs
from linkpilot.probe import probe_event


def target(n: int) -> ProbeTarget:
    return ProbeTarget(
        endpoint_id=f"vpce-{n:017d}",
        dns_name=f"vpce-{n:017d}.rcfg-0.example.vpc-lattice-rsc.us-east-1.on.aws",
        resource_configuration_arn=f"arn:aws:vpc-lattice:us-east-1:111111111111:resourceconfiguration/rcfg-{n}",
    )


def test_no_targets_is_one_input_with_an_empty_list_not_none():
    defaults = ProbeSettings(port=443, scheme="https")
    (only,) = shard_inputs(defaults, [])
    assert json.loads(only) == {"defaults": defaults.probe_input(), "targets": []}
    # the probe accepts it and probes nothing (it then reports ProbeTargetsFailed = 0)
    assert probe_event(json.loads(only)) == []
    # and it is a different published state from any non-empty one
    assert inputs_digest([only]) != inputs_digest(shard_inputs(defaults, [target(1)]))


def test_targets_are_sharded_under_the_limit_each_once_in_order():
    targets = [target(n) for n in range(30, 0, -1)]
    inputs = shard_inputs(ProbeSettings(), targets, max_chars=1500)
    assert len(inputs) > 1 and all(len(i) <= 1500 for i in inputs)
    ids = [t["endpoint_id"] for i in inputs for t in json.loads(i)["targets"]]
    assert ids == sorted(t.endpoint_id for t in targets)
    assert all(json.loads(i)["targets"] for i in inputs)  # no empty shard next to real ones


def test_a_target_too_big_for_the_limit_is_a_configuration_error():
    with pytest.raises(ValueError, match="alone exceeds"):
        shard_inputs(ProbeSettings(), [target(1)], max_chars=300)
