"""``POST /orders``: validate an order, publish ``OrderPlaced``, answer 201 with the order id.

Behind an API Gateway REST API (Lambda proxy integration). A request with the header
``X-Dry-Run: true`` is validated fully but publishes nothing: the CodeDeploy pre-traffic smoke
test sends one, so a new version is checked without creating a real order.

Environment:
    ORDERS_TOPIC_ARN: The SNS topic ``OrderPlaced`` events are published to.
"""

from __future__ import annotations

import binascii
import json
import os
import uuid
from functools import cache
from http import HTTPStatus
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from orders_model import InvalidOrderError, order_placed, parse_order, sns_message, utc_now

DRY_RUN_HEADER = "X-Dry-Run"

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()


@cache
def sns_client() -> Any:
    """The SNS client, created on first use and kept for the execution environment.

    Returns:
        A boto3 SNS client (tests replace this function with one returning a stubbed client).
    """
    return boto3.client("sns")


def json_response(
    status: HTTPStatus, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    """A JSON response.

    Args:
        status: The HTTP status.
        body: The JSON body.
        headers: Extra response headers.

    Returns:
        The response for the resolver to render.
    """
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=body,
        headers=headers,
    )


def is_dry_run() -> bool:
    """Whether the current request asks for validation only (header names are case-blind)."""
    value = app.current_event.headers.get(DRY_RUN_HEADER) or ""
    return value.strip().lower() == "true"


def request_document() -> Any:
    """The current request's body, decoded from JSON.

    Returns:
        The decoded document.

    Raises:
        InvalidOrderError: The body is missing or is not JSON.
    """
    try:
        body = app.current_event.decoded_body
        if not body:
            raise InvalidOrderError(["the body must be a JSON object, not empty"])
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, binascii.Error) as error:
        raise InvalidOrderError([f"the body is not valid JSON: {error}"]) from error


def reject(error: InvalidOrderError) -> Response[dict[str, Any]]:
    """Answer 400 and list what is wrong with the order.

    Args:
        error: The validation failure.

    Returns:
        The 400 response.
    """
    metrics.add_metric(name="OrdersRejected", unit=MetricUnit.Count, value=1)
    logger.info("order rejected", extra={"problems": error.problems})
    return json_response(
        HTTPStatus.BAD_REQUEST, {"message": "the order is invalid", "problems": error.problems}
    )


@app.post("/orders")
@tracer.capture_method
def create_order() -> Response[dict[str, Any]]:
    """Validate and place one order.

    Returns:
        201 with the order id and its ``Location``; 200 for a dry run; 400 listing what is wrong
        with an invalid order; 503 if the event could not be published (the client may retry).
    """
    try:
        order = parse_order(request_document())
    except InvalidOrderError as error:
        return reject(error)
    order_id = str(uuid.uuid4())
    placed = order_placed(order, order_id=order_id, placed_at=utc_now())
    logger.append_keys(order_id=order_id)
    if is_dry_run():
        metrics.add_metric(name="DryRuns", unit=MetricUnit.Count, value=1)
        logger.info("dry run: order validated, nothing published")
        return json_response(HTTPStatus.OK, {"order_id": order_id, "dry_run": True})
    try:
        sns_client().publish(TopicArn=os.environ["ORDERS_TOPIC_ARN"], **sns_message(placed))
    except (BotoCoreError, ClientError):
        metrics.add_metric(name="OrderPublishFailures", unit=MetricUnit.Count, value=1)
        logger.exception("could not publish OrderPlaced")
        return json_response(
            HTTPStatus.SERVICE_UNAVAILABLE,
            {"message": "orders cannot be accepted right now, retry later"},
            {"Retry-After": "1"},
        )
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="OrderItems", unit=MetricUnit.Count, value=len(order.items))
    logger.info("order placed", extra={"items": len(order.items), "currency": order.currency})
    return json_response(
        HTTPStatus.CREATED, {"order_id": order_id}, {"Location": f"/orders/{order_id}"}
    )


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: API Gateway REST proxy integration (payload format 1.0).

    Args:
        event: The API Gateway proxy event.
        context: The Lambda context.

    Returns:
        The API Gateway proxy response.
    """
    return app.resolve(event, context)
