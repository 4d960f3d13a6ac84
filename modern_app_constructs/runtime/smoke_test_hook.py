"""CodeDeploy pre-traffic hook: invoke the new version with a smoke-test event, report the verdict.

Environment (set by ``CanaryFunction``):

- ``TARGET_VERSION_ARN``: the qualified ARN of the new version (the only thing invoked);
- ``SMOKE_TEST_EVENT``: the JSON event to invoke it with;
- ``EXPECTED_STATUS_CODES``: optional JSON list of accepted ``statusCode`` values. Without it, a
  response passes when it has no ``statusCode`` or one below 500.

Every outcome is reported to CodeDeploy: ``Succeeded`` only when the invocation returned without a
``FunctionError`` and the status check passed, ``Failed`` on anything else (including errors in
this hook), so a deployment never hangs. If reporting itself fails the error is raised: CodeDeploy
then times the hook out and fails the deployment.
"""

from __future__ import annotations

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from botocore.config import Config

logger = Logger()
tracer = Tracer()

# Time kept back from the hook's own timeout to report the verdict.
REPORT_MARGIN_MS = 10_000


class SmokeTestFailedError(Exception):
    """The new version did not pass the smoke test."""


def check_response(payload: bytes, expected_status_codes: list[int] | None) -> None:
    """Raise :class:`SmokeTestFailedError` unless ``payload`` satisfies the expectation."""
    try:
        document = json.loads(payload or b"null")
    except ValueError as error:
        if expected_status_codes:
            raise SmokeTestFailedError("the response is not JSON") from error
        return
    status = document.get("statusCode") if isinstance(document, dict) else None
    if expected_status_codes:
        if status not in expected_status_codes:
            raise SmokeTestFailedError(
                f"statusCode {status!r} is not one of {expected_status_codes}"
            )
    elif isinstance(status, int) and status >= 500:
        raise SmokeTestFailedError(f"statusCode {status} is a server error")


def run_smoke_test(lambda_client: Any, environ: dict[str, str] | os._Environ[str]) -> None:
    """Invoke the target version once; raise when it fails the smoke test."""
    target = environ.get("TARGET_VERSION_ARN")
    if not target:
        raise SmokeTestFailedError("TARGET_VERSION_ARN is not set")
    event = json.loads(environ.get("SMOKE_TEST_EVENT") or "{}")
    expected = json.loads(environ.get("EXPECTED_STATUS_CODES") or "null")
    response = lambda_client.invoke(
        FunctionName=target,
        InvocationType="RequestResponse",
        Payload=json.dumps(event).encode(),
    )
    payload = response["Payload"].read()
    logger.debug("smoke test response", extra={"payload": payload.decode(errors="replace")})
    if response.get("FunctionError"):
        raise SmokeTestFailedError(f"the function raised ({response['FunctionError']})")
    check_response(payload, expected)


def handle(event: dict[str, Any], lambda_client: Any, codedeploy_client: Any) -> str:
    """Run the smoke test and report the verdict to CodeDeploy; return the status reported."""
    deployment_id = event.get("DeploymentId")
    execution_id = event.get("LifecycleEventHookExecutionId")
    if not deployment_id or not execution_id:
        raise ValueError("not a CodeDeploy lifecycle event: DeploymentId/ExecutionId missing")
    status = "Failed"
    try:
        run_smoke_test(lambda_client, os.environ)
        status = "Succeeded"
        logger.info("smoke test passed", extra={"deployment_id": deployment_id})
    except Exception as error:  # every failure must be reported, never left hanging
        logger.error(
            "smoke test failed", extra={"deployment_id": deployment_id, "reason": str(error)}
        )
    try:
        codedeploy_client.put_lifecycle_event_hook_execution_status(
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
    remaining_s = max(1.0, (context.get_remaining_time_in_millis() - REPORT_MARGIN_MS) / 1000)
    lambda_client = boto3.client(
        "lambda",
        config=Config(read_timeout=remaining_s, connect_timeout=5, retries={"max_attempts": 0}),
    )
    codedeploy_client = boto3.client("codedeploy")
    return {"status": handle(event, lambda_client, codedeploy_client)}
