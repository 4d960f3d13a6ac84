"""DecoupledWorker: topic -> encrypted queue + DLQ -> consumer, and the invariants it enforces."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    InvalidPropError,
    InvalidPropTypeError,
    WorkerConsumer,
)
from modern_app_constructs.testing import app_for_tests, assert_compliant
from tests.cdk_support import (
    ServiceApp,
    actions,
    get_att,
    logical_id,
    ref,
    role_statements,
    scenarios,
    service_app,
)

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = "public.ecr.aws/docker/library/python:3.13-slim"


def worker(stack, construct_id="Worker", **kwargs):
    kwargs.setdefault("consumer", WorkerConsumer.code(CODE, "index.handler"))
    return DecoupledWorker(stack, construct_id, **kwargs)


@dataclass(frozen=True)
class Fanout:
    """Two workers on one topic (the first creates it), synthesized once behind the gates."""

    built: ServiceApp
    template: Template
    first: DecoupledWorker
    second: DecoupledWorker


@pytest.fixture(scope="module")
def fanout() -> Fanout:
    built = service_app(cfn_lint=True)
    stack = built.stack
    first = worker(
        stack,
        "Fulfilment",
        filter_policy={
            "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderPlaced"])
        },
        raw_message_delivery=True,
        consumer=WorkerConsumer.code(CODE, "index.handler", timeout=cdk.Duration.seconds(20)),
    )
    second = worker(
        stack,
        "Audit",
        topic=first.topic,
        filter_policy={
            "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderCancelled"])
        },
    )
    templates = built.gate()
    return Fanout(built, Template.from_json(templates["Service"]), first, second)


@dataclass(frozen=True)
class Standalone:
    """A worker without a platform, synthesized once behind the gates."""

    template: Template
    worker: DecoupledWorker


@pytest.fixture(scope="module")
def standalone() -> Standalone:
    app = app_for_tests(cfn_lint=True)
    created = worker(cdk.Stack(app, "Standalone"))
    return Standalone(Template.from_json(assert_compliant(app)["Standalone"]), created)


def _via_canary(stack):
    canary = CanaryFunction(
        stack, "Canary", code=CODE, handler="index.handler", timeout=cdk.Duration.seconds(40)
    )
    return canary, worker(stack, consumer=WorkerConsumer.function(canary))


def _publisher(stack):
    created = worker(stack)
    role = cdk.aws_iam.Role(
        stack, "Publisher", assumed_by=cdk.aws_iam.ServicePrincipal("lambda.amazonaws.com")
    )
    created.grant_publish(role)
    return created, role


def _fifo(stack):
    topic = sns.Topic(stack, "Fifo", fifo=True, content_based_deduplication=True)
    return worker(stack, topic=topic)


@pytest.fixture(scope="module")
def variants():
    """Workers with one option each, beside one platform, synthesized once."""
    return scenarios(
        {
            "Batching": lambda stack: worker(
                stack,
                batch_size=100,
                max_batching_window=cdk.Duration.seconds(20),
                max_concurrency=5,
            ),
            "ViaCanary": _via_canary,
            "Publisher": _publisher,
            "Container": lambda stack: worker(
                stack,
                consumer=WorkerConsumer.container(
                    ecs.ContainerImage.from_registry(IMAGE), max_capacity=6
                ),
            ),
            "FifoTopic": _fifo,
            "Overrides": lambda stack: worker(
                stack,
                queue_overrides={"delivery_delay": cdk.Duration.seconds(5)},
                consumer=WorkerConsumer.code(
                    CODE,
                    "index.handler",
                    function_overrides={"ephemeral_storage_size": cdk.Size.mebibytes(1024)},
                ),
            ),
        }
    )


def test_topic_and_queues_use_the_platform_key(fanout):
    template = fanout.template
    template.resource_count_is("AWS::KMS::Key", 0)
    template.resource_count_is("AWS::SNS::Topic", 1)
    platform_key = fanout.built.key_arn_ref()
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": platform_key})
    queues = template.find_resources("AWS::SQS::Queue")
    assert len(queues) == 4
    for queue in queues.values():
        assert queue["Properties"]["KmsMasterKeyId"] == platform_key


def test_standalone_worker_has_its_own_rotating_key_that_sns_may_use(standalone):
    template = standalone.template
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Principal": {"Service": "sns.amazonaws.com"},
                                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            }
                        )
                    ]
                )
            },
        },
    )
    (key_id,) = template.find_resources("AWS::KMS::Key")
    assert logical_id(standalone.worker.key) == key_id
    for queue in template.find_resources("AWS::SQS::Queue").values():
        assert queue["Properties"]["KmsMasterKeyId"] == get_att(standalone.worker.key)


def test_subscriptions_carry_filter_policies_and_raw_delivery(fanout):
    template = fanout.template
    template.resource_count_is("AWS::SNS::Subscription", 2)
    template.has_resource_properties(
        "AWS::SNS::Subscription",
        {
            "Protocol": "sqs",
            "RawMessageDelivery": True,
            "FilterPolicy": {"event_type": ["OrderPlaced"]},
        },
    )
    template.has_resource_properties(
        "AWS::SNS::Subscription", {"FilterPolicy": {"event_type": ["OrderCancelled"]}}
    )


def test_queue_policy_allows_only_the_topic_and_https(fanout):
    template = fanout.template
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ),
                        Match.object_like({"Sid": "QueueOwnerOnlyAccess"}),
                        Match.object_like(
                            {
                                "Sid": "AllowTopicDelivery",
                                "Principal": {"Service": "sns.amazonaws.com"},
                                "Action": "sqs:SendMessage",
                                "Condition": {
                                    "ArnEquals": {"aws:SourceArn": ref(fanout.first.topic)}
                                },
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_topic_is_https_only(fanout):
    template = fanout.template
    template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_redrive_and_redrive_allow_policies(fanout):
    template = fanout.template
    dlq_id = logical_id(fanout.first.dead_letter_queue)
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "RedrivePolicy": {
                "deadLetterTargetArn": {"Fn::GetAtt": [dlq_id, "Arn"]},
                "maxReceiveCount": 5,
            }
        },
    )
    dlq = template.find_resources("AWS::SQS::Queue")[dlq_id]["Properties"]
    assert dlq["MessageRetentionPeriod"] == 14 * 24 * 3600
    assert dlq["RedriveAllowPolicy"] == {"redrivePermission": "allowAll"}


def test_visibility_timeout_is_six_times_the_consumer_timeout(fanout):
    queues = fanout.template.find_resources("AWS::SQS::Queue")
    first_id, second_id = logical_id(fanout.first.queue), logical_id(fanout.second.queue)
    assert queues[first_id]["Properties"]["VisibilityTimeout"] == 120
    assert queues[second_id]["Properties"]["VisibilityTimeout"] == 180


def test_event_source_reports_batch_item_failures(fanout):
    fanout.template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    )


def test_batching_options_pass_through(variants):
    variants.templates["Batching"].has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 100,
            "MaximumBatchingWindowInSeconds": 20,
            "ScalingConfig": {"MaximumConcurrency": 5},
        },
    )


def test_alarms_notify_the_platform_topic(fanout):
    assert len(fanout.first.alarms) == 3
    topic = fanout.built.alarm_topic_ref()
    for metric, threshold in (
        ("ApproximateNumberOfMessagesVisible", 1),
        ("ApproximateAgeOfOldestMessage", 300),
        ("Errors", 1),
    ):
        fanout.template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"MetricName": metric, "Threshold": threshold, "AlarmActions": [topic]},
        )


def test_canary_function_consumer_subscribes_its_alias(variants):
    canary, created = variants["ViaCanary"]
    assert created.consumer is canary.alias
    template = variants.templates["ViaCanary"]
    (mapping,) = template.find_resources("AWS::Lambda::EventSourceMapping").values()
    function_name = json.dumps(mapping["Properties"]["FunctionName"])
    assert logical_id(canary.alias) in function_name
    assert ":live" in function_name
    template.has_resource_properties("AWS::SQS::Queue", {"VisibilityTimeout": 240})


def test_grant_publish_includes_the_key(variants):
    first, role = variants["Publisher"]
    statements = role_statements(variants.templates["Publisher"], role)
    assert [actions(s) for s in statements] == [
        ["sns:Publish"],
        ["kms:Decrypt", "kms:GenerateDataKey"],
    ]
    assert statements[0]["Resource"] == ref(first.topic)


def test_container_consumer_scales_on_queue_depth(variants):
    created = variants["Container"]
    assert created.consumer is None
    assert isinstance(created.processor, ecs.FargateService)
    template = variants.templates["Container"]
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "ReadonlyRootFilesystem": True,
                        "Environment": [{"Name": "QUEUE_URL", "Value": ref(created.queue)}],
                    }
                )
            ],
        },
    )
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": Match.object_like(
                {"DeploymentCircuitBreaker": {"Enable": True, "Rollback": True}}
            ),
            "NetworkConfiguration": {
                "AwsvpcConfiguration": Match.object_like({"AssignPublicIp": "DISABLED"})
            },
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 0, "MaxCapacity": 6}
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy", {"PolicyType": "StepScaling"}
    )
    template.resource_count_is("AWS::Lambda::EventSourceMapping", 0)


def test_fifo_topic_gets_a_fifo_queue(variants):
    variants.templates["FifoTopic"].has_resource_properties("AWS::SQS::Queue", {"FifoQueue": True})


def bad(**kwargs):
    # no platform: props are checked before anything reads it
    worker(service_app(platform=False).stack, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "prop", "value"),
    [
        ({"visibility_timeout": cdk.Duration.seconds(60)}, "visibility_timeout", "1 minute"),
        ({"visibility_timeout": cdk.Duration.hours(13)}, "visibility_timeout", "13 hours"),
        ({"batch_size": 50}, "batch_size", 50),
        ({"batch_size": 0}, "batch_size", 0),
        ({"max_batching_window": cdk.Duration.minutes(6)}, "max_batching_window", "6 minutes"),
        ({"max_concurrency": 1}, "max_concurrency", 1),
        ({"max_receive_count": 0}, "max_receive_count", 0),
        ({"max_receive_count": 1001}, "max_receive_count", 1001),
        (
            {"oldest_message_age_alarm_threshold": cdk.Duration.seconds(10)},
            "oldest_message_age_alarm_threshold",
            "10 seconds",
        ),
        ({"queue_overrides": {"enforce_ssl": False}}, "queue_overrides", {"enforce_ssl": False}),
    ],
)
def test_bad_input(kwargs, prop, value):
    with pytest.raises(InvalidPropError) as error:
        bad(**kwargs)
    assert (error.value.prop, error.value.value) == (prop, value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"visibility_timeout": cdk.Duration.seconds(60)},
            r"DecoupledWorker 'Worker': invalid visibility_timeout='1 minute'; allowed: at least "
            r"6x .*\(180 seconds\)",
        ),
        (
            {"queue_overrides": {"enforce_ssl": False}},
            r"invalid queue_overrides=.*\['enforce_ssl'\] \(enforce_ssl: HTTPS only\)",
        ),
        (
            {"queue_overrides": {"encryption": None, "nope": 1}},
            r"unknown keys \['nope'\].*\['encryption'\]",
        ),
    ],
)
def test_bad_input_messages(kwargs, match):
    with pytest.raises(InvalidPropError, match=match):
        bad(**kwargs)


def code(**settings):
    return WorkerConsumer.code(CODE, "index.handler", **settings)


def container(**settings):
    return WorkerConsumer.container(ecs.ContainerImage.from_registry(IMAGE), **settings)


@pytest.mark.parametrize(
    ("consumer", "prop", "value"),
    [
        (WorkerConsumer.code(CODE, ""), "consumer.handler", ""),
        (WorkerConsumer.code(CODE, "  "), "consumer.handler", "  "),
        (code(timeout=cdk.Duration.minutes(16)), "consumer.timeout", "16 minutes"),
        (code(timeout=cdk.Duration.millis(500)), "consumer.timeout", "500 millis"),
        (code(memory_size=64), "consumer.memory_size", 64),
        (code(memory_size=10241), "consumer.memory_size", 10241),
        (
            code(function_overrides={"tracing": None}),
            "consumer.function_overrides",
            {"tracing": None},
        ),
        (container(cpu=300), "consumer.cpu", 300),
        (container(cpu=256, memory_limit_mib=4096), "consumer.memory_limit_mib", 4096),
        (container(min_capacity=-1), "consumer.min_capacity", -1),
        (container(min_capacity=1001), "consumer.min_capacity", 1001),
        (container(max_capacity=0), "consumer.max_capacity", 0),
        (container(min_capacity=5, max_capacity=4), "consumer.max_capacity", 4),
    ],
)
def test_bad_consumer_settings(consumer, prop, value):
    with pytest.raises(
        InvalidPropError, match=r"DecoupledWorker 'Worker': invalid consumer\."
    ) as error:
        bad(consumer=consumer)
    assert (error.value.prop, error.value.value) == (prop, value)


def test_consumer_defaults():
    assert code().timeout.to_seconds() == 30
    assert (code().memory_size, code().in_vpc, code().service_name) == (256, False, None)
    made = container()
    assert (made.cpu, made.memory_limit_mib, made.min_capacity, made.max_capacity) == (
        256,
        512,
        0,
        4,
    )
    assert made.visibility_timeout.to_seconds() == 300
    assert made.cluster is None


def test_consumer_is_one_typed_value():
    stack = service_app(platform=False).stack
    with pytest.raises(InvalidPropTypeError) as error:
        DecoupledWorker(stack, "W", consumer=CODE)
    assert (error.value.owner, error.value.prop) == ("DecoupledWorker 'W'", "consumer")
    assert "FunctionConsumer or CodeConsumer or ContainerConsumer" in str(error.value)
    with pytest.raises(TypeError, match="consumer"):
        DecoupledWorker(stack, "Neither")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="code"):
        DecoupledWorker(stack, "Old", consumer=code(), code=CODE)  # type: ignore[call-arg]
    with pytest.raises(InvalidPropTypeError) as error:
        WorkerConsumer.function("arn:aws:lambda:eu-west-1:111122223333:function:f")
    assert (error.value.owner, error.value.prop) == ("FunctionConsumer", "function")
    with pytest.raises(TypeError, match="cluster"):
        WorkerConsumer.code(CODE, "index.handler", cluster=None)  # type: ignore[call-arg]


def test_fifo_topic_with_standard_queue_rejected():
    stack = service_app(platform=False).stack
    topic = sns.Topic(stack, "Fifo", fifo=True)
    with pytest.raises(InvalidPropError, match=r"FIFO topic needs a FIFO queue") as error:
        worker(stack, topic=topic, fifo=False)
    assert (error.value.prop, error.value.value) == ("fifo", False)


def test_fifo_batch_size_limit():
    stack = service_app(platform=False).stack
    with pytest.raises(InvalidPropError, match=r"allowed: an integer from 1 to 10") as error:
        worker(stack, fifo=True, batch_size=20, max_batching_window=cdk.Duration.seconds(1))
    assert (error.value.prop, error.value.value) == ("batch_size", 20)


def test_imported_consumer_needs_an_explicit_visibility_timeout():
    stack = service_app(platform=False).stack
    imported = lambda_.Function.from_function_arn(
        stack, "Imported", "arn:aws:lambda:us-east-1:111122223333:function:x"
    )
    with pytest.raises(InvalidPropError, match=r"imported function") as error:
        DecoupledWorker(stack, "W", consumer=WorkerConsumer.function(imported))
    assert (error.value.prop, error.value.value) == ("visibility_timeout", None)
    ok = DecoupledWorker(
        stack,
        "Ok",
        consumer=WorkerConsumer.function(imported),
        visibility_timeout=cdk.Duration.minutes(5),
    )
    assert ok.consumer is imported


def test_container_without_cluster_rejected():
    stack = cdk.Stack(app_for_tests(), "Alone")
    with pytest.raises(InvalidPropError) as error:
        DecoupledWorker(stack, "W", consumer=container())
    assert (error.value.prop, error.value.value) == ("consumer.cluster", None)


def test_container_runs_in_the_cluster_it_is_given():
    stack = cdk.Stack(app_for_tests(), "Alone")
    vpc = cdk.aws_ec2.Vpc(stack, "Vpc", max_azs=1)
    cluster = ecs.Cluster(stack, "Cluster", vpc=vpc)
    created = DecoupledWorker(stack, "W", consumer=container(cluster=cluster))
    assert created.processor is not None
    assert created.processor.cluster is cluster


def test_compliance_with_platform_all_consumer_kinds():
    built = service_app("prod", cfn_lint=True)
    first = worker(built.stack, "Code")
    canary = CanaryFunction(built.stack, "Canary", code=CODE, handler="index.handler")
    worker(built.stack, "ViaCanary", consumer=WorkerConsumer.function(canary), topic=first.topic)
    worker(built.stack, "Container", consumer=container())
    assert set(built.gate()) == {"Platform", "Service"}


def test_snapshot(fanout, template_snapshot):
    assert fanout.template == template_snapshot


def test_snapshot_standalone(standalone, template_snapshot):
    assert standalone.template == template_snapshot


def test_queue_and_function_overrides(variants):
    template = variants.templates["Overrides"]
    template.has_resource_properties("AWS::SQS::Queue", {"DelaySeconds": 5})
    template.has_resource_properties("AWS::Lambda::Function", {"EphemeralStorage": {"Size": 1024}})
