"""fulfilment: parcel planning, ship dates, poison messages, mixed batches, redeliveries."""

from __future__ import annotations

import json
from datetime import date, datetime

import fulfilment
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from fulfilment import Line


@pytest.fixture(autouse=True)
def table(fake_dynamodb):
    """The idempotency records, in memory."""
    return fake_dynamodb(fulfilment)


def order_placed(order_id="o-1", quantity=3, placed_at="2026-11-20T09:30:00.000+00:00"):
    return {
        "event_type": "OrderPlaced",
        "order_id": order_id,
        "customer_id": "c-1",
        "items": [{"sku": "TEA-GREEN-100", "quantity": quantity}],
        "currency": "EUR",
        "placed_at": placed_at,
    }


def test_pack_fills_parcels_of_ten_units_in_order():
    parcels = fulfilment.pack((Line("A-1", 12), Line("B-2", 3), Line("C-3", 5)))
    assert parcels == (
        (Line("A-1", 10),),
        (Line("A-1", 2), Line("B-2", 3), Line("C-3", 5)),
    )
    assert fulfilment.pack((Line("A-1", 10),)) == ((Line("A-1", 10),),)
    assert len(fulfilment.pack((Line("A-1", 100),) * 50)) == 500


@pytest.mark.parametrize(
    ("placed_at", "ships"),
    [
        pytest.param("2026-11-20T09:00:00+00:00", date(2026, 11, 20), id="friday-morning"),
        pytest.param("2026-11-20T13:59:59+00:00", date(2026, 11, 20), id="just-before-cutoff"),
        pytest.param("2026-11-20T14:00:00+00:00", date(2026, 11, 23), id="friday-cutoff"),
        pytest.param("2026-11-21T08:00:00+00:00", date(2026, 11, 23), id="saturday"),
        pytest.param("2026-11-22T08:00:00+00:00", date(2026, 11, 23), id="sunday"),
        pytest.param("2026-11-23T16:00:00+00:00", date(2026, 11, 24), id="monday-afternoon"),
        pytest.param("2026-11-24T00:30:00+02:00", date(2026, 11, 24), id="offset-is-utc-monday"),
    ],
)
def test_ship_date(placed_at, ships):
    assert fulfilment.ship_date(datetime.fromisoformat(placed_at)) == ships


def test_plan():
    event = fulfilment.parse_event(json.dumps(order_placed(quantity=25)))
    plan = fulfilment.plan(event)
    assert plan.order_id == "o-1"
    assert plan.ship_date == date(2026, 11, 20)
    assert [sum(line.quantity for line in parcel) for parcel in plan.parcels] == [10, 10, 5]
    assert plan.to_log()["parcels"][2] == [{"sku": "TEA-GREEN-100", "quantity": 5}]


def test_success_batch(context, sqs_event, capsys, caplog):
    event = sqs_event(json.dumps(order_placed("o-1")), json.dumps(order_placed("o-2", 25)))
    assert fulfilment.handler(event, context) == {"batchItemFailures": []}
    planned = [record for record in caplog.records if record.message == "fulfilment planned"]
    assert [(record.order_id, len(record.parcels)) for record in planned] == [
        ("o-1", 1),
        ("o-2", 3),
    ]
    assert planned[1].ship_date == "2026-11-20"
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    (metrics,) = [line for line in emf if "OrdersFulfilled" in line]
    assert metrics["OrdersFulfilled"] == [1.0, 1.0]
    assert metrics["ParcelsPlanned"] == [1.0, 3.0]


def test_poison_message(context, sqs_event, capsys, caplog):
    event = sqs_event(json.dumps(order_placed("o-1")), "{not json")
    assert fulfilment.handler(event, context) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    (poison,) = [record for record in caplog.records if record.message == "poison message"]
    assert poison.message_id == "m1"
    assert poison.reason.startswith("the message is not JSON")
    assert '"PoisonMessages":[1.0]' in capsys.readouterr().out


