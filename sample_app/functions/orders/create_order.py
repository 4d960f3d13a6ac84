"""``POST /orders``: validate an order, publish ``OrderPlaced``, answer 201 with the order id.

A request with the header ``X-Dry-Run: true`` is validated fully but publishes nothing: the
CodeDeploy pre-traffic smoke test sends one, so a new version is checked without a real order.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from orders_model import InvalidOrderError, order_placed, parse_order, sns_message

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@cache
def sns_client() -> Any:
    """The SNS client (created once per execution environment)."""
    return boto3.client("sns")


def response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway proxy response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": json.dumps(body),
    }


def is_dry_run(event: APIGatewayProxyEvent) -> bool:
    """Whether the request asks for validation only."""
    return (event.headers.get("X-Dry-Run") or "").lower() == "true"


@tracer.capture_method
def handle(event: APIGatewayProxyEvent) -> dict[str, Any]:
    """Validate and place one order."""
    try:
        order = parse_order(json.loads(event.body or ""))
    except json.JSONDecodeError:
        metrics.add_metric(name="OrdersRejected", unit=MetricUnit.Count, value=1)
        return response(400, {"message": "the body must be JSON", "problems": ["invalid JSON"]})
    except InvalidOrderError as error:
        metrics.add_metric(name="OrdersRejected", unit=MetricUnit.Count, value=1)
        return response(400, {"message": "the order is invalid", "problems": error.problems})

    placed = order_placed(order)
    if is_dry_run(event):
        metrics.add_metric(name="DryRuns", unit=MetricUnit.Count, value=1)
        logger.info("dry run: order validated", extra={"order_id": placed["order_id"]})
        return response(200, {"order_id": placed["order_id"], "dry_run": True})
    try:
        sns_client().publish(TopicArn=os.environ["ORDERS_TOPIC_ARN"], **sns_message(placed))
    except (BotoCoreError, ClientError):
        logger.exception("could not publish OrderPlaced", extra={"order_id": placed["order_id"]})
        return response(503, {"message": "orders are not accepted right now, retry later"})
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    logger.info("order placed", extra={"order_id": placed["order_id"]})
    return response(
        201, {"order_id": placed["order_id"]}, {"Location": f"/orders/{placed['order_id']}"}
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
@event_source(data_class=APIGatewayProxyEvent)
def handler(event: APIGatewayProxyEvent, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point (API Gateway REST proxy integration)."""
    return handle(event)
