"""Bulk intake: each message ``POST /orders/bulk`` queued holds many orders; publish each one.

API Gateway sends the raw request body (``{"orders": [...]}``) to the queue with an SQS
``SendMessage`` service integration, so a message body is whatever the client posted. A valid
message becomes one ``OrderPlaced`` event per order, published with SNS ``PublishBatch`` ten at
a time. When SNS accepts only part of a batch, only the entries it failed are sent again (up to
``PUBLISH_ATTEMPTS`` times in all; never those it failed as the sender's fault, which no retry
fixes). An invalid message, or one whose events SNS still did not all accept, is reported as a
batch item failure: SQS delivers it again, and after the queue's ``maxReceiveCount`` moves it
to the dead-letter queue.

A message delivered again is published again in full. Its order ids and ``placed_at`` are
derived from the SQS message (id and sent time), so a retry publishes the very same events and
consumers drop the duplicates by ``order_id`` (fulfilment does).

Environment:
    ORDERS_TOPIC_ARN: The SNS topic ``OrderPlaced`` events are published to.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from typing import Any

from aws_clients import sns_client
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
from orders_model import (
    InvalidOrderError,
    load_json,
    order_placed,
    parse_bulk,
    sns_message,
    utc_now,
)

__all__ = ["handler", "sns_client"]

#: SNS ``PublishBatch`` takes at most ten entries.
SNS_BATCH_SIZE = 10
#: How often an event SNS failed (not as the sender's fault) is offered in all.
PUBLISH_ATTEMPTS = 3
#: Order ids of bulk orders are UUIDv5 names in this namespace: ``<message id>/<index>``.
BULK_ORDER_NAMESPACE = uuid.UUID("0b7d6f3e-5f7c-4f4e-9a52-6a1c8f0e2d41")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


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

    Entries SNS fails are sent again, alone (up to ``PUBLISH_ATTEMPTS`` times in all), unless
    SNS blames the sender: the entries it accepted are never sent twice by this call.

    Args:
        events: ``OrderPlaced`` events.

    Raises:
        PublishFailedError: SNS still had not accepted every event.
        botocore.exceptions.ClientError: SNS refused a whole call.
    """
    topic_arn = os.environ["ORDERS_TOPIC_ARN"]
    for start in range(0, len(events), SNS_BATCH_SIZE):
        given_up: list[str] = []
        pending = dict(enumerate(events[start : start + SNS_BATCH_SIZE]))
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            result = sns_client().publish_batch(
                TopicArn=topic_arn,
                PublishBatchRequestEntries=[
                    {"Id": str(index), **sns_message(event)} for index, event in pending.items()
                ],
            )
            failed = result.get("Failed") or []
            if not failed:
                break
            metrics.add_metric(
                name="OrderPublishFailures", unit=MetricUnit.Count, value=len(failed)
            )
            retryable = {
                int(entry["Id"]) for entry in failed if not entry.get("SenderFault", False)
            }
            given_up.extend(
                f"{entry['Id']}={entry['Code']}"
                for entry in failed
                if entry.get("SenderFault", False) or attempt == PUBLISH_ATTEMPTS
            )
            pending = {index: pending[index] for index in sorted(retryable) if index in pending}
            if not pending:
                break
        if given_up:  # the later chunks wait for the message's next delivery
            raise PublishFailedError(
                f"SNS did not accept {len(given_up)} of {len(events)} events: "
                + ", ".join(given_up)
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
        orders = parse_bulk(load_json(record.body))
    except InvalidOrderError as error:
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
