"""bulk_intake: one OrderPlaced per order, published in batches of 10, partial failures reported."""

from __future__ import annotations

import json

import bulk_intake
import pytest
from botocore.stub import ANY

from tests.sample_app.conftest import TOPIC, sqs_event, stub_sns

ORDER = {"customer_id": "c-1", "items": [{"sku": "TEA-GREEN-100", "quantity": 1}]}


@pytest.fixture
def sns(monkeypatch):
    yield from stub_sns(monkeypatch, bulk_intake)


def expect_batch(sns, size, failed=()):
    sns.add_response(
        "publish_batch",
        {
            "Successful": [
                {"Id": str(i), "MessageId": f"m{i}"} for i in range(size) if str(i) not in failed
            ],
            "Failed": [{"Id": i, "Code": "InternalError", "SenderFault": False} for i in failed],
        },
        {"TopicArn": TOPIC, "PublishBatchRequestEntries": ANY},
    )


def test_valid_messages_publish_in_chunks_of_ten(context, sns):
    expect_batch(sns, 10)
    expect_batch(sns, 2)
    expect_batch(sns, 1)
    event = sqs_event(json.dumps({"orders": [ORDER] * 12}), json.dumps({"orders": [ORDER]}))
    assert bulk_intake.handler(event, context) == {"batchItemFailures": []}


def test_invalid_body_is_a_batch_item_failure(context, sns):
    expect_batch(sns, 1)
    event = sqs_event(
        "not json",
        json.dumps({"orders": []}),
        json.dumps({"orders": [{"customer_id": ""}]}),
        json.dumps({"orders": [ORDER]}),
    )
    result = bulk_intake.handler(event, context)
    assert result == {
        "batchItemFailures": [
            {"itemIdentifier": "m0"},
            {"itemIdentifier": "m1"},
            {"itemIdentifier": "m2"},
        ]
    }


def test_partially_failed_publish_fails_that_record(context, sns):
    expect_batch(sns, 2, failed=("1",))
    expect_batch(sns, 1)
    event = sqs_event(json.dumps({"orders": [ORDER, ORDER]}), json.dumps({"orders": [ORDER]}))
    assert bulk_intake.handler(event, context) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
