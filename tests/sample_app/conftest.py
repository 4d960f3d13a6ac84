"""Handler tests import the handlers the way Lambda and the container do: by their asset roots."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace

import boto3
import pytest
from botocore.stub import Stubber

SAMPLE = Path(__file__).resolve().parents[2] / "sample_app"
for asset in (
    SAMPLE / "functions" / "orders",
    SAMPLE / "functions" / "fulfilment",
    SAMPLE / "catalog_service",
):
    if str(asset) not in sys.path:
        sys.path.insert(0, str(asset))

TOPIC = "arn:aws:sns:eu-west-1:111122223333:orders"

# Powertools reads these when a handler module is imported, before any fixture runs.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "orders")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "orders")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")


@pytest.fixture(autouse=True)
def lambda_environment(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "orders")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "orders")
    monkeypatch.setenv("ORDERS_TOPIC_ARN", TOPIC)


@pytest.fixture
def context():
    return SimpleNamespace(
        function_name="orders",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:eu-west-1:111122223333:function:orders",
        aws_request_id="req-1",
        get_remaining_time_in_millis=lambda: 30_000,
    )


def sqs_event(*bodies: str) -> dict:
    return {
        "Records": [
            {
                "messageId": f"m{index}",
                "receiptHandle": f"r{index}",
                "body": body,
                "attributes": {},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-west-1:111122223333:q",
                "awsRegion": "eu-west-1",
            }
            for index, body in enumerate(bodies)
        ]
    }


def stub_sns(monkeypatch: pytest.MonkeyPatch, handler_module: ModuleType) -> Iterator[Stubber]:
    """Give ``handler_module`` a stubbed SNS client; fail if an expected call did not happen."""
    client = boto3.client("sns")
    monkeypatch.setattr(handler_module, "sns_client", lambda: client)
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()
