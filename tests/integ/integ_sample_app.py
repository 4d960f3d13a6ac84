"""The sample app's platform and service stacks deployed together, and its routes exercised.

- ``POST /orders`` through the create-order CanaryFunction's alias -> 201 with an order id;
- ``POST /orders/bulk`` straight to the bulk-intake worker's queue -> 202 with a message id;
- ``GET /catalog/items`` through the VPC link to the catalog service -> 200;
- an unsigned request is refused (IAM auth on every method) -> 403.

It needs Docker (the catalog image) and replaces the region's API Gateway logging role setting
with the sample platform's own, as deploying the sample does (see docs/operations.md,
"Verifying a deployment").
"""

from __future__ import annotations

import json

from aws_cdk.integ_tests_alpha import ExpectedResult, Match
from support import app, integ_test, invoke_method, region, status_is

from sample_app.app import build_laptop_stacks

ORDER = {"customer_id": "integ-sample", "items": [{"sku": "TEA-GREEN-100", "quantity": 1}]}

integ_app = app()
integ_app.node.set_context("region", region(integ_app))
# the stacks a developer deploys from a laptop; the pipeline is left out (it needs a
# CodeConnections connection and two accounts)
platform_stack, service_stack = build_laptop_stacks(integ_app)
api = service_stack.api
integ = integ_test(integ_app, "SampleApp", platform_stack, service_stack)


def resource(*path: str):  # type: ignore[no-untyped-def]
    node = api.api.root
    for part in path:
        child = node.get_resource(part)
        assert child is not None, path
        node = child
    return node


create = status_is(
    invoke_method(integ, api.api, resource("orders"), "POST", "/orders", ORDER),
    201,
    {"order_id": Match.string_like_regexp(".+")},
)
bulk = status_is(
    invoke_method(
        integ, api.api, resource("orders", "bulk"), "POST", "/orders/bulk", {"orders": [ORDER]}
    ),
    202,
    {"message_id": Match.string_like_regexp(".+")},
)
items = status_is(
    invoke_method(integ, api.api, resource("catalog", "{proxy+}"), "GET", "/catalog/items"),
    200,
)
unsigned = integ.assertions.http_api_call(
    f"{api.url}orders",
    method="POST",
    body=json.dumps(ORDER),
    headers={"Content-Type": "application/json"},
)
unsigned.expect(ExpectedResult.object_like({"status": 403}))
create.next(bulk).next(items).next(unsigned)

integ_app.synth()
