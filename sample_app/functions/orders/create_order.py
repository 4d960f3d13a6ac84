"""``POST /orders``: validate an order, publish ``OrderPlaced``, answer 201 with the order id.

Behind an API Gateway REST API (Lambda proxy integration). A request with the header
``X-Dry-Run: true`` is validated fully but publishes nothing: the CodeDeploy pre-traffic smoke
test sends one, so a new version is checked without creating a real order.

A client that may retry sends an ``Idempotency-Key`` header (1 to 128 printable characters):
every request with the same key and the same order places it once and answers the same order
id (Powertools idempotency, records kept a day in DynamoDB); the same key with another order is
refused (422), and while the first request is still running a retry gets 409. Without the header
every request places a new order.

Every 5XX the handler answers is a handled failure: it emits the ``HandledFailures`` metric with
the function version as a dimension, which the deployment of a new version watches (it is no
Lambda error).

Environment:
    ORDERS_TOPIC_ARN: The SNS topic ``OrderPlaced`` events are published to.
    IDEMPOTENCY_TABLE: The DynamoDB table of idempotency records.
    HANDLED_FAILURES_METRIC_NAMESPACE, HANDLED_FAILURES_METRIC_NAME: the handled-failure metric
        (set by the CanaryFunction).
"""

from __future__ import annotations

import binascii
import os
import uuid
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_clients import BOTO_CONFIG, sns_client
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError
from orders_model import (
    InvalidOrderError,
    load_json,
    order_placed,
    parse_order,
    sns_message,
    utc_now,
)

__all__ = ["handler", "sns_client"]

DRY_RUN_HEADER = "X-Dry-Run"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY = 128
#: How long a key keeps answering with the order it placed.
IDEMPOTENCY_EXPIRY_SECONDS = 24 * 60 * 60

logger = Logger()
tracer = Tracer()
metrics = Metrics()
app = APIGatewayRestResolver()
persistence = DynamoDBPersistenceLayer(
    table_name=os.environ["IDEMPOTENCY_TABLE"], boto_config=BOTO_CONFIG
)
idempotency = IdempotencyConfig(
    event_key_jmespath="idempotency_key",
    payload_validation_jmespath="order",
    expires_after_seconds=IDEMPOTENCY_EXPIRY_SECONDS,
)


class PublishFailedError(RuntimeError):
    """``OrderPlaced`` could not be published; the idempotency record is dropped, retry works."""


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


def idempotency_key() -> str | None:
    """The client's ``Idempotency-Key`` header, if any (header names are case-blind).

    Raises:
        InvalidOrderError: The key is empty, too long or not printable ASCII.
    """
    key = app.current_event.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not (key.isascii() and key.isprintable()):
        raise InvalidOrderError(
            [f"{IDEMPOTENCY_HEADER} must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters"]
        )
    return key


def request_document() -> Any:
    """The current request's body, decoded from JSON (nesting bounded).

    Returns:
        The decoded document.

    Raises:
        InvalidOrderError: The body is missing, is not JSON, or nests too deeply.
    """
    try:
        body = app.current_event.decoded_body
    except (UnicodeDecodeError, binascii.Error) as error:
        raise InvalidOrderError([f"the body is not valid JSON: {error}"]) from error
    if not body:
        raise InvalidOrderError(["the body must be a JSON object, not empty"])
    return load_json(body)


def handled_failure(reason: str) -> None:
    """Count a failure the handler answers with a 5XX, per function version.

    The deployment group of the function alarms on this metric of the version being deployed
    (``CanaryFunction(handled_failure_metric=...)``).

    Args:
        reason: What failed, for the log.
    """
    with single_metric(
        name=os.environ.get("HANDLED_FAILURES_METRIC_NAME", "HandledFailures"),
        unit=MetricUnit.Count,
        value=1,
        namespace=os.environ.get("HANDLED_FAILURES_METRIC_NAMESPACE"),
        default_dimensions={
            "FunctionVersion": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        },
    ):
        pass
    logger.warning("handled failure", extra={"reason": reason})


def unavailable() -> Response[dict[str, Any]]:
    """503, after counting it as a handled failure."""
    return json_response(
        HTTPStatus.SERVICE_UNAVAILABLE,
        {"message": "orders cannot be accepted right now, retry later"},
        {"Retry-After": "1"},
    )


def publish_order(document: Any) -> dict[str, str]:
    """Place an order: publish its ``OrderPlaced`` event.

    Args:
        document: The validated order document.

    Returns:
        ``{"order_id": ...}``.

    Raises:
        PublishFailedError: SNS did not take the event.
    """
    order_id = str(uuid.uuid4())
    placed = order_placed(parse_order(document), order_id=order_id, placed_at=utc_now())
    try:
        sns_client().publish(TopicArn=os.environ["ORDERS_TOPIC_ARN"], **sns_message(placed))
    except (BotoCoreError, ClientError) as error:
        raise PublishFailedError(str(error)) from error
    return {"order_id": order_id}


def _place_order_once(request: dict[str, Any]) -> dict[str, str]:
    """Place the order of ``request`` once per ``request["idempotency_key"]``.

    Args:
        request: ``{"idempotency_key": ..., "order": <order document>}``.

    Returns:
        The result of the first request with this key: ``{"order_id": ...}``.
    """
    return publish_order(request["order"])


#: Powertools' decorator is untyped: applied here, with the type it keeps.
place_order_once: Callable[..., dict[str, Any]] = idempotent_function(
    _place_order_once,
    data_keyword_argument="request",
    persistence_store=persistence,
    config=idempotency,
)


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
        201 with the order id and its ``Location`` (the same for a repeated idempotency key);
        200 for a dry run; 400 listing what is wrong with an invalid order; 409 while a request
        with the same idempotency key runs; 422 for a key used with another order; 503 if the
        event could not be published (the client may retry, with the same key).
    """
    try:
        document = request_document()
        order = parse_order(document)
        key = idempotency_key()
    except InvalidOrderError as error:
        return reject(error)
    if is_dry_run():
        order_id = str(uuid.uuid4())
        logger.append_keys(order_id=order_id)
        metrics.add_metric(name="DryRuns", unit=MetricUnit.Count, value=1)
        logger.info("dry run: order validated, nothing published")
        return json_response(HTTPStatus.OK, {"order_id": order_id, "dry_run": True})
    try:
        if key is None:
            result = publish_order(document)
        else:
            result = place_order_once(request={"idempotency_key": key, "order": document})
    except IdempotencyValidationError:
        return json_response(
            HTTPStatus.UNPROCESSABLE_ENTITY,
            {"message": f"this {IDEMPOTENCY_HEADER} was used with another order"},
        )
    except IdempotencyAlreadyInProgressError:
        return json_response(
            HTTPStatus.CONFLICT,
            {"message": f"a request with this {IDEMPOTENCY_HEADER} is still running"},
            {"Retry-After": "1"},
        )
    except PublishFailedError:
        metrics.add_metric(name="OrderPublishFailures", unit=MetricUnit.Count, value=1)
        logger.exception("could not publish OrderPlaced")
        handled_failure("publish")
        return unavailable()
    except IdempotencyPersistenceLayerError:
        logger.exception("could not read or write the idempotency record")
        handled_failure("idempotency")
        return unavailable()
    order_id = result["order_id"]
    logger.append_keys(order_id=order_id)
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
    idempotency.register_lambda_context(context)
    return app.resolve(event, context)
