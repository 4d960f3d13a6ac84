"""Fulfilment: plan the parcels and ship date of every ``OrderPlaced`` event on the queue.

SNS delivers the events raw (an SQS record's body is the event itself). A message that is not a
valid ``OrderPlaced`` event (a poison message) is reported as a batch item failure: SQS delivers
it again, and after the queue's ``maxReceiveCount`` moves it to the dead-letter queue.

SQS delivers at least once, and producers publish an order again when they retry: an order is
planned once per ``order_id`` (Powertools idempotency, records kept a week in DynamoDB); a
delivery of an order already planned is acknowledged without planning it again. Bodies nested
deeper than ``MAX_JSON_DEPTH`` are poison messages, never a ``RecursionError``.

Environment:
    IDEMPOTENCY_TABLE: The DynamoDB table of idempotency records.

The plan: order lines are packed, in order, into parcels of at most ``PARCEL_CAPACITY`` units
(a line may be split across parcels). Orders placed on a working day before ``CUTOFF_HOUR`` UTC
ship that day, later ones the next day; weekends roll over to Monday.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeGuard

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

EVENT_TYPE = "OrderPlaced"
#: Units that fit in one parcel.
PARCEL_CAPACITY = 10
#: Orders placed at or after this hour (UTC) ship one day later.
CUTOFF_HOUR = 14
SATURDAY = 5
#: The deepest nesting of objects and arrays an event may have (an OrderPlaced needs 3).
MAX_JSON_DEPTH = 16
#: How long an order id is remembered: longer than any redelivery or producer retry.
IDEMPOTENCY_EXPIRY_SECONDS = 7 * 24 * 60 * 60
#: Idempotency record calls: bounded well below the function's timeout (at most 2 x 3 s + 1 s).
BOTO_CONFIG = Config(
    connect_timeout=1,
    read_timeout=2,
    retries={"total_max_attempts": 2, "mode": "standard"},
)

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)
persistence = DynamoDBPersistenceLayer(
    table_name=os.environ["IDEMPOTENCY_TABLE"], boto_config=BOTO_CONFIG
)
idempotency = IdempotencyConfig(
    event_key_jmespath="order_id", expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS
)


class PoisonMessageError(ValueError):
    """The message is not a valid ``OrderPlaced`` event; no retry can change that."""


@dataclass(frozen=True)
class Line:
    """Units of one SKU (an order line, or the part of one that goes into a parcel).

    Attributes:
        sku: The stock-keeping unit.
        quantity: How many units.
    """

    sku: str
    quantity: int


@dataclass(frozen=True)
class OrderPlaced:
    """A validated ``OrderPlaced`` event.

    Attributes:
        order_id: The order's id.
        customer_id: Who ordered.
        items: The order lines.
        currency: The order's currency.
        placed_at: When the order was placed (UTC).
    """

    order_id: str
    customer_id: str
    items: tuple[Line, ...]
    currency: str
    placed_at: datetime


@dataclass(frozen=True)
class FulfilmentPlan:
    """How an order ships.

    Attributes:
        order_id: The order's id.
        parcels: The parcels, each a list of lines of at most ``PARCEL_CAPACITY`` units in all.
        ship_date: When the parcels leave the warehouse.
    """

    order_id: str
    parcels: tuple[tuple[Line, ...], ...]
    ship_date: date

    def to_log(self) -> dict[str, Any]:
        """The plan as JSON-ready log fields."""
        return {
            "order_id": self.order_id,
            "ship_date": self.ship_date.isoformat(),
            "parcels": [
                [{"sku": line.sku, "quantity": line.quantity} for line in parcel]
                for parcel in self.parcels
            ],
        }


def _is_positive_int(value: Any) -> TypeGuard[int]:
    """Whether ``value`` is a JSON integer above zero (``bool`` does not count)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _non_empty_str(value: Any) -> TypeGuard[str]:
    """Whether ``value`` is a string with at least one character."""
    return isinstance(value, str) and bool(value)


