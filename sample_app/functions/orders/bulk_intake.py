"""Bulk intake: each message ``POST /orders/bulk`` queued holds many orders; publish each one.

API Gateway sends the raw request body (``{"orders": [...]}``) to the queue with an SQS
``SendMessage`` service integration, so a message body is whatever the client posted. A valid
message becomes one ``OrderPlaced`` event per order, published with SNS ``PublishBatch`` ten at
a time. An invalid message, or one whose events SNS did not all accept, is reported as a batch
item failure: SQS delivers it again, and after the queue's ``maxReceiveCount`` moves it to the
dead-letter queue.

A retried message is published again in full. Its order ids and ``placed_at`` are derived from
the SQS message (id and sent time), so a retry publishes the very same events and consumers can
drop the duplicates by ``order_id``.

Environment:
    ORDERS_TOPIC_ARN: The SNS topic ``OrderPlaced`` events are published to.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timezone
from functools import cache
from typing import Any

import boto3
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
from orders_model import InvalidOrderError, order_placed, parse_bulk, sns_message, utc_now

#: SNS ``PublishBatch`` takes at most ten entries.
SNS_BATCH_SIZE = 10
#: Order ids of bulk orders are UUIDv5 names in this namespace: ``<message id>/<index>``.
BULK_ORDER_NAMESPACE = uuid.UUID("0b7d6f3e-5f7c-4f4e-9a52-6a1c8f0e2d41")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def sns_client() -> Any:
    """The SNS client, created on first use and kept for the execution environment.

    Returns:
        A boto3 SNS client (tests replace this function with one returning a stubbed client).
    """
    return boto3.client("sns")


class BulkRejectedError(ValueError):
    """The message is not a valid bulk of orders; retrying will not help, the DLQ keeps it."""


class PublishFailedError(RuntimeError):
    """SNS did not accept every event of the message; the message is retried."""


def order_id(message_id: str, index: int) -> str:
    """The id of the ``index``-th order of a message: the same on every delivery of it.

    Args:
        message_id: The SQS message id.
        index: The order's position in the message.

    Returns:
        A UUID (version 5) as a string.
    """
    return str(uuid.uuid5(BULK_ORDER_NAMESPACE, f"{message_id}/{index}"))


def sent_at(record: SQSRecord) -> datetime:
    """When API Gateway queued the message (now, if SQS did not say).

    Args:
        record: The SQS record.

    Returns:
        A timezone-aware UTC time.
    """
    sent_timestamp = record.attributes.get("SentTimestamp")
    if sent_timestamp is None:
        return utc_now()
    return datetime.fromtimestamp(int(sent_timestamp) / 1000, tz=timezone.utc)


def publish(events: list[dict[str, Any]]) -> None:
    """Publish events to the orders topic, ``SNS_BATCH_SIZE`` per ``PublishBatch`` call.

    Args:
        events: ``OrderPlaced`` events.

    Raises:
        PublishFailedError: SNS reported failed entries.
        botocore.exceptions.ClientError: SNS refused a whole call.
    """
    topic_arn = os.environ["ORDERS_TOPIC_ARN"]
    for start in range(0, len(events), SNS_BATCH_SIZE):
        chunk = events[start : start + SNS_BATCH_SIZE]
        result = sns_client().publish_batch(
            TopicArn=topic_arn,
            PublishBatchRequestEntries=[
                {"Id": str(index), **sns_message(event)} for index, event in enumerate(chunk)
            ],
        )
        failed = result.get("Failed") or []
        if failed:
            metrics.add_metric(
                name="OrderPublishFailures", unit=MetricUnit.Count, value=len(failed)
            )
            raise PublishFailedError(
                f"SNS did not accept {len(failed)} of {len(chunk)} events: "
                + ", ".join(f"{entry['Id']}={entry['Code']}" for entry in failed)
            )


@tracer.capture_method
def record_handler(record: SQSRecord) -> int:
    """Publish one ``OrderPlaced`` per order of a bulk message.

    Args:
        record: One SQS record whose body is a client's ``POST /orders/bulk`` body.

    Returns:
        How many orders were published.

    Raises:
        BulkRejectedError: The body is not a valid bulk of orders.
        PublishFailedError: SNS did not accept every event.
    """
    try:
        orders = parse_bulk(json.loads(record.body))
    except (json.JSONDecodeError, InvalidOrderError) as error:
        metrics.add_metric(name="BulkMessagesRejected", unit=MetricUnit.Count, value=1)
        logger.warning(
            "bulk message rejected", extra={"message_id": record.message_id, "reason": str(error)}
        )
        raise BulkRejectedError(str(error)) from error
    placed_at = sent_at(record)
    events = [
        order_placed(order, order_id=order_id(record.message_id, index), placed_at=placed_at)
        for index, order in enumerate(orders)
    ]
    publish(events)
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=len(events))
    logger.info(
        "bulk message published",
        extra={
            "message_id": record.message_id,
            "orders": len(events),
            "order_ids": [event["order_id"] for event in events],
        },
    )
    return len(events)


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
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
