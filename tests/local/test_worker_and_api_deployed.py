"""DecoupledWorker and ApiFrontDoor, synthesized and deployed to the emulator, then exercised.

What is deployed is the library's own output: one stack with a worker (topic with a filter
policy and raw delivery, encrypted queue, DLQ, alarms, event source) and an API whose queue
route sends to that worker's queue (the sample's bulk-intake shape, with its request schema).

The emulator cannot run Lambda code (its only executor is Docker), so the worker's consumer is
an *imported* function: the test registers it through the Lambda API, where it stays in state
``Failed``. The event source mapping is real: it receives each message, the invocation fails,
the message comes back after the visibility timeout, and after ``max_receive_count`` receives
SQS moves it to the DLQ. So every message that reaches the queue ends up in the DLQ, where the
tests read it without disturbing the queue: that is the poison-message path, and it shows what
reached the queue (the filter policy) and in what form (raw delivery).
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from modern_app_constructs import (
    ApiFrontDoor,
    DecoupledWorker,
    Route,
    ServiceDashboard,
    WorkerConsumer,
)
from sample_app.contract import BULK_SCHEMA
from tests.cdk_support import make_app
from tests.local.emulator import ACCOUNT, REGION, DeployedStack, Emulator, wait_for

pytestmark = pytest.mark.emulator

CONSUMER_NAME = "orders-fulfilment-consumer"
MAX_RECEIVE_COUNT = 2
VISIBILITY_S = 2
#: how long a message may take from publish to the DLQ: a few receives plus polling
DELIVERY_TIMEOUT_S = 90
BULK_ORDER = {
    "orders": [{"customer_id": "c-1", "items": [{"sku": "TEA-GREEN-100", "quantity": 2}]}]
}


@dataclass(frozen=True)
class Ids:
    """Logical ids of what the tests look at, read from the constructs."""

    key: str
    topic: str
    queue: str
    dead_letter_queue: str
    subscription: str
    api: str
    stage: str
    access_logs: str
    alarms: tuple[str, ...]


def logical_id(construct: Any) -> str:
    """The logical id of a construct's CloudFormation resource."""
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    stack = cdk.Stack.of(resource)
    return str(stack.resolve(stack.get_logical_id(resource)))


def build_worker_api(app: cdk.App) -> tuple[cdk.Stack, Ids]:
    """The stack under test, built the way a service team would with the library."""
    stack = cdk.Stack(app, "LocalWorkerApi")
    consumer = lambda_.Function.from_function_name(stack, "Consumer", CONSUMER_NAME)
    cdk.Annotations.of(consumer).acknowledge_warning(
        "@aws-cdk/aws-lambda-event-sources:sqsFunctionImportWithoutRole",
        "The consumer is registered outside the stack for the emulator; it never runs.",
    )
    worker = DecoupledWorker(
        stack,
        "Fulfilment",
        consumer=WorkerConsumer.function(consumer),
        visibility_timeout=cdk.Duration.seconds(VISIBILITY_S),
        max_receive_count=MAX_RECEIVE_COUNT,
        filter_policy={
            "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderPlaced"])
        },
        raw_message_delivery=True,
    )
    api = ApiFrontDoor(stack, "Api", api_name="orders-local")
    api.add_route("/orders/bulk", Route.queue(worker), request_schema=BULK_SCHEMA)
    ids = Ids(
        key=logical_id(worker.key),
        topic=logical_id(worker.topic),
        queue=logical_id(worker.queue),
        dead_letter_queue=logical_id(worker.dead_letter_queue),
        subscription=logical_id(worker.subscription),
        api=logical_id(api.api),
        stage=logical_id(api.stage),
        access_logs=logical_id(api.access_log_group),
        alarms=tuple(logical_id(alarm) for alarm in [*worker.alarms, *api.alarms]),
    )
    return stack, ids


def register_consumer(emulator: Emulator) -> None:
    """Register the imported consumer through the Lambda API (it can never run here)."""
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    raise RuntimeError\n")
    emulator.client("lambda").create_function(
        FunctionName=CONSUMER_NAME,
        Runtime="python3.13",
        Role=f"arn:aws:iam::{ACCOUNT}:role/consumer",
        Handler="index.handler",
        Code={"ZipFile": code.getvalue()},
    )


@dataclass(frozen=True)
class Deployed:
    """The deployed stack and the ids of what the tests look at."""

    stack: DeployedStack
    ids: Ids

    def id_of(self, logical: str) -> str:
        return self.stack.physical_id(logical)


@pytest.fixture(scope="module")
def consumer(emulator: Emulator) -> str:
    register_consumer(emulator)
    return CONSUMER_NAME


