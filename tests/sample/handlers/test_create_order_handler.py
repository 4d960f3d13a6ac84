"""create_order: validation, the exact OrderPlaced message, dry runs, SNS failures."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone

import create_order
import orders_model
import pytest
from botocore.stub import ANY

from sample_app.contract import SMOKE_TEST_EVENT

VALID = {"customer_id": "c-42", "items": [{"sku": "TEA-GREEN-100", "quantity": 2}]}
NOW = datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=timezone.utc)
ORDER_PLACED_ATTRIBUTES = {"event_type": {"DataType": "String", "StringValue": "OrderPlaced"}}


@pytest.fixture
def sns(stub_sns):
    return stub_sns(create_order)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(create_order, "utc_now", lambda: NOW)


def api_event(body, headers=None, base64_encoded=False):
    if not isinstance(body, str) and body is not None:
        body = json.dumps(body)
    if base64_encoded:
        body = base64.b64encode(body.encode()).decode()
    return {
        "resource": "/orders",
        "path": "/orders",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "pathParameters": None,
        "body": body,
        "isBase64Encoded": base64_encoded,
        "requestContext": {"stage": "v1", "requestId": "req-api-1", "httpMethod": "POST"},
    }


def call(context, body, headers=None, **kwargs):
    result = create_order.handler(api_event(body, headers, **kwargs), context)
    headers = {name: values[-1] for name, values in result["multiValueHeaders"].items()}
    return result["statusCode"], json.loads(result["body"]), headers


def expect_publish(sns, topic_arn):
    sns.stubber.add_response(
        "publish",
        {"MessageId": "msg-1"},
        {"TopicArn": topic_arn, "Message": ANY, "MessageAttributes": ORDER_PLACED_ATTRIBUTES},
    )


def test_valid_order_publishes_order_placed(context, sns, topic_arn):
    expect_publish(sns, topic_arn)
    status, body, headers = call(context, VALID)
    assert status == 201
    order_id = body["order_id"]
    assert uuid.UUID(order_id).version == 4
    assert body == {"order_id": order_id}
    assert headers["Location"] == f"/orders/{order_id}"
    assert headers["Content-Type"] == "application/json"
    assert sns.messages() == [
        {
            "event_type": "OrderPlaced",
            "order_id": order_id,
            "customer_id": "c-42",
            "items": [{"sku": "TEA-GREEN-100", "quantity": 2}],
            "currency": "EUR",
            "placed_at": "2026-11-20T09:30:15.123+00:00",
        }
    ]


def test_every_order_gets_its_own_id(context, sns, topic_arn):
    expect_publish(sns, topic_arn)
    expect_publish(sns, topic_arn)
    first = call(context, VALID)[1]["order_id"]
    second = call(context, VALID)[1]["order_id"]
    assert first != second


def test_currency_and_base64_body(context, sns, topic_arn):
    expect_publish(sns, topic_arn)
    order = {**VALID, "currency": "GBP", "items": VALID["items"] * 2}
    status, _, _ = call(context, order, base64_encoded=True)
    assert status == 201
    (message,) = sns.messages()
    assert message["currency"] == "GBP"
    assert len(message["items"]) == 2


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        pytest.param("{not json", ["the body is not valid JSON"], id="not-json"),
        pytest.param(None, ["the body must be a JSON object, not empty"], id="no-body"),
        pytest.param([VALID], ["the order must be a JSON object"], id="not-an-object"),
        pytest.param(
            {"items": VALID["items"]},
            ["customer_id must be a string of 1 to 64 characters"],
            id="no-customer",
        ),
        pytest.param(
            {**VALID, "customer_id": "c" * 65},
            ["customer_id must be a string of 1 to 64 characters"],
            id="long-customer",
        ),
        pytest.param(
            {"customer_id": "c"}, ["items must be a list of 1 to 50 items"], id="no-items"
        ),
        pytest.param(
            {"customer_id": "c", "items": []},
            ["items must be a list of 1 to 50 items"],
            id="empty-items",
        ),
        pytest.param(
            {"customer_id": "c", "items": VALID["items"] * 51},
            ["items must be a list of 1 to 50 items"],
            id="too-many-items",
        ),
        pytest.param(
            {"customer_id": "c", "items": ["TEA-1"]},
            ["items[0] must be an object with sku and quantity"],
            id="item-not-an-object",
        ),
        pytest.param(
            {"customer_id": "c", "items": [{"sku": "tea-1", "quantity": 1}]},
            ["items[0].sku must match ^[A-Z0-9-]{3,32}$"],
            id="lowercase-sku",
        ),
        pytest.param(
            {"customer_id": "c", "items": [{"sku": "AB", "quantity": 1}]},
            ["items[0].sku must match ^[A-Z0-9-]{3,32}$"],
            id="short-sku",
        ),
        pytest.param(
            {"customer_id": "c", "items": [{"sku": "TEA-1", "quantity": 0}]},
            ["items[0].quantity must be an integer from 1 to 100"],
            id="zero-quantity",
        ),
        pytest.param(
            {"customer_id": "c", "items": [{"sku": "TEA-1", "quantity": 101}]},
            ["items[0].quantity must be an integer from 1 to 100"],
            id="large-quantity",
        ),
        pytest.param(
            {"customer_id": "c", "items": [{"sku": "TEA-1", "quantity": 1.5}]},
            ["items[0].quantity must be an integer from 1 to 100"],
            id="fractional-quantity",
        ),
        pytest.param(
            {"customer_id": "c", "items": [{"sku": "TEA-1", "quantity": True}]},
            ["items[0].quantity must be an integer from 1 to 100"],
            id="boolean-quantity",
        ),
        pytest.param(
            {**VALID, "currency": "JPY"}, ["currency must be one of EUR, USD, GBP"], id="currency"
        ),
        pytest.param(
            {"customer_id": "", "items": [{"sku": "x"}, {"sku": "OK-1", "quantity": 1}]},
            [
                "customer_id must be a string of 1 to 64 characters",
                "items[0].sku must match ^[A-Z0-9-]{3,32}$",
                "items[0].quantity must be an integer from 1 to 100",
            ],
            id="every-problem-listed",
        ),
    ],
)
def test_invalid_orders_are_rejected_and_nothing_is_published(context, sns, body, problems):
    status, response, headers = call(context, body)
    assert status == 400
    assert headers["Content-Type"] == "application/json"
    assert response["message"] == "the order is invalid"
    assert len(response["problems"]) == len(problems)
    for reported, expected in zip(response["problems"], problems, strict=True):
        assert reported.startswith(expected)
    assert sns.calls == []


@pytest.mark.parametrize("header", ["X-Dry-Run", "x-dry-run", "X-DRY-RUN"])
def test_dry_run_validates_without_publishing(context, sns, header):
    status, body, headers = call(context, VALID, {header: "True"})
    assert status == 200
    assert body == {"order_id": body["order_id"], "dry_run": True}
    assert "Location" not in headers
    assert sns.calls == []


def test_dry_run_of_an_invalid_order_is_still_a_400(context, sns):
    status, _, _ = call(context, {"customer_id": "c"}, {"X-Dry-Run": "true"})
    assert status == 400
    assert sns.calls == []


def test_the_canary_smoke_test_event_is_a_dry_run(context, sns):
    result = create_order.handler(SMOKE_TEST_EVENT, context)
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["dry_run"] is True
    assert sns.calls == []


def test_other_dry_run_values_publish(context, sns, topic_arn):
    expect_publish(sns, topic_arn)
    assert call(context, VALID, {"X-Dry-Run": "false"})[0] == 201


@pytest.mark.parametrize("error_code", ["InternalError", "AuthorizationError", "Throttled"])
def test_sns_failure_is_a_503(context, sns, topic_arn, error_code):
    sns.stubber.add_client_error(
        "publish",
        service_error_code=error_code,
        http_status_code=500,
        expected_params={"TopicArn": topic_arn, "Message": ANY, "MessageAttributes": ANY},
    )
    status, body, headers = call(context, VALID)
    assert status == 503
    assert body == {"message": "orders cannot be accepted right now, retry later"}
    assert headers["Retry-After"] == "1"


def test_metrics_are_emitted(context, sns, topic_arn, capsys):
    expect_publish(sns, topic_arn)
    call(context, VALID)
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (metrics,) = [doc for doc in emf if "OrdersPlaced" in doc]
    assert metrics["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "orders"
    assert metrics["OrdersPlaced"] == [1.0]


def test_order_placed_renders_placed_at_in_utc():
    order = orders_model.parse_order(VALID)
    paris = datetime.fromisoformat("2026-11-20T10:30:00+01:00")
    event = orders_model.order_placed(order, order_id="o-1", placed_at=paris)
    assert event["placed_at"] == "2026-11-20T09:30:00.000+00:00"


# ---------------------------------------------------------------- retries and faults

KEY = {"Idempotency-Key": "client-key-1"}


@pytest.fixture
def table(fake_dynamodb):
    return fake_dynamodb(create_order)


def handled_failures(capsys):
    """The HandledFailures EMF documents printed so far."""
    lines = capsys.readouterr().out.splitlines()
    documents = [json.loads(line) for line in lines if '"_aws"' in line]
    return [doc for doc in documents if "HandledFailures" in doc]


def test_a_repeated_idempotency_key_places_the_order_once(context, sns, table, topic_arn):
    expect_publish(sns, topic_arn)
    first = call(context, VALID, KEY)
    second = call(context, VALID, {"idempotency-key": "client-key-1"})
    assert first[0] == second[0] == 201
    assert first[1] == second[1]
    assert second[2]["Location"] == f"/orders/{first[1]['order_id']}"
    assert len(sns.messages()) == 1
    (record,) = table.items.values()
    assert record["status"] == {"S": "COMPLETED"}


def test_another_key_places_another_order(context, sns, table, topic_arn):
    expect_publish(sns, topic_arn)
    expect_publish(sns, topic_arn)
    first = call(context, VALID, KEY)[1]["order_id"]
    second = call(context, VALID, {"Idempotency-Key": "client-key-2"})[1]["order_id"]
    assert first != second


def test_a_key_reused_with_another_order_is_refused(context, sns, table, topic_arn):
    expect_publish(sns, topic_arn)
    assert call(context, VALID, KEY)[0] == 201
    status, body, _ = call(context, {**VALID, "currency": "USD"}, KEY)
    assert status == 422
    assert body == {"message": "this Idempotency-Key was used with another order"}
    assert len(sns.messages()) == 1


def test_a_retry_while_the_first_request_runs_is_a_409(context, sns, table, topic_arn):
    expect_publish(sns, topic_arn)
    call(context, VALID, KEY)
    for record in table.items.values():  # as if the first request were still running
        record["status"] = {"S": "INPROGRESS"}
    status, _, headers = call(context, VALID, KEY)
    assert status == 409
    assert headers["Retry-After"] == "1"
    assert len(sns.messages()) == 1


def test_a_failed_publish_forgets_the_key_so_the_retry_places_the_order(
    context, sns, table, topic_arn, capsys
):
    sns.stubber.add_client_error(
        "publish", service_error_code="InternalError", http_status_code=500
    )
    assert call(context, VALID, KEY)[0] == 503
    assert table.items == {}
    expect_publish(sns, topic_arn)
    assert call(context, VALID, KEY)[0] == 201


def test_every_503_is_a_handled_failure_of_this_version(context, sns, topic_arn, capsys):
    capsys.readouterr()
    sns.stubber.add_client_error("publish", service_error_code="Throttled", http_status_code=400)
    assert call(context, VALID)[0] == 503
    (document,) = handled_failures(capsys)
    assert document["HandledFailures"] == [1.0]
    assert document["FunctionVersion"] == "7"
    assert document["service"] == "orders"
    (definition,) = document["_aws"]["CloudWatchMetrics"]
    assert definition["Namespace"] == "orders"
    assert sorted(definition["Dimensions"][0]) == ["FunctionVersion", "service"]


def test_an_unreachable_idempotency_table_is_a_handled_503(context, sns, table, capsys):
    capsys.readouterr()
    table.fail_with = "InternalServerError"
    status, body, _ = call(context, VALID, KEY)
    assert status == 503
    assert body == {"message": "orders cannot be accepted right now, retry later"}
    assert sns.calls == []
    assert len(handled_failures(capsys)) == 1


def test_successes_and_rejections_are_no_handled_failures(context, sns, topic_arn, capsys):
    expect_publish(sns, topic_arn)
    capsys.readouterr()
    assert call(context, VALID)[0] == 201
    assert call(context, {"customer_id": "c"})[0] == 400
    assert handled_failures(capsys) == []


@pytest.mark.parametrize("key", ["", "k" * 129, "naïve", "tab\there"])
def test_a_malformed_idempotency_key_is_a_400(context, sns, table, key):
    status, body, _ = call(context, VALID, {"Idempotency-Key": key})
    assert status == 400
    assert body["problems"] == ["Idempotency-Key must be 1 to 128 printable ASCII characters"]
    assert table.calls == []


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_a_deeply_nested_body_is_a_400_not_a_recursion_error(context, sns, opening):
    closing = "]" if opening == "[" else "}"
    body = opening * 100_000 + "1" + closing * 100_000
    status, response, _ = call(context, body)
    assert status == 400
    assert response["problems"] == ["the body nests deeper than 16 levels"]


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"customer_id": "[[[[" * 20 + '\\"{{{{', "items": []})
    assert orders_model.json_depth(text) == 2
    assert orders_model.load_json(text)["items"] == []


def test_every_aws_call_is_bounded_below_the_api_and_function_timeouts():
    import aws_clients

    worst = aws_clients.WORST_CASE_CALL_SECONDS * aws_clients.CALLS_PER_REQUEST
    assert worst < 29  # API Gateway's integration timeout
    assert worst < 30  # the function's timeout (sample_app/app.py: the CanaryFunction default)
    for client in (aws_clients.sns_client(), create_order.persistence.client):
        config = client.meta.config
        assert (config.connect_timeout, config.read_timeout) == (1, 2)
        assert config.retries == {"total_max_attempts": 2, "mode": "standard"}
