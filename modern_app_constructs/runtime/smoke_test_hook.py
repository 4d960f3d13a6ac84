"""CodeDeploy pre-traffic hook: invoke the new version with a smoke-test event, report the verdict.

Environment (set by ``CanaryFunction``):

- ``TARGET_VERSION_ARN``: the qualified ARN of the new version (the only thing invoked);
- ``SMOKE_TEST_EVENT``: the JSON event to invoke it with;
- ``EXPECTED_STATUS_CODES``: optional JSON list of accepted integer ``statusCode`` values.
  Without it, a response passes when it has no ``statusCode`` or an integer one below 500.

Every outcome is reported to CodeDeploy: ``Succeeded`` only when the invocation returned without a
``FunctionError`` and the status check passed, ``Failed`` on anything else (a malformed
environment, a client that cannot be built, a timeout, a throttle that outlasts its retries, a
``statusCode`` that is not an integer), so a deployment never hangs.

Time is budgeted from the hook's own remaining time: the report to CodeDeploy keeps a reserve
(:data:`REPORT_RESERVE_S`) that covers its bounded connect/read timeouts, retries and backoff; the
invoke (and its retries on throttling) gets the rest. If reporting itself fails, the error is
raised: CodeDeploy then times the hook out and fails the deployment.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from botocore.config import Config
from botocore.exceptions import ClientError

logger = Logger()
tracer = Tracer()

#: Seconds to open a connection to any AWS endpoint.
CONNECT_TIMEOUT_S = 2
#: Seconds to wait for CodeDeploy's answer to the status report.
REPORT_READ_TIMEOUT_S = 3
#: Retries of the status report (botocore's standard mode: throttles and transient errors).
REPORT_RETRIES = 2
#: Time kept back from the hook's timeout for the report: every attempt's connect and read
#: timeouts, the standard mode's largest backoffs (1 s, 2 s) and 2 s of slack.
REPORT_RESERVE_S = (REPORT_RETRIES + 1) * (CONNECT_TIMEOUT_S + REPORT_READ_TIMEOUT_S) + 3 + 2
#: Waits before retrying a throttled invoke; at most this many retries.
INVOKE_THROTTLE_BACKOFF_S = (1.0, 2.0, 4.0)
#: The least time worth starting an invoke with.
MIN_INVOKE_S = 1.0
#: Error codes that mean the invoke was throttled (not run), so retrying cannot run it twice.
THROTTLING_CODES = frozenset({"TooManyRequestsException", "ThrottlingException"})

#: ``make_client(service, config)``: builds a boto3 client (a seam for tests).
ClientFactory = Callable[[str, Config], Any]


class SmokeTestFailedError(Exception):
    """The new version did not pass the smoke test."""


def _boto3_client(service: str, config: Config) -> Any:
    return boto3.client(service, config=config)


def invoke_config(read_timeout_s: float) -> Config:
    """The Lambda client's config: bounded timeouts, no SDK retries.

    Throttles are retried by the hook; a retried timeout would run the new version twice and
    overrun the budget.
    """
    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=read_timeout_s,
        retries={"max_attempts": 0, "mode": "standard"},
    )


def report_config() -> Config:
    """The CodeDeploy client's config: bounded timeouts and retries within the report reserve."""
    return Config(
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=REPORT_READ_TIMEOUT_S,
        retries={"max_attempts": REPORT_RETRIES, "mode": "standard"},
    )