def test_a_batch_of_only_poison_fails_the_invocation(context, sqs_event):
    # Powertools raises when every record failed, so Lambda retries the batch as a whole.
    with pytest.raises(BatchProcessingError, match="All records failed"):
        fulfilment.handler(sqs_event("{not json"), context)


def test_mixed_batch(context, sqs_event):
    base = order_placed("o")
    event = sqs_event(
        json.dumps(order_placed("o-0")),
        json.dumps({**base, "event_type": "OrderCancelled"}),
        json.dumps({**base, "items": [{"sku": "X-1", "quantity": -1}]}),
        json.dumps({**base, "placed_at": "yesterday"}),
        json.dumps(order_placed("o-4", placed_at="2026-11-20T09:30:00")),
        json.dumps({key: value for key, value in base.items() if key != "order_id"}),
        json.dumps({**base, "items": []}),
        json.dumps({**base, "items": [{"sku": "X-1", "quantity": True}]}),
        json.dumps([base]),
        json.dumps({key: value for key, value in base.items() if key != "customer_id"}),
        json.dumps(order_placed("o-10", quantity=100)),
    )
    assert fulfilment.handler(event, context) == {
        "batchItemFailures": [{"itemIdentifier": f"m{index}"} for index in (1, 2, 3, 5, 6, 7, 8, 9)]
    }


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("", "the message is not JSON"),
        ("42", "the message is not a JSON object"),
        (json.dumps({"event_type": "OrderShipped"}), "not an OrderPlaced event"),
        (json.dumps({**order_placed(), "currency": ""}), "missing or empty: currency"),
        (json.dumps({**order_placed(), "items": "TEA"}), "items must be a non-empty list"),
        (json.dumps({**order_placed(), "items": [{"quantity": 1}]}), "items[0] needs a sku"),
        (json.dumps({**order_placed(), "placed_at": "soon"}), "placed_at is not an ISO-8601"),
    ],
)
def test_parse_event_says_why_a_message_is_poison(body, reason):
    with pytest.raises(fulfilment.PoisonMessageError) as raised:
        fulfilment.parse_event(body)
    assert str(raised.value).startswith(reason)


def planned_orders(caplog):
    return [record.order_id for record in caplog.records if record.message == "fulfilment planned"]


def test_an_order_delivered_twice_in_one_batch_is_planned_once(context, sqs_event, caplog):
    body = json.dumps(order_placed("o-1"))
    assert fulfilment.handler(sqs_event(body, body), context) == {"batchItemFailures": []}
    assert planned_orders(caplog) == ["o-1"]


def test_a_redelivered_message_is_acknowledged_without_planning_again(
    context, sqs_event, caplog, table
):
    event = sqs_event(json.dumps(order_placed("o-1")), json.dumps(order_placed("o-2")))
    fulfilment.handler(event, context)
    assert fulfilment.handler(event, context) == {"batchItemFailures": []}
    assert planned_orders(caplog) == ["o-1", "o-2"]
    assert len(table.items) == 2


def test_the_order_id_is_the_key_not_the_message(context, sqs_event, caplog):
    # a producer's retry publishes the same order again: another message, the same order id
    first = order_placed("o-1")
    again = {**first, "placed_at": "2026-11-20T09:31:00.000+00:00"}
    fulfilment.handler(sqs_event(json.dumps(first), json.dumps(again)), context)
    assert planned_orders(caplog) == ["o-1"]


def test_an_unreachable_idempotency_table_retries_the_record(context, sqs_event, table, caplog):
    table.fail_with = "ProvisionedThroughputExceededException"
    with pytest.raises(BatchProcessingError, match="All records failed"):
        fulfilment.handler(sqs_event(json.dumps(order_placed("o-1"))), context)
    assert planned_orders(caplog) == []


def test_a_deeply_nested_message_is_poison_not_a_recursion_error():
    with pytest.raises(fulfilment.PoisonMessageError, match="nests deeper than 16 levels"):
        fulfilment.parse_event("[" * 100_000 + "]" * 100_000)
    assert fulfilment.json_depth('{"a": "[[[[", "b": [[1]]}') == 3
