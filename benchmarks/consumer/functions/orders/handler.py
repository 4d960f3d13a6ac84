"""The orders handlers (what they do does not matter to the benchmark)."""

import json


def create_order(event, context):
    return {"statusCode": 201, "body": json.dumps({"ok": True})}


def bulk(event, context):
    return {"batchItemFailures": []}