def _is_status_code(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def expected_codes(environ: Mapping[str, str]) -> list[int] | None:
    """``EXPECTED_STATUS_CODES`` parsed; raise unless it is a non-empty list of integers."""
    raw = environ.get("EXPECTED_STATUS_CODES")
    if not raw:
        return None
    codes = json.loads(raw)
    if not isinstance(codes, list) or not codes or not all(_is_status_code(c) for c in codes):
        raise SmokeTestFailedError(f"EXPECTED_STATUS_CODES={raw!r} is not a list of integers")
    return codes


def check_response(payload: bytes, expected_status_codes: list[int] | None) -> None:
    """Raise :class:`SmokeTestFailedError` unless ``payload`` satisfies the expectation.

    A ``statusCode`` must be an integer: ``"500"`` (a string) fails whatever is expected.
    """
    try:
        document = json.loads(payload or b"null")
    except ValueError as error:
        if expected_status_codes:
            raise SmokeTestFailedError("the response is not JSON") from error
        return
    has_status = isinstance(document, dict) and "statusCode" in document
    status = document.get("statusCode") if isinstance(document, dict) else None
    if has_status and not _is_status_code(status):
        raise SmokeTestFailedError(
            f"statusCode {status!r} is a {type(status).__name__}, not an integer"
        )
    if expected_status_codes:
        if status not in expected_status_codes:
            raise SmokeTestFailedError(
                f"statusCode {status!r} is not one of {expected_status_codes}"
            )
    elif status is not None and status >= 500:
        raise SmokeTestFailedError(f"statusCode {status} is a server error")


def run_smoke_test(
    environ: Mapping[str, str],
    *,
    deadline: float,
    make_client: ClientFactory,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Invoke the target version once (retrying throttles) before ``deadline``; raise on failure.

    Args:
        environ: the hook's environment.
        deadline: the ``clock()`` value by which the invoke must have returned.
        make_client: builds the Lambda client; called per attempt so its read timeout is what
            is left of the budget.
        clock: monotonic seconds.
        sleep: waits between throttled attempts.
    """
    target = environ.get("TARGET_VERSION_ARN")
    if not target:
        raise SmokeTestFailedError("TARGET_VERSION_ARN is not set")
    payload_out = json.dumps(json.loads(environ.get("SMOKE_TEST_EVENT") or "{}")).encode()
    expected = expected_codes(environ)
    backoffs = list(INVOKE_THROTTLE_BACKOFF_S)
    while True:
        left = deadline - clock() - CONNECT_TIMEOUT_S
        if left < MIN_INVOKE_S:
            raise SmokeTestFailedError("no time left in the hook's budget to invoke the version")
        client = make_client("lambda", invoke_config(left))
        try:
            response = client.invoke(
                FunctionName=target, InvocationType="RequestResponse", Payload=payload_out
            )
            break
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code not in THROTTLING_CODES or not backoffs:
                raise
            wait = backoffs.pop(0)
            if clock() + wait + CONNECT_TIMEOUT_S + MIN_INVOKE_S > deadline:
                raise
            logger.warning("invoke throttled; retrying", extra={"wait_s": wait})
            sleep(wait)
    payload = response["Payload"].read()
    logger.debug("smoke test response", extra={"payload": payload.decode(errors="replace")})
    if response.get("FunctionError"):
        raise SmokeTestFailedError(f"the function raised ({response['FunctionError']})")
    check_response(payload, expected)


def handle(
    event: Mapping[str, Any],
    remaining_ms: int,
    *,
    environ: Mapping[str, str] | None = None,
    make_client: ClientFactory = _boto3_client,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Run the smoke test and report the verdict to CodeDeploy; return the status reported.

    Args:
        event: the CodeDeploy lifecycle event.
        remaining_ms: the hook's remaining time when it started.
        environ: the environment. Default: ``os.environ``.
        make_client: builds boto3 clients. Default: ``boto3.client``.
        clock: monotonic seconds. Default: ``time.monotonic``.
        sleep: Default: ``time.sleep``.

    Raises:
        ValueError: the event is not a lifecycle event (there is nothing to report to).
        Exception: reporting failed (CodeDeploy then times the hook out and fails it).
    """
    deployment_id = event.get("DeploymentId") if isinstance(event, Mapping) else None
    execution_id = (
        event.get("LifecycleEventHookExecutionId") if isinstance(event, Mapping) else None
    )
    if not deployment_id or not execution_id:
        raise ValueError("not a CodeDeploy lifecycle event: DeploymentId/ExecutionId missing")
    started = clock()
    status = "Failed"
    try:
        deadline = started + remaining_ms / 1000 - REPORT_RESERVE_S
        run_smoke_test(
            os.environ if environ is None else environ,
            deadline=deadline,
            make_client=make_client,
            clock=clock,
            sleep=sleep,
        )
        status = "Succeeded"
        logger.info("smoke test passed", extra={"deployment_id": deployment_id})
    except Exception as error:  # every failure must be reported, never left hanging
        logger.error(
            "smoke test failed",
            extra={"deployment_id": deployment_id, "reason": f"{type(error).__name__}: {error}"},
        )
    try:
        codedeploy = make_client("codedeploy", report_config())
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id,
            lifecycleEventHookExecutionId=execution_id,
            status=status,
        )
    except Exception:
        logger.exception("could not report the verdict", extra={"deployment_id": deployment_id})
        raise
    return status


@logger.inject_lambda_context
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    """Lambda entry point."""
    return {"status": handle(event, context.get_remaining_time_in_millis())}