@pytest.fixture(scope="module")
def deployed(emulator: Emulator, consumer: str) -> Deployed:
    app = make_app()
    stack, ids = build_worker_api(app)
    template = app.synth().get_stack_by_name(stack.stack_name).template
    return Deployed(stack=emulator.deploy("local-worker-api", template), ids=ids)


def queue_attributes(emulator: Emulator, queue_url: str) -> dict[str, str]:
    response = emulator.client("sqs").get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["All"]
    )
    return dict(response["Attributes"])


def dead_letters(emulator: Emulator, queue_url: str) -> dict[str, dict[str, Any]]:
    """Every message in the DLQ right now, by message id, left in place (visibility 0)."""
    seen: dict[str, dict[str, Any]] = {}
    for _ in range(5):
        response = emulator.client("sqs").receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        for message in response.get("Messages", []):
            seen[message["MessageId"]] = message
    return seen


def wait_for_dead_letter(
    emulator: Emulator, queue_url: str, matches: Any, what: str
) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        found = [m for m in dead_letters(emulator, queue_url).values() if matches(m)]
        return found[0] if found else None

    return wait_for(what, probe, DELIVERY_TIMEOUT_S, interval_s=1)


def wait_for_drained(emulator: Emulator, queue_url: str) -> None:
    """Wait until every message of the worker's queue went on (to the DLQ): none left."""

    def drained() -> bool | None:
        attributes = queue_attributes(emulator, queue_url)
        counts = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible")
        return True if all(attributes[c] == "0" for c in counts) else None

    wait_for("the worker's queue to drain", drained, DELIVERY_TIMEOUT_S, interval_s=1)


# ------------------------------------------------------------------------------ deployed as is


def test_every_resource_is_deployed_for_real(deployed):
    assert deployed.stack.status == "CREATE_COMPLETE"
    assert deployed.stack.problems() == []
    assert len(deployed.stack.resources) == len(deployed.stack.template["Resources"])


def test_topic_and_both_queues_are_encrypted_with_the_workers_rotating_key(emulator, deployed):
    ids = deployed.ids
    kms = emulator.client("kms")
    key = kms.describe_key(KeyId=deployed.id_of(ids.key))["KeyMetadata"]
    assert key["KeyManager"] == "CUSTOMER"
    assert key["KeyState"] == "Enabled"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is True
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    sns_statement = next(
        s for s in policy["Statement"] if s.get("Sid") == "AllowSnsDeliveryToEncryptedQueues"
    )
    assert sns_statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert sns_statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}

    topic = emulator.client("sns").get_topic_attributes(TopicArn=deployed.id_of(ids.topic))
    assert topic["Attributes"]["KmsMasterKeyId"] in (key["Arn"], key["KeyId"])
    for queue in (ids.queue, ids.dead_letter_queue):
        attributes = queue_attributes(emulator, deployed.id_of(queue))
        assert attributes["KmsMasterKeyId"] in (key["Arn"], key["KeyId"])
        assert attributes["KmsDataKeyReusePeriodSeconds"] == "3600"


