"""fulfilment: parcel planning, poison messages and mixed batches."""

from __future__ import annotations

import json
from datetime import date, datetime

import fulfilment
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from tests.sample_app.conftest import sqs_event


def order_placed(order_id="o-1", quantity=3, placed_at="2026-11-20T09:30:00+00:00"):
    return {
        "event_type": "OrderPlaced",
        "order_id": order_id,
        "customer_id": "c-1",
        "items": [{"sku": "TEA-GREEN-100", "quantity": quantity}],
        "currency": "EUR",
        "placed_at": placed_at,
    }


def test_plan_packs_parcels_of_ten_units():
    plan = fulfilment.plan(
        {
            **order_placed(quantity=12),
            "items": [{"sku": "A-1", "quantity": 12}, {"sku": "B-2", "quantity": 3}],
        }
    )
    assert [sum(line["quantity"] for line in parcel) for parcel in plan.parcels] == [10, 5]
    assert plan.parcels[1] == [{"sku": "A-1", "quantity": 2}, {"sku": "B-2", "quantity": 3}]


def test_ship_date_cutoff_and_weekend():
    assert fulfilment.ship_date(datetime.fromisoformat("2026-11-20T09:00:00+00:00")) == date(
        2026, 11, 20
    )
    assert fulfilment.ship_date(datetime.fromisoformat("2026-11-20T15:00:00+00:00")) == date(
        2026, 11, 23
    )
    assert fulfilment.ship_date(datetime.fromisoformat("2026-11-22T08:00:00+00:00")) == date(
        2026, 11, 23
    )


def test_success_batch(context, capsys):
    event = sqs_event(json.dumps(order_placed("o-1")), json.dumps(order_placed("o-2", 25)))
    assert fulfilment.handler(event, context) == {"batchItemFailures": []}
    output = capsys.readouterr().out
    assert '"OrdersFulfilled"' in output
    assert '"ParcelsPlanned"' in output


def test_poison_message(context):
    event = sqs_event(json.dumps(order_placed("o-1")), "{not json")
    assert fulfilment.handler(event, context) == {"batchItemFailures": [{"itemIdentifier": "m1"}]}


def test_a_batch_of_only_poison_fails_the_invocation(context):
    # Powertools raises when every record failed, so Lambda retries the batch as a whole.
    with pytest.raises(BatchProcessingError, match="All records failed"):
        fulfilment.handler(sqs_event("{not json"), context)


def test_mixed_batch(context):
    event = sqs_event(
        json.dumps(order_placed("o-1")),
        json.dumps({**order_placed("o-2"), "event_type": "OrderCancelled"}),
        json.dumps({**order_placed("o-3"), "items": [{"sku": "X-1", "quantity": -1}]}),
        json.dumps({**order_placed("o-4"), "placed_at": "yesterday"}),
        json.dumps(order_placed("o-5")),
    )
    result = fulfilment.handler(event, context)
    assert result == {
        "batchItemFailures": [
            {"itemIdentifier": "m1"},
            {"itemIdentifier": "m2"},
            {"itemIdentifier": "m3"},
        ]
    }
