"""Fulfilment: plan the parcels of every ``OrderPlaced`` event delivered to the queue.

SNS delivers the events raw (the SQS body is the event itself). A message that is not a valid
``OrderPlaced`` event is reported as a batch item failure, retried, and ends in the DLQ.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

#: Units that fit in one parcel.
PARCEL_CAPACITY = 10
#: Orders placed at or after this UTC hour ship one day later.
CUTOFF_HOUR = 14

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


class PoisonMessageError(ValueError):
    """The message is not a valid ``OrderPlaced`` event."""


@dataclass(frozen=True)
class FulfilmentPlan:
    """How an order ships."""

    order_id: str
    parcels: list[list[dict[str, Any]]]
    ship_date: date


def ship_date(placed_at: datetime) -> date:
    """Next working day after the cut-off; weekends roll to Monday."""
    day = placed_at.date() + timedelta(days=1 if placed_at.hour >= CUTOFF_HOUR else 0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def plan(event: dict[str, Any]) -> FulfilmentPlan:
    """Pack the order's units into parcels of at most ``PARCEL_CAPACITY`` units."""
    parcels: list[list[dict[str, Any]]] = [[]]
    free = PARCEL_CAPACITY
    for item in event["items"]:
        remaining = item["quantity"]
        while remaining:
            if free == 0:
                parcels.append([])
                free = PARCEL_CAPACITY
            units = min(free, remaining)
            parcels[-1].append({"sku": item["sku"], "quantity": units})
            free -= units
            remaining -= units
    placed_at = datetime.fromisoformat(event["placed_at"])
    return FulfilmentPlan(
        order_id=event["order_id"], parcels=parcels, ship_date=ship_date(placed_at)
    )


def parse_event(body: str) -> dict[str, Any]:
    """Decode and check an ``OrderPlaced`` event."""
    try:
        event = json.loads(body)
    except json.JSONDecodeError as error:
        raise PoisonMessageError("the message is not JSON") from error
    if not isinstance(event, dict) or event.get("event_type") != "OrderPlaced":
        raise PoisonMessageError("not an OrderPlaced event")
    items = event.get("items")
    if not isinstance(event.get("order_id"), str) or not isinstance(items, list) or not items:
        raise PoisonMessageError("order_id or items missing")
    for item in items:
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("sku"), str)
            or not isinstance(quantity, int)
            or quantity < 1
        ):
            raise PoisonMessageError("an item lacks a sku or a positive quantity")
    try:
        datetime.fromisoformat(str(event.get("placed_at")))
    except ValueError as error:
        raise PoisonMessageError("placed_at is not an ISO-8601 timestamp") from error
    return event


@tracer.capture_method
def record_handler(record: SQSRecord) -> FulfilmentPlan:
    """Plan one order."""
    fulfilment = plan(parse_event(record.body))
    metrics.add_metric(name="OrdersFulfilled", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ParcelsPlanned", unit=MetricUnit.Count, value=len(fulfilment.parcels))
    logger.info(
        "fulfilment planned",
        extra={
            "order_id": fulfilment.order_id,
            "parcels": len(fulfilment.parcels),
            "ship_date": fulfilment.ship_date.isoformat(),
        },
    )
    return fulfilment


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda entry point (SQS event source with ReportBatchItemFailures)."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
