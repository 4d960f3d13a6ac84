"""Bulk intake: messages that ``POST /orders/bulk`` queued hold many orders; publish each one.

API Gateway sends the raw request body (``{"orders": [...]}``) to the queue. Each valid message
becomes one ``OrderPlaced`` event per order (SNS ``PublishBatch``, 10 at a time); an invalid
message, or one whose events SNS did not all accept, is reported as a batch item failure and
retried until it lands in the dead-letter queue.
"""

from __future__ import annotations

import json
import os
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
from orders_model import InvalidOrderError, order_placed, parse_order, sns_message

MAX_ORDERS = 100
SNS_BATCH = 10

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS)


@cache
def sns_client() -> Any:
    """The SNS client (created once per execution environment)."""
    return boto3.client("sns")


class BulkRejectedError(ValueError):
    """The message is not a valid bulk order, or not all of its events were published."""


@tracer.capture_method
def record_handler(record: SQSRecord) -> int:
    """Publish one ``OrderPlaced`` per order of a bulk message; return how many."""
    try:
        document = json.loads(record.body)
    except json.JSONDecodeError as error:
        raise BulkRejectedError("the message is not JSON") from error
    orders = document.get("orders") if isinstance(document, dict) else None
    if not isinstance(orders, list) or not 1 <= len(orders) <= MAX_ORDERS:
        raise BulkRejectedError(f"orders must be a list of 1 to {MAX_ORDERS} orders")
    try:
        events = [order_placed(parse_order(order)) for order in orders]
    except InvalidOrderError as error:
        raise BulkRejectedError(f"an order is invalid: {error}") from error
    topic = os.environ["ORDERS_TOPIC_ARN"]
    for start in range(0, len(events), SNS_BATCH):
        chunk = events[start : start + SNS_BATCH]
        result = sns_client().publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[
                {"Id": str(index), **sns_message(event)} for index, event in enumerate(chunk)
            ],
        )
        if result.get("Failed"):
            raise BulkRejectedError(f"SNS rejected {len(result['Failed'])} events")
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=len(events))
    logger.info(
        "bulk message published", extra={"orders": len(events), "message_id": record.message_id}
    )
    return len(events)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    """Lambda entry point (SQS event source with ReportBatchItemFailures)."""
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
