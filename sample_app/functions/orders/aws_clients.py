"""AWS clients of the orders functions: every call bounded well below what waits for it.

API Gateway gives a Lambda integration 29 seconds and the functions have 30 (create order) and
60 (bulk intake). A call is attempted at most ``MAX_ATTEMPTS`` times, each attempt waiting at
most ``CONNECT_TIMEOUT`` + ``READ_TIMEOUT`` seconds (plus botocore's standard back-off of at
most ``MAX_BACKOFF`` seconds between attempts), so :data:`WORST_CASE_CALL_SECONDS` bounds one
call, and a request that makes :data:`CALLS_PER_REQUEST` of them still answers in time.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

__all__ = [
    "BOTO_CONFIG",
    "CALLS_PER_REQUEST",
    "WORST_CASE_CALL_SECONDS",
    "dynamodb_client",
    "sns_client",
]

CONNECT_TIMEOUT = 1
READ_TIMEOUT = 2
MAX_ATTEMPTS = 2
#: botocore's standard retry mode waits at most this long before a retry (jittered).
MAX_BACKOFF = 1
WORST_CASE_CALL_SECONDS = (
    MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + (MAX_ATTEMPTS - 1) * MAX_BACKOFF
)
#: create_order: idempotency record put, publish, idempotency record update.
CALLS_PER_REQUEST = 3

BOTO_CONFIG = Config(
    connect_timeout=CONNECT_TIMEOUT,
    read_timeout=READ_TIMEOUT,
    retries={"total_max_attempts": MAX_ATTEMPTS, "mode": "standard"},
)


@cache
def sns_client() -> Any:
    """The SNS client, created on first use and kept for the execution environment.

    Returns:
        A boto3 SNS client with :data:`BOTO_CONFIG` (tests replace the handlers' references).
    """
    return boto3.client("sns", config=BOTO_CONFIG)


def dynamodb_client() -> Any:
    """A DynamoDB client with :data:`BOTO_CONFIG` (the idempotency records).

    Returns:
        A boto3 DynamoDB client.
    """
    return boto3.client("dynamodb", config=BOTO_CONFIG)