def json_depth(text: str) -> int:
    """The deepest nesting of objects and arrays in JSON ``text``, without parsing it.

    Args:
        text: The JSON text.

    Returns:
        0 for a scalar, 1 for a flat object or array, and so on (brackets in strings do not
        count).
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def parse_event(body: str) -> OrderPlaced:
    """Decode and check an ``OrderPlaced`` event.

    Args:
        body: The SQS record body.

    Returns:
        The event.

    Raises:
        PoisonMessageError: The body is not JSON, not an ``OrderPlaced`` event, or lacks a field.
    """
    if json_depth(body) > MAX_JSON_DEPTH:
        raise PoisonMessageError(f"the message nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        document = json.loads(body)
    except (json.JSONDecodeError, RecursionError) as error:
        raise PoisonMessageError(f"the message is not JSON: {error}") from error
    if not isinstance(document, dict):
        raise PoisonMessageError("the message is not a JSON object")
    if document.get("event_type") != EVENT_TYPE:
        raise PoisonMessageError(f"not an {EVENT_TYPE} event: {document.get('event_type')!r}")
    missing = [
        field
        for field in ("order_id", "customer_id", "currency", "placed_at")
        if not _non_empty_str(document.get(field))
    ]
    if missing:
        raise PoisonMessageError(f"missing or empty: {', '.join(missing)}")
    items = document.get("items")
    if not isinstance(items, list) or not items:
        raise PoisonMessageError("items must be a non-empty list")
    lines: list[Line] = []
    for index, item in enumerate(items):
        sku = item.get("sku") if isinstance(item, dict) else None
        quantity = item.get("quantity") if isinstance(item, dict) else None
        if not _non_empty_str(sku) or not _is_positive_int(quantity):
            raise PoisonMessageError(f"items[{index}] needs a sku and a positive quantity")
        lines.append(Line(sku=sku, quantity=quantity))
    try:
        placed_at = datetime.fromisoformat(document["placed_at"])
    except ValueError as error:
        raise PoisonMessageError("placed_at is not an ISO-8601 timestamp") from error
    if placed_at.tzinfo is None:  # the producers write UTC; read a naive time as UTC too
        placed_at = placed_at.replace(tzinfo=timezone.utc)
    return OrderPlaced(
        order_id=document["order_id"],
        customer_id=document["customer_id"],
        items=tuple(lines),
        currency=document["currency"],
        placed_at=placed_at.astimezone(timezone.utc),
    )


def ship_date(placed_at: datetime) -> date:
    """The day an order placed at ``placed_at`` ships.

    Args:
        placed_at: When the order was placed (timezone-aware).

    Returns:
        That day if it is a working day and before the cut-off (UTC), else the next working day.
    """
    placed_utc = placed_at.astimezone(timezone.utc)
    day = placed_utc.date()
    if placed_utc.hour >= CUTOFF_HOUR:
        day += timedelta(days=1)
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


def pack(items: tuple[Line, ...], capacity: int = PARCEL_CAPACITY) -> tuple[tuple[Line, ...], ...]:
    """Pack order lines, in order, into parcels of at most ``capacity`` units.

    Args:
        items: The order lines.
        capacity: The most units a parcel holds.

    Returns:
        The parcels; a line that does not fit is split across parcels.
    """
    parcels: list[list[Line]] = []
    free = 0
    for item in items:
        remaining = item.quantity
        while remaining:
            if free == 0:
                parcels.append([])
                free = capacity
            units = min(free, remaining)
            parcels[-1].append(Line(sku=item.sku, quantity=units))
            free -= units
            remaining -= units
    return tuple(tuple(parcel) for parcel in parcels)


def plan(event: OrderPlaced) -> FulfilmentPlan:
    """The fulfilment plan of an order.

    Args:
        event: The order's ``OrderPlaced`` event.

    Returns:
        Its parcels and ship date.
    """
    return FulfilmentPlan(
        order_id=event.order_id, parcels=pack(event.items), ship_date=ship_date(event.placed_at)
    )


def _fulfil_once(order: dict[str, Any], message_id: str) -> dict[str, Any]:
    """Plan an order once per ``order["order_id"]``.

    Args:
        order: The validated event's fields (``order_id`` is the idempotency key).
        message_id: The SQS message that brought it, for the log.

    Returns:
        The plan as log fields; a repeated order id returns the first plan without planning.
    """
    fulfilment = plan(parse_event(json.dumps(order)))
    metrics.add_metric(name="OrdersFulfilled", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="ParcelsPlanned", unit=MetricUnit.Count, value=len(fulfilment.parcels))
    logger.info("fulfilment planned", extra={"message_id": message_id, **fulfilment.to_log()})
    return fulfilment.to_log()


#: Powertools' decorator is untyped: applied here, with the type it keeps.
fulfil_once: Callable[..., dict[str, Any]] = idempotent_function(
    _fulfil_once,
    data_keyword_argument="order",
    persistence_store=persistence,
    config=idempotency,
)


@tracer.capture_method
def record_handler(record: SQSRecord) -> FulfilmentPlan:
    """Plan the fulfilment of the order in one SQS record (once per order id).

    Args:
        record: The SQS record; its body is an ``OrderPlaced`` event.

    Returns:
        The plan.

    Raises:
        PoisonMessageError: The body is not a valid ``OrderPlaced`` event.
    """
    try:
        event = parse_event(record.body)
    except PoisonMessageError as error:
        metrics.add_metric(name="PoisonMessages", unit=MetricUnit.Count, value=1)
        logger.warning(
            "poison message", extra={"message_id": record.message_id, "reason": str(error)}
        )
        raise
    fulfil_once(order=json.loads(record.body), message_id=record.message_id)
    return plan(event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda entry point: SQS event source mapping with ``ReportBatchItemFailures``.

    Args:
        event: The SQS event.
        context: The Lambda context.

    Returns:
        The ids of the records to deliver again (``batchItemFailures``).
    """
    idempotency.register_lambda_context(context)
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
