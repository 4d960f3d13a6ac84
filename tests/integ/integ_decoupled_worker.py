"""DecoupledWorker deployed: SNS filter -> raw delivery to the queue -> consumer; poison -> DLQ.

The consumer is a function built by the worker (``code`` + ``handler``, the library's Lambda
defaults). It forwards every body it receives to a probe queue and fails the records whose
body starts with ``poison`` (a partial batch failure), so:

- a message matching the filter policy reaches the consumer with its body unchanged (raw
  delivery: no SNS envelope) and shows up on the probe queue;
- a message the filter rejects never reaches the queue, so never the probe queue;
- a poison message is received ``max_receive_count`` times and then lands in the DLQ, whose
  "DLQ not empty" alarm then goes to ALARM.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.integ_tests_alpha import ExpectedResult, IApiCall, Match
from support import app, integ_test, use_key

from modern_app_constructs import DecoupledWorker, WorkerConsumer

MAX_RECEIVE_COUNT = 2
CONSUMER = """
import os
import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    failures = []
    for record in event["Records"]:
        if record["body"].startswith("poison"):
            failures.append({"itemIdentifier": record["messageId"]})
        else:
            sqs.send_message(QueueUrl=os.environ["PROBE_QUEUE_URL"], MessageBody=record["body"])
    return {"batchItemFailures": failures}
"""
PLACED = {"event_type": {"DataType": "String", "StringValue": "OrderPlaced"}}
CANCELLED = {"event_type": {"DataType": "String", "StringValue": "OrderCancelled"}}

integ_app = app()
stack = cdk.Stack(integ_app, "IntegDecoupledWorker")
probe = sqs.Queue(stack, "Probe", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True)
worker = DecoupledWorker(
    stack,
    "Worker",
    consumer=WorkerConsumer.code(
        lambda_.Code.from_inline(CONSUMER),
        "index.handler",
        timeout=cdk.Duration.seconds(10),
        environment={"PROBE_QUEUE_URL": probe.queue_url},
    ),
    filter_policy={"event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderPlaced"])},
    raw_message_delivery=True,
    max_receive_count=MAX_RECEIVE_COUNT,
)
assert worker.consumer is not None
probe.grant_send_messages(worker.consumer)

integ = integ_test(integ_app, "DecoupledWorker", stack)


def publish(message: str, attributes: dict[str, object]) -> IApiCall:
    call = integ.assertions.aws_api_call(
        "SNS",
        "publish",
        {"TopicArn": worker.topic.topic_arn, "Message": message, "MessageAttributes": attributes},
    )
    use_key(call, worker.key)
    return call


rejected = publish("filtered-out: OrderCancelled", CANCELLED)
accepted = publish("accepted: OrderPlaced", PLACED)
poison = publish("poison: OrderPlaced", PLACED)

# The poison message: received MAX_RECEIVE_COUNT times (visibility timeout 60 s each), then
# moved to the DLQ with its body unchanged.
dead_letter = integ.assertions.aws_api_call(
    "SQS",
    "receiveMessage",
    {
        "QueueUrl": worker.dead_letter_queue.queue_url,
        "MaxNumberOfMessages": 10,
        "WaitTimeSeconds": 20,
        "MessageSystemAttributeNames": ["ApproximateReceiveCount", "DeadLetterQueueSourceArn"],
    },
)
dead_letter.expect(
    ExpectedResult.object_like(
        {
            "Messages": [
                Match.object_like(
                    {
                        "Body": "poison: OrderPlaced",
                        "Attributes": Match.object_like(
                            {"DeadLetterQueueSourceArn": worker.queue.queue_arn}
                        ),
                    }
                )
            ]
        }
    )
).wait_for_assertions(total_timeout=cdk.Duration.minutes(8), interval=cdk.Duration.seconds(20))
use_key(dead_letter, worker.key)

# By then the accepted message went through long ago, raw, and the rejected one never did:
# the probe queue holds exactly the accepted body.
delivered = integ.assertions.aws_api_call(
    "SQS",
    "receiveMessage",
    {"QueueUrl": probe.queue_url, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 20},
)
delivered.expect(
    ExpectedResult.object_like({"Messages": [Match.object_like({"Body": "accepted: OrderPlaced"})]})
)

# The DLQ alarm watches the right queue: it goes to ALARM once the poison message is there.
dlq_alarm = worker.alarms[0]
alarm_state = integ.assertions.aws_api_call(
    "CloudWatch", "describeAlarms", {"AlarmNames": [dlq_alarm.alarm_name]}
)
alarm_state.expect(
    ExpectedResult.object_like({"MetricAlarms": [Match.object_like({"StateValue": "ALARM"})]})
).wait_for_assertions(total_timeout=cdk.Duration.minutes(15), interval=cdk.Duration.seconds(60))

rejected.next(accepted).next(poison).next(dead_letter).next(delivered).next(alarm_state)

integ_app.synth()
