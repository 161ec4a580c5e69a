"""The two ways to run: in-process lifecycle, the pytest fixture, the server and its control API."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest

from linkpilot_local import LocalAws

from . import conftest
from .conftest import association_dns_name, http_get, make_provider, make_vpc, new_account, share_and_accept


def test_local_aws_fixture_acts_as_accounts(local_aws):
    sts = local_aws.session("111111111111").client("sts")
    assert sts.get_caller_identity()["Account"] == "111111111111"
    assert local_aws.session("222222222222").client("sts").get_caller_identity()["Account"] == "222222222222"
    assert ("111111111111", "sts", "GetCallerIdentity") in local_aws.call_log
    assert all(op != "AssumeRole" for _, _, op in local_aws.call_log)  # session set-up is not counted
    with pytest.raises(ValueError, match="12 digits"):
        local_aws.session("12345")


def test_only_one_in_process_instance(local_aws):
    with pytest.raises(RuntimeError, match="already active"), LocalAws():
        pass


def hello_endpoint(aws: Any, target: Any) -> tuple[dict[str, Any], str]:
    """A consumer's available resource endpoint (two subnets) to the provider's hello configuration, and its
    DNS name (from its association row)."""
    provider = make_provider(aws)
    consumer = new_account()
    share_and_accept(aws, provider, consumer)
    session = aws.session(consumer)
    vpc_id, subnets = make_vpc(session, "10.1.0.0/16")
    endpoint: dict[str, Any] = session.client("ec2").create_vpc_endpoint(
        VpcEndpointType="Resource",
        VpcId=vpc_id,
        SubnetIds=subnets,
        ResourceConfigurationArn=provider.configuration["arn"],
        PrivateDnsEnabled=False,
    )["VpcEndpoint"]
    aws.clock.advance(seconds=1)
    aws.map_target("hello.internal.example", 8080, ("127.0.0.1", target.port))
    return endpoint, association_dns_name(session.client("ec2"), endpoint["VpcEndpointId"])


def test_listeners_close_on_exit(target):
    with LocalAws() as aws:
        _, name = hello_endpoint(aws, target)
        ip = aws.resolve(name)
        assert aws.dns_map() == {name: ip}
        assert http_get(ip, 8080, name).endswith(b"Hello, World!")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((ip, 8080), timeout=1)


def test_resolver_contract(local_aws):
    # the probe's resolver: every address of a name (a list), as the VPC resolver answers
    assert local_aws.resolver("127.0.0.5") == ["127.0.0.5"]
    assert local_aws.resolve("127.0.0.5") == "127.0.0.5"
    with pytest.raises(socket.gaierror):
        local_aws.resolver(
            "vpce-0123456789abcdef0.rcfg-0123456789abcdef0.abc.vpc-lattice-rsc.us-east-1.on.aws"
        )
    with pytest.raises(ValueError, match="loopback"):
        local_aws.map_target("x.example", 80, ("10.0.0.1", 80))


def test_server_becomes_ready(server_url):
    # The < 2 s start-up figure is measured outside the test suite (timed tests flake on shared CI
    # runners); this is a loose sanity bound on "process start -> listening".
    assert conftest.SERVER_READY_SECONDS and conftest.SERVER_READY_SECONDS[0] < 10.0
    with urllib.request.urlopen(f"{server_url}/_linkpilot/health", timeout=5) as response:
        assert json.load(response) == {"ok": True, "region": "us-east-1"}


def test_server_control_api_errors(server_url):
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{server_url}/_linkpilot/nothing", timeout=5)
    assert exc.value.code == 404
    bad = urllib.request.Request(f"{server_url}/_linkpilot/targets", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(bad, timeout=5)
    assert exc.value.code == 400
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(f"{server_url}/_linkpilot/resolve?name=nowhere.example", timeout=5)
    assert exc.value.code == 404


def test_server_works_with_aws_endpoint_url(server_url, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", server_url)
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(RoleArn="arn:aws:iam::333333333333:role/any", RoleSessionName="probe")[
        "Credentials"
    ]
    ec2 = boto3.client(
        "ec2",
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert ec2.describe_vpcs()["Vpcs"][0]["OwnerId"] == "333333333333"


def test_cli_serve_port_and_shutdown():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = dict(os.environ)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "linkpilot_cli.main", "local", "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_linkpilot/health", timeout=5) as response:
            assert json.load(response)["ok"] is True
        # a hang guard, not a performance goal: `make bench` measures server start against moto's own
        assert time.monotonic() - started < 60
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_cli_requires_a_subcommand(capsys):
    from linkpilot_cli import main as cli

    assert cli.main(["local"]) == 2  # the group's help, and the exit code of a usage error
    out = capsys.readouterr().out
    assert out.startswith("Usage: linkpilot local") and "\n  serve " in out


def test_an_endpoint_has_an_address_per_subnet_and_one_can_be_black_holed(aws_any, target):
    """In both modes: the probe's resolver answers every zone's address; a black-holed address leaves new
    connections unanswered (a timeout, not a refusal) until restored, while the other zone serves."""
    aws = aws_any
    endpoint, name = hello_endpoint(aws, target)
    addresses = aws.endpoint_addresses(endpoint["VpcEndpointId"])
    assert len(addresses) == len(endpoint["SubnetIds"]) == 2
    assert aws.resolver(name) == addresses and aws.resolve(name) == addresses[0]
    aws.black_hole(addresses[1])
    try:
        assert http_get(addresses[0], 8080, name).endswith(b"Hello, World!")
        with pytest.raises(TimeoutError):
            socket.create_connection((addresses[1], 8080), timeout=0.5)
    finally:
        aws.black_hole(addresses[1], on=False)
    assert http_get(addresses[1], 8080, name).endswith(b"Hello, World!")
