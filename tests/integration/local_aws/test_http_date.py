"""Every answer of the local AWS is dated (HTTP ``Date``) by its simulated clock, as AWS dates its answers.

Linkpilot's run lease and unshare grace run on the state table's ``Date`` (AWS's clock, the same for every
runner; evidence in docs/aws-behaviour.md). The emulation must give that header the time it stamps
everything else with: its clock, not the host's. Checked in both modes, for an answer moto gives (DynamoDB),
one the emulation gives (RAM), and an injected fault.
"""

from __future__ import annotations

import http.client
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from linkpilot.aws.state_table import served_at

from .conftest import new_account

pytestmark = pytest.mark.integration


def _table(session: Any) -> Any:
    # one attempt per call: the injected fault's own answer is the one to read, with no retry's back-off
    ddb = session.client("dynamodb", config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    ddb.create_table(
        TableName="state",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


def test_every_answer_is_dated_by_the_emulations_clock(aws_any: Any) -> None:
    aws = aws_any
    now = aws.clock.advance(hours=3)  # hours away from the host's clock
    session = aws.session(new_account())
    ddb = _table(session)
    answers = {
        "moto (DynamoDB)": ddb.get_item(TableName="state", Key={"pk": {"S": "lease#reconcile"}}),
        "the emulation (RAM)": session.client("ram").get_resource_share_invitations(),
    }
    aws.faults.configure(
        rules=[{"kind": "throttle", "service": "dynamodb", "operations": ["PutItem"], "max_hits": 1}]
    )
    try:
        with pytest.raises(ClientError) as throttled:
            ddb.put_item(TableName="state", Item={"pk": {"S": "lease#reconcile"}})
    finally:
        aws.faults.clear()
    answers["an injected fault"] = throttled.value.response
    later = aws.clock.advance(seconds=0)
    for source, answer in answers.items():
        served = served_at(answer)
        assert served is not None, f"{source}: no Date"
        # whole seconds of the emulation's clock, at the answer
        assert now - timedelta(seconds=1) <= served <= later, (source, served, now)


def test_the_server_sends_one_date_per_answer(server_url: str) -> None:
    """http.server dates every answer itself; moto's own ``Date`` (when it sends one) is not sent again."""
    url = urlsplit(server_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        conn.request(
            "POST",
            "/",
            body=b'{"TableName": "nothing-here"}',
            headers={
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": "DynamoDB_20120810.DescribeTable",
                "Authorization": (
                    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261130/us-east-1/dynamodb/"
                    "aws4_request, SignedHeaders=host, Signature=0"
                ),
            },
        )
        answer = conn.getresponse()
        answer.read()
    finally:
        conn.close()
    assert len(answer.headers.get_all("Date") or []) == 1
