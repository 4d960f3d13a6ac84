"""create_order: validation, the OrderPlaced event, dry runs and SNS failures."""

from __future__ import annotations

import json

import create_order
import pytest
from botocore.stub import ANY

from tests.sample_app.conftest import TOPIC, stub_sns

VALID = {"customer_id": "c-42", "items": [{"sku": "TEA-GREEN-100", "quantity": 2}]}


@pytest.fixture
def sns(monkeypatch):
    yield from stub_sns(monkeypatch, create_order)


def api_event(body, headers=None):
    return {
        "httpMethod": "POST",
        "path": "/orders",
        "resource": "/orders",
        "headers": headers or {"Content-Type": "application/json"},
        "body": body if isinstance(body, str) else json.dumps(body),
        "requestContext": {"stage": "v1", "requestId": "r1"},
    }


def call(context, body, headers=None):
    result = create_order.handler(api_event(body, headers), context)
    return result["statusCode"], json.loads(result["body"]), result["headers"]


def test_valid_order_publishes_order_placed(context, sns):
    sns.add_response(
        "publish",
        {"MessageId": "msg-1"},
        {
            "TopicArn": TOPIC,
            "Message": ANY,
            "MessageAttributes": {
                "event_type": {"DataType": "String", "StringValue": "OrderPlaced"}
            },
        },
    )
    published = []
    original = sns.client.publish

    def capture(**kwargs):
        published.append(json.loads(kwargs["Message"]))
        return original(**kwargs)

    sns.client.publish = capture
    status, body, headers = call(context, VALID)
    assert status == 201
    assert headers["Location"] == f"/orders/{body['order_id']}"
    (event,) = published
    assert event["event_type"] == "OrderPlaced"
    assert event["order_id"] == body["order_id"]
    assert event["customer_id"] == "c-42"
    assert event["items"] == [{"sku": "TEA-GREEN-100", "quantity": 2}]
    assert event["currency"] == "EUR"
    assert event["placed_at"].endswith("+00:00")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("{not json", "invalid JSON"),
        ([1, 2], "the order must be a JSON object"),
        ({"items": VALID["items"]}, "customer_id must be a string"),
        ({"customer_id": "c", "items": []}, "items must be a list of 1 to 50 items"),
        (
            {"customer_id": "c", "items": [{"sku": "bad sku", "quantity": 1}]},
            "items[0].sku must match",
        ),
        (
            {"customer_id": "c", "items": [{"sku": "TEA-1", "quantity": 0}]},
            "items[0].quantity must be an integer",
        ),
        ({"customer_id": "c", "items": [{"sku": "TEA-1", "quantity": True}]}, "items[0].quantity"),
        ({**VALID, "currency": "JPY"}, "currency must be one of EUR, USD, GBP"),
    ],
)
def test_invalid_orders_are_rejected_and_nothing_is_published(context, sns, body, problem):
    status, response, _ = call(context, body)
    assert status == 400
    assert any(problem in p for p in response["problems"])


def test_dry_run_validates_without_publishing(context, sns):
    status, body, _ = call(context, VALID, {"x-dry-run": "TRUE"})
    assert status == 200
    assert body["dry_run"] is True
    assert body["order_id"]


def test_sns_failure_is_a_503(context, sns):
    sns.add_client_error("publish", service_error_code="InternalError", http_status_code=500)
    status, body, _ = call(context, VALID)
    assert status == 503
    assert "retry" in body["message"]
