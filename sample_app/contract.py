"""The orders service's contract: request schemas, the smoke-test request, the health check.

Kept apart from the stacks so that both the library version (``sample_app/app.py``) and the
raw aws-cdk-lib version (``benchmarks/raw_cdk``) use exactly the same ones.
"""

from __future__ import annotations

import json

__all__ = ["BULK_SCHEMA", "CONTAINER_HEALTH_CHECK", "ORDER_SCHEMA", "SMOKE_TEST_EVENT"]

ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "customer_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "currency": {"type": "string", "enum": ["EUR", "USD", "GBP"]},
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 50,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z0-9-]{3,32}$"},
                    "quantity": {"type": "integer", "minimum": 1, "maximum": 100},
                },
                "required": ["sku", "quantity"],
            },
        },
    },
    "required": ["customer_id", "items"],
}
BULK_SCHEMA = {
    "type": "object",
    "properties": {
        "orders": {"type": "array", "minItems": 1, "maxItems": 100, "items": ORDER_SCHEMA}
    },
    "required": ["orders"],
}
#: What the pre-traffic smoke test sends the new create-order version: a dry run.
SMOKE_TEST_EVENT = {
    "httpMethod": "POST",
    "path": "/orders",
    "resource": "/orders",
    "headers": {"Content-Type": "application/json", "X-Dry-Run": "true"},
    "body": json.dumps(
        {"customer_id": "smoke-test", "items": [{"sku": "TEA-GREEN-100", "quantity": 1}]}
    ),
    "requestContext": {"stage": "smoke-test", "requestId": "smoke-test"},
}
CONTAINER_HEALTH_CHECK = [
    "CMD",
    "python3",
    "-c",
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=3)",
]
