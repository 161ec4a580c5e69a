"""The provider's view against the local AWS: which declared consumers have an endpoint on the shared
configuration (ListResourceEndpointAssociations), the ConnectedConsumers metric, the overdue count, and
``linkpilot provider status``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from provider_world import PARAMETER, ProviderWorld

from linkpilot_cli import main as cli
from linkpilot_cli.commands.provider import collect_view
from linkpilot_local import LocalAws
from linkpilot_local.fixtures import make_vpc

pytestmark = pytest.mark.integration

CONSUMER, LATE = "222222222222", "333333333333"


def accept_and_connect(local: LocalAws, provider: ProviderWorld, account: str, *, endpoint: bool) -> str:
    """The consumer accepts its invitation and (optionally) creates a resource endpoint; the endpoint id."""
    ram = local.session(account).client("ram")
    (invitation,) = ram.get_resource_share_invitations(resourceShareArns=[provider.share_arn])[
        "resourceShareInvitations"
    ]
    ram.accept_resource_share_invitation(
        resourceShareInvitationArn=invitation["resourceShareInvitationArn"], clientToken=f"accept-{account}"
    )
    if not endpoint:
        return ""
    local.clock.advance(seconds=30)  # RAM completes the accept asynchronously
    vpc_id, subnets = make_vpc(local.session(account), "10.1.0.0/16")
    created = (
        local.session(account)
        .client("ec2")
        .create_vpc_endpoint(
            VpcEndpointType="Resource",
            VpcId=vpc_id,
            SubnetIds=subnets,
            ResourceConfigurationArn=provider.configuration_arn,
            PrivateDnsEnabled=False,
            ClientToken=f"create-{account}",
        )
    )
    return str(created["VpcEndpoint"]["VpcEndpointId"])


def metrics_of(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """The metric values of the EMF document the handler printed (Powertools flushes to stdout; a value
    is a list when a metric was added more than once: its sum is what a Sum statistic sees)."""
    found: dict[str, Any] = {}
    for line in capsys.readouterr().out.splitlines():
        if line.startswith("{") and "_aws" in line:
            document = json.loads(line)
            names = {m["Name"] for d in document["_aws"]["CloudWatchMetrics"] for m in d["Metrics"]}
            for name in names:
                value = document[name]
                found[name] = sum(value) if isinstance(value, list) else value
    return found


def test_connected_and_overdue_consumers_are_counted(
    local: LocalAws, provider: ProviderWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    provider.overdue_hours = 2
    provider.put_consumers(f"{CONSUMER},{LATE}")
    first = provider.onboard()
    # Just associated: nobody is connected, nobody is overdue yet.
    assert first["connected_consumers"] == [] and first["overdue"] == []
    endpoint_id = accept_and_connect(local, provider, CONSUMER, endpoint=True)
    accept_and_connect(local, provider, LATE, endpoint=False)
    capsys.readouterr()

    local.clock.advance(hours=1)
    summary = provider.onboard()
    assert summary["connected_consumers"] == [CONSUMER]
    assert summary["declared_without_endpoint"] == [LATE]
    assert summary["overdue"] == []
    metrics = metrics_of(capsys)
    assert metrics["ConnectedConsumers"] == 1
    assert metrics["ConsumersWithoutEndpoint"] == 1
    assert metrics["ConsumersWithoutEndpointOverdue"] == 0

    local.clock.advance(hours=2)  # past the allowed two hours
    summary = provider.onboard()
    assert summary["overdue"] == [LATE]
    assert metrics_of(capsys)["ConsumersWithoutEndpointOverdue"] == 1

    # The operator's view says the same, per configuration.
    view = collect_view(
        provider.session,
        share_arn=provider.share_arn,
        consumer_list_parameter=PARAMETER,
        overdue_hours=2,
        now=local.clock.now(),
    )
    data = view.to_json()
    (configuration,) = data["configurations"]
    assert configuration["configuration_arn"] == provider.configuration_arn
    assert [(e["account"], e["vpc_endpoint_id"]) for e in configuration["consumer_endpoints"]] == [
        (CONSUMER, endpoint_id)
    ]
    states = {c["account"]: c["state"] for c in data["consumers"]}
    assert states == {CONSUMER: "connected", LATE: "overdue"}
    assert data["declared_without_endpoint"] == [LATE]


def test_an_undeclared_endpoint_and_a_removed_consumer(local: LocalAws, provider: ProviderWorld) -> None:
    provider.put_consumers(CONSUMER)
    provider.onboard()
    accept_and_connect(local, provider, CONSUMER, endpoint=True)
    local.clock.advance(seconds=2)
    # The provider takes the consumer off the list: its endpoint stays (AWS does not delete a consumer's
    # endpoint) until the consumer cleans up, and the view shows it as connected but not declared.
    provider.put_consumers("[]")
    summary = provider.onboard()
    assert summary["connected_consumers"] == [CONSUMER]
    view = collect_view(provider.session, share_arn=provider.share_arn, consumer_list_parameter=PARAMETER)
    assert [(r.account, r.state) for r in view.rows] == [(CONSUMER, "connected-not-declared")]


def test_a_missing_configuration_is_reported_not_raised(local: LocalAws, provider: ProviderWorld) -> None:
    provider.configuration_arn = provider.configuration_arn.replace("rcfg-", "rcfg-0000")
    provider.put_consumers(CONSUMER)
    summary = provider.onboard()
    assert summary["ok"] is True  # the share was synced all the same
    assert "resource configuration" in summary["connections_error"]


def test_cli_finds_the_share_by_its_tag_and_prints_json(
    local: LocalAws,
    provider: ProviderWorld,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    provider.put_consumers(f"{CONSUMER},{LATE}")
    provider.onboard()
    endpoint_id = accept_and_connect(local, provider, CONSUMER, endpoint=True)
    creds = provider.session.get_credentials().get_frozen_credentials()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds.secret_key)
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds.token)
    capsys.readouterr()
    assert cli.main(["provider", "status", "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    # progress like every other command: one line on stderr as each read starts
    assert captured.err.splitlines() == [
        "… finding the provider's share (tag linkpilot:role=provider-share)",
        f"… reading the configurations on {provider.share_arn.rsplit('/', 1)[-1]}",
        "… reading the declared consumers (/linkpilot/provider/consumers)",
        "… reading the consumer endpoints of 1 configuration(s)",
        "… reading the share's principal associations",
    ]
    assert cli.main(["provider", "status", "--json", "--quiet"]) == 0
    assert capsys.readouterr().err == ""
    assert data["share_arn"] == provider.share_arn
    (configuration,) = data["configurations"]
    assert [e["vpc_endpoint_id"] for e in configuration["consumer_endpoints"]] == [endpoint_id]
    assert data["declared_without_endpoint"] == [LATE]
    assert cli.main(["provider", "status", "--output", "table"]) == 0
    table = capsys.readouterr().out
    assert endpoint_id in table and "waiting-for-endpoint" in table
    # Another share with the same tag: the CLI asks which one instead of guessing.
    provider.session.client("ram").create_resource_share(
        name="second", tags=[{"key": "linkpilot:role", "value": "provider-share"}]
    )
    assert cli.main(["provider", "status", "--output", "json"]) == 2
    assert "name one with --share-arn" in capsys.readouterr().err
