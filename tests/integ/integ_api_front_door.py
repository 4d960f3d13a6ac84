"""ApiFrontDoor deployed: the Lambda route answers through the canary alias, the queue route
puts the body on the queue and answers 202 with its message id, and IAM auth is enforced.

Routes are called with ``TestInvokeMethod`` (API Gateway runs validation, integration and
mappings, skipping only the IAM authorizer) and, to prove the authorizer is there, once
unsigned through the stage URL.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.integ_tests_alpha import ExpectedResult, Match
from support import app, integ_test, invoke_method, status_is, use_key

from modern_app_constructs import ApiFrontDoor, CanaryFunction, Route
from sample_app.contract import BULK_SCHEMA, ORDER_SCHEMA

HANDLER = """
import json


def handler(event, context):
    order = json.loads(event["body"])
    return {"statusCode": 200, "body": json.dumps({"customer_id": order["customer_id"]})}
"""
ORDER = {"customer_id": "integ-1", "items": [{"sku": "TEA-GREEN-100", "quantity": 1}]}
BULK = {"orders": [ORDER]}

integ_app = app()
stack = cdk.Stack(integ_app, "IntegApiFrontDoor")
create_order = CanaryFunction(
    stack,
    "CreateOrder",
    code=lambda_.Code.from_inline(HANDLER),
    handler="index.handler",
    timeout=cdk.Duration.seconds(10),
)
key = kms.Key(stack, "BulkKey", enable_key_rotation=True, removal_policy=cdk.RemovalPolicy.DESTROY)
bulk = sqs.Queue(
    stack,
    "Bulk",
    encryption=sqs.QueueEncryption.KMS,
    encryption_master_key=key,
    enforce_ssl=True,
    removal_policy=cdk.RemovalPolicy.DESTROY,
)
api = ApiFrontDoor(stack, "Api", api_name="integ-api-front-door")
api.add_route(
    "/orders", Route.function(create_order), methods=("POST",), request_schema=ORDER_SCHEMA
)
api.add_route("/orders/bulk", Route.queue(bulk), request_schema=BULK_SCHEMA)
orders = api.api.root.get_resource("orders")
assert orders is not None
orders_bulk = orders.get_resource("bulk")
assert orders_bulk is not None
integ = integ_test(integ_app, "ApiFrontDoor", stack)

lambda_route = status_is(
    invoke_method(integ, api.api, orders, "POST", "/orders", ORDER),
    200,
    {"customer_id": "integ-1"},
)
queue_route = status_is(
    invoke_method(integ, api.api, orders_bulk, "POST", "/orders/bulk", BULK),
    202,
    {"message_id": Match.string_like_regexp("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-")},
)
invalid = status_is(
    invoke_method(integ, api.api, orders_bulk, "POST", "/orders/bulk", {"orders": []}), 400
)
queued = integ.assertions.aws_api_call(
    "SQS",
    "receiveMessage",
    {"QueueUrl": bulk.queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 20},
)
queued.expect(
    ExpectedResult.object_like(
        {
            "Messages": [
                Match.object_like({"Body": json.dumps(BULK, sort_keys=True, separators=(",", ":"))})
            ]
        }
    )
)
use_key(queued, key)
unsigned = integ.assertions.http_api_call(
    f"{api.url}orders/bulk",
    method="POST",
    body=json.dumps(BULK),
    headers={"Content-Type": "application/json"},
)
unsigned.expect(ExpectedResult.object_like({"status": 403}))

lambda_route.next(queue_route).next(invalid).next(queued).next(unsigned)

integ_app.synth()