def test_queue_dlq_and_subscription_attributes_as_deployed(emulator, deployed):
    ids = deployed.ids
    queue = queue_attributes(emulator, deployed.id_of(ids.queue))
    dlq = queue_attributes(emulator, deployed.id_of(ids.dead_letter_queue))
    assert json.loads(queue["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq["QueueArn"],
        "maxReceiveCount": MAX_RECEIVE_COUNT,
    }
    assert queue["VisibilityTimeout"] == str(VISIBILITY_S)
    assert queue["MessageRetentionPeriod"] == str(4 * 24 * 3600)
    assert dlq["MessageRetentionPeriod"] == str(14 * 24 * 3600)
    assert json.loads(dlq["RedriveAllowPolicy"]) == {"redrivePermission": "allowAll"}

    statements = {s.get("Sid"): s for s in json.loads(queue["Policy"])["Statement"]}
    topic_arn = deployed.id_of(ids.topic)
    assert statements["AllowTopicDelivery"]["Condition"] == {
        "ArnEquals": {"aws:SourceArn": topic_arn}
    }
    assert statements["AllowTopicDelivery"]["Action"] == "sqs:SendMessage"
    assert statements["QueueOwnerOnlyAccess"]["Principal"] == {
        "AWS": f"arn:aws:iam::{ACCOUNT}:root"
    }
    https_only = [s for s in statements.values() if s["Effect"] == "Deny"]
    assert https_only[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    subscription = emulator.client("sns").get_subscription_attributes(
        SubscriptionArn=deployed.id_of(ids.subscription)
    )["Attributes"]
    assert subscription["TopicArn"] == topic_arn
    assert subscription["Protocol"] == "sqs"
    assert subscription["Endpoint"] == queue["QueueArn"]
    assert subscription["RawMessageDelivery"] == "true"
    assert json.loads(subscription["FilterPolicy"]) == {"event_type": ["OrderPlaced"]}

    event_source = emulator.client("lambda").list_event_source_mappings(
        EventSourceArn=queue["QueueArn"]
    )["EventSourceMappings"]
    assert [m["FunctionArn"].rsplit(":", 1)[-1] for m in event_source] == [CONSUMER_NAME]
    assert event_source[0]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event_source[0]["BatchSize"] == 10


def test_alarms_watch_the_deployed_queues_and_api(emulator, deployed):
    ids = deployed.ids
    names = [deployed.id_of(alarm) for alarm in ids.alarms]
    alarms = {
        alarm["AlarmName"]: alarm
        for alarm in emulator.client("cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    }
    assert sorted(alarms) == sorted(names)
    by_metric = {alarm["MetricName"]: alarm for alarm in alarms.values()}
    dlq_name = deployed.id_of(ids.dead_letter_queue).rsplit("/", 1)[-1]
    queue_name = deployed.id_of(ids.queue).rsplit("/", 1)[-1]
    dlq_alarm = by_metric["ApproximateNumberOfMessagesVisible"]
    assert dlq_alarm["Dimensions"] == [{"Name": "QueueName", "Value": dlq_name}]
    assert (dlq_alarm["Threshold"], dlq_alarm["ComparisonOperator"]) == (
        1,
        "GreaterThanOrEqualToThreshold",
    )
    age_alarm = by_metric["ApproximateAgeOfOldestMessage"]
    assert age_alarm["Dimensions"] == [{"Name": "QueueName", "Value": queue_name}]
    assert (age_alarm["Threshold"], age_alarm["EvaluationPeriods"]) == (300, 3)
    errors_alarm = by_metric["Errors"]
    assert errors_alarm["Dimensions"] == [{"Name": "FunctionName", "Value": CONSUMER_NAME}]
    api_alarms = [by_metric["5XXError"], by_metric["Latency"]]
    assert all(
        a["Dimensions"] == [{"Name": "ApiName", "Value": "orders-local"}] for a in api_alarms
    )
    assert by_metric["Latency"]["ExtendedStatistic"] == "p99"
    assert all(alarm["ActionsEnabled"] for alarm in alarms.values())


def test_stage_logs_and_traces_and_every_method_needs_iam(emulator, deployed):
    # The emulator's stage resource drops MethodSettings (execution logging level,
    # throttling): those are checked by the template tests and on a real account only.
    ids = deployed.ids
    apigateway = emulator.client("apigateway")
    api_id = deployed.id_of(ids.api)
    stage = apigateway.get_stage(restApiId=api_id, stageName="v1")
    assert stage["tracingEnabled"] is True
    log_group = deployed.id_of(ids.access_logs)
    assert stage["accessLogSettings"]["destinationArn"].endswith(f":log-group:{log_group}")
    assert json.loads(stage["accessLogSettings"]["format"])["status"] == "$context.status"
    resources = apigateway.get_resources(restApiId=api_id)["items"]
    methods = [
        apigateway.get_method(restApiId=api_id, resourceId=r["id"], httpMethod=m)
        for r in resources
        for m in r.get("resourceMethods", {})
    ]
    assert [m["httpMethod"] for m in methods] == ["POST"]
    assert all(m["authorizationType"] == "AWS_IAM" for m in methods)
    integration = methods[0]["methodIntegration"]
    assert integration["type"] == "AWS"
    assert integration["uri"].endswith(
        f":sqs:path/{ACCOUNT}/" + deployed.id_of(ids.queue).rsplit("/", 1)[-1]
    )
    assert methods[0]["requestValidatorId"]


# ------------------------------------------------------------------------------- exercised


def test_filter_policy_lets_only_matching_messages_through_raw_and_redrive_moves_them_to_the_dlq(
    emulator, deployed
):
    ids = deployed.ids
    run = uuid.uuid4().hex[:8]
    topic_arn = deployed.id_of(ids.topic)
    queue_url = deployed.id_of(ids.queue)
    dlq_url = deployed.id_of(ids.dead_letter_queue)
    sns_client = emulator.client("sns")
    rejected = json.dumps({"order_id": f"rejected-{run}"})
    accepted = json.dumps({"order_id": f"accepted-{run}"})
    sns_client.publish(
        TopicArn=topic_arn,
        Message=rejected,
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": "OrderCancelled"}},
    )
    sns_client.publish(
        TopicArn=topic_arn,
        Message=accepted,
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": "OrderPlaced"}},
    )

    message = wait_for_dead_letter(
        emulator, dlq_url, lambda m: m["Body"] == accepted, "the accepted message in the DLQ"
    )
    # raw delivery: the body is the published message itself, attributes stay attributes
    assert message["Body"] == accepted
    assert message["MessageAttributes"]["event_type"]["StringValue"] == "OrderPlaced"
    # it came through the worker's queue and was received more than max_receive_count times
    source_arn = queue_attributes(emulator, queue_url)["QueueArn"]
    assert message["Attributes"]["DeadLetterQueueSourceArn"] == source_arn
    assert int(message["Attributes"]["ApproximateReceiveCount"]) > MAX_RECEIVE_COUNT

    wait_for_drained(emulator, queue_url)
    bodies = [m["Body"] for m in dead_letters(emulator, dlq_url).values()]
    assert rejected not in bodies
    assert accepted in bodies


def signed_post(emulator: Emulator, url: str, body: str) -> tuple[int, str]:
    """POST ``body`` signed with SigV4 as an IAM caller would (the emulator does not check it)."""
    request = AWSRequest(
        method="POST", url=url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    SigV4Auth(Credentials("test", "test"), "execute-api", REGION).add_auth(request)
    prepared = urllib.request.Request(
        url, data=body.encode(), method="POST", headers=dict(request.headers)
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_queue_route_answers_202_with_the_message_id_and_the_body_reaches_the_queue(
    emulator, deployed
):
    ids = deployed.ids
    url = f"{emulator.endpoint}/restapis/{deployed.id_of(ids.api)}/v1/_user_request_/orders/bulk"
    body = json.dumps({**BULK_ORDER, "batch": uuid.uuid4().hex})

    status, text = signed_post(emulator, url, body)

    assert status == 202, text
    answer = json.loads(text)
    assert list(answer) == ["message_id"]
    assert uuid.UUID(answer["message_id"])
    # the id the route answered is the id SQS gave the message (the response mapping reads
    # SendMessageResponse.SendMessageResult.MessageId), and the body arrived unchanged
    message = wait_for_dead_letter(
        emulator,
        deployed.id_of(ids.dead_letter_queue),
        lambda m: m["MessageId"] == answer["message_id"],
        "the message the API queued",
    )
    assert message["Body"] == body
    source_arn = queue_attributes(emulator, deployed.id_of(ids.queue))["QueueArn"]
    assert message["Attributes"]["DeadLetterQueueSourceArn"] == source_arn


def test_queue_route_rejects_a_body_that_fails_the_schema_before_it_reaches_the_queue(
    emulator, deployed
):
    ids = deployed.ids
    url = f"{emulator.endpoint}/restapis/{deployed.id_of(ids.api)}/v1/_user_request_/orders/bulk"
    invalid = json.dumps({"orders": [], "batch": uuid.uuid4().hex})  # orders: minItems 1

    status, text = signed_post(emulator, url, invalid)

    assert status == 400, text
    assert json.loads(text) == {"message": "Invalid request body"}
    wait_for_drained(emulator, deployed.id_of(ids.queue))
    bodies = [
        m["Body"] for m in dead_letters(emulator, deployed.id_of(ids.dead_letter_queue)).values()
    ]
    assert invalid not in bodies


# ------------------------------------------------------------------------ what the gate catches


def test_a_dashboard_is_only_pretended_and_the_resource_check_says_so(emulator, consumer):
    """The emulator reports CREATE_COMPLETE for a stack whose dashboard it never created."""
    app = make_app()
    stack = cdk.Stack(app, "LocalDashboard")
    worker = DecoupledWorker(
        stack,
        "Worker",
        consumer=WorkerConsumer.function(
            lambda_.Function.from_function_name(stack, "Consumer", consumer)
        ),
        visibility_timeout=cdk.Duration.seconds(30),
    )
    ServiceDashboard(stack, "Dashboard", service_name="local").add(worker)
    dashboard_id = logical_id(stack.node.find_child("Dashboard").node.find_child("Dashboard"))
    template = app.synth().get_stack_by_name(stack.stack_name).template

    result = emulator.deploy("local-dashboard", template)

    assert result.status == "CREATE_COMPLETE"
    problems = result.problems()
    assert len(problems) == 1
    assert problems[0].startswith(f"{dashboard_id} (AWS::CloudWatch::Dashboard)")
    assert "fallback" in problems[0]
