"""bulk_intake: one OrderPlaced per order, ten per PublishBatch, partial failures reported."""

from __future__ import annotations

import json

import bulk_intake
import pytest
from botocore.stub import ANY

ORDER = {"customer_id": "c-1", "items": [{"sku": "TEA-GREEN-100", "quantity": 1}]}
ATTRIBUTES = {"event_type": {"DataType": "String", "StringValue": "OrderPlaced"}}
SENT = "1795167015123"  # 2026-11-20T09:30:15.123Z


@pytest.fixture
def sns(stub_sns):
    return stub_sns(bulk_intake)


def bulk(*orders):
    return json.dumps({"orders": list(orders)})


def expect_batch(sns, topic_arn, size, failed=()):
    sns.stubber.add_response(
        "publish_batch",
        {
            "Successful": [
                {"Id": str(i), "MessageId": f"msg-{i}"} for i in range(size) if str(i) not in failed
            ],
            "Failed": [{"Id": i, "Code": "InternalError", "SenderFault": False} for i in failed],
        },
        {"TopicArn": topic_arn, "PublishBatchRequestEntries": ANY},
    )


def test_valid_messages_publish_in_chunks_of_ten(context, sns, topic_arn, sqs_event):
    expect_batch(sns, topic_arn, 10)
    expect_batch(sns, topic_arn, 2)
    expect_batch(sns, topic_arn, 1)
    event = sqs_event(
        bulk(*[ORDER] * 11, {**ORDER, "currency": "USD"}), bulk(ORDER), sent_timestamp=SENT
    )
    assert bulk_intake.handler(event, context) == {"batchItemFailures": []}

    batches = [params["PublishBatchRequestEntries"] for _, params in sns.calls]
    assert [len(entries) for entries in batches] == [10, 2, 1]
    for entries in batches:
        assert [entry["Id"] for entry in entries] == [str(i) for i in range(len(entries))]
        assert all(entry["MessageAttributes"] == ATTRIBUTES for entry in entries)
    messages = sns.messages()
    assert len(messages) == 13
    assert len({message["order_id"] for message in messages}) == 13
    assert messages[11] == {
        "event_type": "OrderPlaced",
        "order_id": bulk_intake.order_id("m0", 11),
        "customer_id": "c-1",
        "items": [{"sku": "TEA-GREEN-100", "quantity": 1}],
        "currency": "USD",
        "placed_at": "2026-11-20T09:30:15.123+00:00",
    }
    assert messages[12]["order_id"] == bulk_intake.order_id("m1", 0)


def test_a_redelivered_message_publishes_the_same_events(context, sns, topic_arn, sqs_event):
    expect_batch(sns, topic_arn, 2)
    expect_batch(sns, topic_arn, 2)
    event = sqs_event(bulk(ORDER, ORDER), sent_timestamp=SENT)
    bulk_intake.handler(event, context)
    bulk_intake.handler(event, context)
    first, second = sns.calls
    assert first[1] == second[1]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("not json", id="not-json"),
        pytest.param(json.dumps([ORDER]), id="not-an-object"),
        pytest.param(json.dumps({"order": [ORDER]}), id="no-orders"),
        pytest.param(bulk(), id="no-order"),
        pytest.param(bulk(*[ORDER] * 101), id="too-many-orders"),
        pytest.param(bulk(ORDER, {"customer_id": ""}), id="an-invalid-order"),
        pytest.param(
            bulk({**ORDER, "items": [{"sku": "TEA-1", "quantity": 0}]}), id="an-invalid-item"
        ),
    ],
)
def test_invalid_body_is_a_batch_item_failure(context, sns, topic_arn, sqs_event, body):
    expect_batch(sns, topic_arn, 1)
    event = sqs_event(bulk(ORDER), body)
    assert bulk_intake.handler(event, context) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    assert len(sns.calls) == 1  # only the valid message's


def test_mixed_batch(context, sns, topic_arn, sqs_event):
    expect_batch(sns, topic_arn, 1)
    expect_batch(sns, topic_arn, 3)
    event = sqs_event("{", bulk(ORDER), bulk(), bulk(ORDER, ORDER, ORDER), bulk({}))
    assert bulk_intake.handler(event, context) == {
        "batchItemFailures": [
            {"itemIdentifier": "m0"},
            {"itemIdentifier": "m2"},
            {"itemIdentifier": "m4"},
        ]
    }


