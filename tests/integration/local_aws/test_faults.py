"""Seeded fault injection: throttle, 5xx, hang, for chosen operations, in both modes."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from linkpilot_local import FaultRule

from .conftest import error_of, new_account

# One attempt, no retry: botocore's ``max_attempts`` counts the retries after the first attempt (so 1 meant a
# retry after up to a second's back-off); ``total_max_attempts`` counts them all.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def test_throttle_only_the_chosen_operation(aws_any):
    account = new_account()
    ram = aws_any.session(account).client("ram", config=NO_RETRY)
    aws_any.faults.configure(
        seed=7, rules=[{"kind": "throttle", "service": "ram", "operations": ["GetResourceShareInvitations"]}]
    )
    with pytest.raises(ClientError) as exc:
        ram.get_resource_share_invitations()
    assert error_of(exc) == ("ThrottlingException", 429)
    assert ram.get_resource_shares(resourceOwner="SELF")["resourceShares"] == []
    aws_any.faults.clear()
    assert ram.get_resource_share_invitations()["resourceShareInvitations"] == []


@pytest.mark.parametrize(
    ("service", "kind", "expected"),
    [
        ("ec2", "throttle", ("RequestLimitExceeded", 503)),
        ("ec2", "5xx", ("InternalError", 500)),
        ("ec2", "unavailable", ("Unavailable", 503)),
        ("vpc-lattice", "5xx", ("InternalServerException", 500)),
        ("ram", "unavailable", ("ServiceUnavailableException", 503)),
    ],
)
def test_error_kinds(aws_any, service, kind, expected):
    session = aws_any.session(new_account())
    aws_any.faults.configure(seed=1, rules=[FaultRule(kind=kind, service=service)])
    client = session.client(service, config=NO_RETRY)
    operation, kwargs = {
        "ec2": ("describe_vpc_endpoints", {}),
        "vpc-lattice": ("list_resource_gateways", {}),
        "ram": ("get_resource_shares", {"resourceOwner": "SELF"}),
    }[service]
    with pytest.raises(ClientError) as exc:
        getattr(client, operation)(**kwargs)
    assert error_of(exc) == expected


def test_botocore_retries_through_a_bounded_fault(aws_any):
    account = new_account()
    aws_any.faults.configure(seed=3, rules=[{"kind": "5xx", "service": "ec2", "max_hits": 2}])
    ec2 = aws_any.session(account).client(
        "ec2", config=Config(retries={"max_attempts": 3, "mode": "standard"})
    )
    before = len(aws_any.call_log)
    response = ec2.describe_vpc_endpoints()
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    calls = aws_any.call_log[before:]
    assert calls == [(account, "ec2", "DescribeVpcEndpoints")] * 3


def test_same_seed_same_failures(aws_any):
    account = new_account()
    ram = aws_any.session(account).client("ram", config=NO_RETRY)

    def pattern():
        aws_any.faults.configure(seed=42, rules=[{"kind": "throttle", "service": "ram", "rate": 0.5}])
        out = []
        for _ in range(16):
            try:
                ram.get_resource_shares(resourceOwner="SELF")
                out.append(True)
            except ClientError:
                out.append(False)
        return out

    first, second = pattern(), pattern()
    assert first == second
    assert 0 < first.count(False) < 16


def test_hang(aws_any):
    ec2 = aws_any.session(new_account()).client("ec2", config=NO_RETRY)
    aws_any.faults.configure(
        seed=1, rules=[{"kind": "hang", "service": "ec2", "hang_seconds": 0.4, "max_hits": 1}]
    )
    started = time.monotonic()
    ec2.describe_vpc_endpoints()
    assert time.monotonic() - started >= 0.4


def test_hang_times_out_a_client_of_the_server(server_url):
    from linkpilot_local.remote import RemoteLocalAws

    remote = RemoteLocalAws(server_url)
    try:
        remote.faults.configure(
            seed=1,
            rules=[
                {
                    "kind": "hang",
                    "service": "ec2",
                    "operations": ["DescribeVpcEndpoints"],
                    "hang_seconds": 1.0,
                }
            ],
        )
        ec2 = remote.session(new_account()).client(
            "ec2", config=Config(read_timeout=0.3, retries={"total_max_attempts": 1, "mode": "standard"})
        )
        with pytest.raises(ReadTimeoutError):
            ec2.describe_vpc_endpoints()
    finally:
        remote.faults.clear()


def test_rule_validation():
    with pytest.raises(ValueError, match="fault kind"):
        FaultRule(kind="explode")
    with pytest.raises(ValueError, match="rate"):
        FaultRule(kind="throttle", rate=2)
