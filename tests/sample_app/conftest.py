"""Fixtures of the sample's runtime tests.

Handlers are imported the way Lambda and the container import them: by their asset roots (each
asset directory is on ``sys.path``), never through ``sample_app.functions``. Nothing calls AWS:
SNS clients are botocore-stubbed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

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

TOPIC_ARN = "arn:aws:sns:eu-west-1:111122223333:orders"

# Powertools reads these when a handler module is imported, before any fixture runs.
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "orders")
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "orders")
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "1")


@pytest.fixture(autouse=True)
def lambda_environment(monkeypatch):
    """The environment of the functions, with dummy credentials and tracing off."""
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "orders")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "orders")
    monkeypatch.setenv("ORDERS_TOPIC_ARN", TOPIC_ARN)


@pytest.fixture
def topic_arn():
    return TOPIC_ARN


@pytest.fixture
def context():
    """A Lambda context with what Powertools reads."""
    return SimpleNamespace(
        function_name="orders",
        function_version="$LATEST",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:eu-west-1:111122223333:function:orders",
        aws_request_id="req-1",
        get_remaining_time_in_millis=lambda: 30_000,
    )


@pytest.fixture
def sqs_event() -> Callable[..., dict[str, Any]]:
    """Build an SQS event whose records (ids ``m0``, ``m1``...) have the given bodies."""

    def build(*bodies: str, sent_timestamp: str | None = None) -> dict[str, Any]:
        attributes = {"ApproximateReceiveCount": "1"}
        if sent_timestamp is not None:
            attributes["SentTimestamp"] = sent_timestamp
        return {
            "Records": [
                {
                    "messageId": f"m{index}",
                    "receiptHandle": f"r{index}",
                    "body": body,
                    "attributes": attributes,
                    "messageAttributes": {},
                    "md5OfBody": "",
                    "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:eu-west-1:111122223333:queue",
                    "awsRegion": "eu-west-1",
                }
                for index, body in enumerate(bodies)
            ]
        }

    return build


@dataclass
class StubbedSns:
    """A stubbed SNS client, and the parameters of every call made with it."""

    client: Any
    stubber: Stubber
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def messages(self) -> list[dict[str, Any]]:
        """Every message published (``Publish`` and ``PublishBatch``), decoded, in order."""
        decoded = []
        for operation, params in self.calls:
            entries = (
                params["PublishBatchRequestEntries"] if operation == "PublishBatch" else [params]
            )
            decoded.extend(json.loads(entry["Message"]) for entry in entries)
        return decoded


@pytest.fixture
def stub_sns(monkeypatch) -> Iterator[Callable[[ModuleType], StubbedSns]]:
    """Give a handler module a stubbed SNS client; fail the test if an expected call is missing."""
    stubbed: list[StubbedSns] = []

    def stub(handler_module: ModuleType) -> StubbedSns:
        client = boto3.client("sns")
        sns = StubbedSns(client=client, stubber=Stubber(client))

        def record_call(params: dict[str, Any], model: Any, **_: Any) -> None:
            sns.calls.append((model.name, params))

        client.meta.events.register("provide-client-params.sns.*", record_call)
        sns.stubber.activate()
        monkeypatch.setattr(handler_module, "sns_client", lambda: client)
        stubbed.append(sns)
        return sns

    yield stub
    for sns in stubbed:
        sns.stubber.deactivate()
        sns.stubber.assert_no_pending_responses()
