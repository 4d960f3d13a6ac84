"""Fixtures of the sample's runtime tests.

Handlers are imported the way Lambda and the container import them: by their asset roots (each
asset directory is on ``sys.path``), never through ``sample_app.functions``. Nothing calls AWS:
SNS clients are botocore-stubbed; the idempotency records live in :class:`FakeDynamoDB`, an
in-memory table with the semantics Powertools relies on (conditional put, get, update, delete).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

SAMPLE = Path(__file__).resolve().parents[3] / "sample_app"
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
# The idempotency persistence layers build their clients at import.
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ.setdefault("IDEMPOTENCY_TABLE", "idempotency")


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
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_VERSION", "7")
    monkeypatch.setenv("HANDLED_FAILURES_METRIC_NAMESPACE", "orders")
    monkeypatch.setenv("HANDLED_FAILURES_METRIC_NAME", "HandledFailures")


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


class FakeDynamoDB:
    """An in-memory DynamoDB table for Powertools idempotency records (no AWS, no moto).

    ``put_item`` honours the condition Powertools writes (the key is absent, expired, or an
    abandoned in-progress record) and returns the old item on failure; ``fail_with`` makes
    every call raise that error code instead.
    """

    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.calls: list[str] = []
        self.fail_with: str | None = None

    def _call(self, operation: str) -> None:
        self.calls.append(operation)
        if self.fail_with is not None:
            raise ClientError({"Error": {"Code": self.fail_with, "Message": "injected"}}, operation)

    @staticmethod
    def _key(key: dict[str, Any]) -> str:
        return str(key["id"]["S"])

    def get_item(self, *, Key: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa: N803
        self._call("GetItem")
        item = self.items.get(self._key(Key))
        return {} if item is None else {"Item": dict(item)}

    def put_item(
        self,
        *,
        Item: dict[str, Any],  # noqa: N803
        ExpressionAttributeValues: dict[str, Any],  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        self._call("PutItem")
        key = self._key(Item)
        old = self.items.get(key)
        if old is not None:
            now = int(ExpressionAttributeValues[":now"]["N"])
            now_ms = int(ExpressionAttributeValues[":now_in_millis"]["N"])
            expired = int(old["expiration"]["N"]) < now
            in_progress = old.get("in_progress_expiration")
            abandoned = (
                old["status"]["S"] == "INPROGRESS"
                and in_progress is not None
                and int(in_progress["N"]) < now_ms
            )
            if not (expired or abandoned):
                raise ClientError(
                    {
                        "Error": {"Code": "ConditionalCheckFailedException", "Message": "exists"},
                        "Item": dict(old),
                    },
                    "PutItem",
                )
        self.items[key] = dict(Item)
        return {}

    def update_item(
        self,
        *,
        Key: dict[str, Any],  # noqa: N803
        UpdateExpression: str,  # noqa: N803
        ExpressionAttributeNames: dict[str, str],  # noqa: N803
        ExpressionAttributeValues: dict[str, Any],  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        self._call("UpdateItem")
        item = self.items.setdefault(self._key(Key), dict(Key))
        for name, value in re.findall(r"(#\w+) = (:\w+)", UpdateExpression):
            item[ExpressionAttributeNames[name]] = ExpressionAttributeValues[value]
        return {}

    def delete_item(self, *, Key: dict[str, Any], **_: Any) -> dict[str, Any]:  # noqa: N803
        self._call("DeleteItem")
        self.items.pop(self._key(Key), None)
        return {}


@pytest.fixture
def fake_dynamodb(monkeypatch) -> Callable[[ModuleType], FakeDynamoDB]:
    """Give a handler module's idempotency persistence layer an in-memory table."""

    def install(handler_module: ModuleType) -> FakeDynamoDB:
        table = FakeDynamoDB()
        monkeypatch.setattr(handler_module.persistence, "client", table)
        return table

    return install