def respond(sns, topic_arn, ids, failed=(), sender_fault=False):
    """One PublishBatch answer for entries ``ids``; those in ``failed`` fail."""
    sns.stubber.add_response(
        "publish_batch",
        {
            "Successful": [{"Id": i, "MessageId": f"msg-{i}"} for i in ids if i not in failed],
            "Failed": [
                {"Id": i, "Code": "InternalError", "SenderFault": sender_fault} for i in failed
            ],
        },
        {"TopicArn": topic_arn, "PublishBatchRequestEntries": ANY},
    )


def sent_ids(sns):
    return [
        [entry["Id"] for entry in params["PublishBatchRequestEntries"]] for _, params in sns.calls
    ]


def test_a_partial_failure_republishes_only_what_failed(context, sns, topic_arn, sqs_event):
    respond(sns, topic_arn, ["0", "1", "2"], failed=("1",))
    respond(sns, topic_arn, ["1"])
    respond(sns, topic_arn, ["0"])
    event = sqs_event(bulk(ORDER, {**ORDER, "customer_id": "c-2"}, ORDER), bulk(ORDER))
    assert bulk_intake.handler(event, context) == {"batchItemFailures": []}
    assert sent_ids(sns) == [["0", "1", "2"], ["1"], ["0"]]
    republished = json.loads(sns.calls[1][1]["PublishBatchRequestEntries"][0]["Message"])
    assert republished["customer_id"] == "c-2"
    assert republished["order_id"] == bulk_intake.order_id("m0", 1)


def test_an_entry_failing_every_attempt_fails_the_record(context, sns, topic_arn, sqs_event):
    respond(sns, topic_arn, ["0", "1"], failed=("1",))
    respond(sns, topic_arn, ["1"], failed=("1",))
    respond(sns, topic_arn, ["1"], failed=("1",))
    respond(sns, topic_arn, ["0"])
    event = sqs_event(bulk(ORDER, ORDER), bulk(ORDER))
    assert bulk_intake.handler(event, context) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert sent_ids(sns) == [["0", "1"], ["1"], ["1"], ["0"]]


def test_a_sender_fault_is_not_retried(context, sns, topic_arn, sqs_event):
    respond(sns, topic_arn, ["0", "1"], failed=("0",), sender_fault=True)
    event = sqs_event(bulk(ORDER, ORDER))
    with pytest.raises(Exception, match="All records failed"):
        bulk_intake.handler(event, context)
    assert sent_ids(sns) == [["0", "1"]]


def test_a_chunk_given_up_stops_the_record(context, sns, topic_arn, sqs_event):
    ten = [str(i) for i in range(10)]
    respond(sns, topic_arn, ten, failed=("9",))
    respond(sns, topic_arn, ["9"], failed=("9",))
    respond(sns, topic_arn, ["9"], failed=("9",))
    respond(sns, topic_arn, ["0"])
    event = sqs_event(bulk(*[ORDER] * 15), bulk(ORDER))
    result = bulk_intake.handler(event, context)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert [len(ids) for ids in sent_ids(sns)] == [10, 1, 1, 1]


def test_a_later_chunk_republishes_only_its_own_failures(context, sns, topic_arn, sqs_event):
    respond(sns, topic_arn, [str(i) for i in range(10)])
    respond(sns, topic_arn, ["0", "1"], failed=("1",))
    respond(sns, topic_arn, ["1"])
    bulk_intake.handler(sqs_event(bulk(*[ORDER] * 12)), context)
    assert sent_ids(sns)[1:] == [["0", "1"], ["1"]]
    republished = json.loads(sns.calls[2][1]["PublishBatchRequestEntries"][0]["Message"])
    assert republished["order_id"] == bulk_intake.order_id("m0", 11)


def test_a_deeply_nested_message_is_rejected_not_a_recursion_error(context, sns, sqs_event):
    event = sqs_event("[" * 50_000 + "]" * 50_000, bulk(*[]))
    with pytest.raises(Exception, match="All records failed"):
        bulk_intake.handler(event, context)
    assert sns.calls == []


def test_sns_error_fails_the_record(context, sns, topic_arn, sqs_event):
    sns.stubber.add_client_error("publish_batch", service_error_code="Throttled")
    expect_batch(sns, topic_arn, 1)
    event = sqs_event(bulk(ORDER), bulk(ORDER))
    assert bulk_intake.handler(event, context) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}


def test_without_sent_timestamp_placed_at_is_now(context, sns, topic_arn, sqs_event):
    expect_batch(sns, topic_arn, 1)
    bulk_intake.handler(sqs_event(bulk(ORDER)), context)
    (message,) = sns.messages()
    assert message["placed_at"].endswith("+00:00")
