"""DecoupledWorker: topic -> encrypted queue + DLQ -> consumer, and the invariants it enforces."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    PlatformEnvironment,
    WorkerContainer,
)
from tests.cdk_support import make_app, normalize, synth_compliant

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = "public.ecr.aws/docker/library/python:3.13-slim"


def with_platform(profile="dev"):
    app = make_app(profile=profile)
    PlatformEnvironment(cdk.Stack(app, "Platform"), "Platform", team="t", application="a")
    return app, cdk.Stack(app, "Service")


def worker(stack, construct_id="Worker", **kwargs):
    if not {"consumer", "code", "container"} & kwargs.keys():
        kwargs.update(code=CODE, handler="index.handler")
    return DecoupledWorker(stack, construct_id, **kwargs)


@pytest.fixture(scope="module")
def fanout():
    app, stack = with_platform()
    first = worker(
        stack,
        "Fulfilment",
        filter_policy={
            "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderPlaced"])
        },
        raw_message_delivery=True,
        timeout=cdk.Duration.seconds(20),
    )
    second = worker(
        stack,
        "Audit",
        topic=first.topic,
        filter_policy={
            "event_type": sns.SubscriptionFilter.string_filter(allowlist=["OrderCancelled"])
        },
    )
    return app, stack, Template.from_stack(stack), first, second


@pytest.fixture(scope="module")
def standalone():
    stack = cdk.Stack(make_app(), "Standalone")
    created = worker(stack)
    return Template.from_stack(stack), created


def test_topic_and_queues_use_the_platform_key(fanout):
    _, _, template, first, _ = fanout
    template.resource_count_is("AWS::KMS::Key", 0)
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})
    queues = template.find_resources("AWS::SQS::Queue")
    assert len(queues) == 4
    for queue in queues.values():
        assert "KmsMasterKeyId" in queue["Properties"]


def test_standalone_worker_has_its_own_rotating_key_that_sns_may_use(standalone):
    template, created = standalone
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
    assert created.key is not None


def test_subscriptions_carry_filter_policies_and_raw_delivery(fanout):
    _, _, template, _, _ = fanout
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
    _, _, template, _, _ = fanout
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
                                    "ArnEquals": {"aws:SourceArn": {"Ref": Match.any_value()}}
                                },
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_topic_is_https_only(fanout):
    _, _, template, _, _ = fanout
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
    _, stack, template, first, _ = fanout
    dlq_id = stack.resolve(stack.get_logical_id(first.dead_letter_queue.node.default_child))
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
    _, stack, template, first, second = fanout
    queues = template.find_resources("AWS::SQS::Queue")
    first_id = stack.resolve(stack.get_logical_id(first.queue.node.default_child))
    second_id = stack.resolve(stack.get_logical_id(second.queue.node.default_child))
    assert queues[first_id]["Properties"]["VisibilityTimeout"] == 120
    assert queues[second_id]["Properties"]["VisibilityTimeout"] == 180


def test_event_source_reports_batch_item_failures(fanout):
    _, _, template, _, _ = fanout
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"BatchSize": 10, "FunctionResponseTypes": ["ReportBatchItemFailures"]},
    )


def test_batching_options_pass_through():
    app, stack = with_platform()
    worker(stack, batch_size=100, max_batching_window=cdk.Duration.seconds(20), max_concurrency=5)
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 100,
            "MaximumBatchingWindowInSeconds": 20,
            "ScalingConfig": {"MaximumConcurrency": 5},
        },
    )


def test_alarms(fanout):
    _, _, template, first, _ = fanout
    assert len(first.alarms) == 3
    for metric, threshold in (
        ("ApproximateNumberOfMessagesVisible", 1),
        ("ApproximateAgeOfOldestMessage", 300),
        ("Errors", 1),
    ):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm",
            {"MetricName": metric, "Threshold": threshold, "AlarmActions": [Match.any_value()]},
        )


def test_canary_function_consumer_subscribes_its_alias():
    app, stack = with_platform()
    canary = CanaryFunction(
        stack, "Canary", code=CODE, handler="index.handler", timeout=cdk.Duration.seconds(40)
    )
    created = worker(stack, consumer=canary)
    assert created.consumer is canary.alias
    template = Template.from_stack(stack)
    (mapping,) = template.find_resources("AWS::Lambda::EventSourceMapping").values()
    function_name = json.dumps(mapping["Properties"]["FunctionName"])
    alias_id = stack.resolve(stack.get_logical_id(canary.alias.node.default_child))
    assert alias_id in function_name
    assert ":live" in function_name
    template.has_resource_properties("AWS::SQS::Queue", {"VisibilityTimeout": 240})


def test_grant_publish_includes_the_key():
    app, stack = with_platform()
    first = worker(stack)
    role = cdk.aws_iam.Role(
        stack, "Publisher", assumed_by=cdk.aws_iam.ServicePrincipal("lambda.amazonaws.com")
    )
    first.grant_publish(role)
    statements = Template.from_stack(stack).find_resources("AWS::IAM::Policy")
    actions = [
        s["Action"]
        for p in statements.values()
        if "Publisher" in str(p["Properties"]["Roles"])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert "sns:Publish" in actions
    assert ["kms:Decrypt", "kms:GenerateDataKey"] in actions


def test_container_consumer_scales_on_queue_depth():
    app, stack = with_platform()
    created = worker(
        stack,
        container=WorkerContainer(image=ecs.ContainerImage.from_registry(IMAGE), max_capacity=6),
    )
    assert created.consumer is None
    assert created.processor is not None
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"},
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "ReadonlyRootFilesystem": True,
                        "Environment": [{"Name": "QUEUE_URL", "Value": Match.any_value()}],
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


def test_fifo_topic_gets_a_fifo_queue():
    app, stack = with_platform()
    topic = sns.Topic(stack, "Fifo", fifo=True, content_based_deduplication=True)
    worker(stack, topic=topic)
    Template.from_stack(stack).has_resource_properties("AWS::SQS::Queue", {"FifoQueue": True})


def bad(**kwargs):
    app, stack = with_platform()
    worker(stack, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"visibility_timeout": cdk.Duration.seconds(60)},
            r"invalid visibility_timeout='1 minute'; allowed: at least 6x .*\(180 seconds\)",
        ),
        ({"visibility_timeout": cdk.Duration.hours(13)}, r"at most 12 hours"),
        (
            {"batch_size": 50},
            r"invalid batch_size=50; allowed: at most 10 without max_batching_window",
        ),
        ({"batch_size": 0}, r"invalid batch_size=0"),
        ({"max_batching_window": cdk.Duration.minutes(6)}, r"invalid max_batching_window"),
        ({"max_concurrency": 1}, r"invalid max_concurrency=1; allowed: an integer from 2 to 1000"),
        (
            {"max_receive_count": 0},
            r"invalid max_receive_count=0; allowed: an integer from 1 to 1000",
        ),
        ({"max_receive_count": 1001}, r"invalid max_receive_count=1001"),
        ({"code": CODE, "handler": None}, r"invalid handler=None"),
        ({"age_alarm_threshold": cdk.Duration.seconds(10)}, r"invalid age_alarm_threshold"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bad(**kwargs)


def test_both_or_neither_consumer_and_code_rejected():
    app, stack = with_platform()
    function = lambda_.Function(
        stack, "Fn", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14
    )
    with pytest.raises(ValueError, match=r"exactly one of consumer"):
        DecoupledWorker(stack, "Both", consumer=function, code=CODE, handler="index.handler")
    with pytest.raises(
        ValueError, match=r"invalid consumer/code/container=None; allowed: exactly one"
    ):
        DecoupledWorker(stack, "Neither")


def test_fifo_topic_with_standard_queue_rejected():
    app, stack = with_platform()
    topic = sns.Topic(stack, "Fifo", fifo=True)
    with pytest.raises(ValueError, match=r"invalid fifo=False; .*FIFO topic needs a FIFO queue"):
        worker(stack, topic=topic, fifo=False)


def test_fifo_batch_size_limit():
    app, stack = with_platform()
    with pytest.raises(
        ValueError, match=r"invalid batch_size=20; allowed: an integer from 1 to 10"
    ):
        worker(stack, fifo=True, batch_size=20, max_batching_window=cdk.Duration.seconds(1))


def test_imported_consumer_needs_an_explicit_visibility_timeout():
    app, stack = with_platform()
    imported = lambda_.Function.from_function_arn(
        stack, "Imported", "arn:aws:lambda:us-east-1:111122223333:function:x"
    )
    with pytest.raises(ValueError, match=r"invalid visibility_timeout=None; .*imported function"):
        DecoupledWorker(stack, "W", consumer=imported)
    DecoupledWorker(stack, "Ok", consumer=imported, visibility_timeout=cdk.Duration.minutes(5))


def test_container_without_cluster_rejected():
    stack = cdk.Stack(make_app(), "Alone")
    with pytest.raises(ValueError, match=r"invalid cluster=None"):
        DecoupledWorker(
            stack, "W", container=WorkerContainer(image=ecs.ContainerImage.from_registry(IMAGE))
        )


def test_compliance_with_platform_all_consumer_kinds():
    app, stack = with_platform("prod")
    first = worker(stack, "Code")
    canary = CanaryFunction(stack, "Canary", code=CODE, handler="index.handler")
    worker(stack, "ViaCanary", consumer=canary, topic=first.topic)
    worker(
        stack, "Container", container=WorkerContainer(image=ecs.ContainerImage.from_registry(IMAGE))
    )
    synth_compliant(app)


def test_compliance_standalone():
    app = make_app()
    worker(cdk.Stack(app, "Alone"))
    synth_compliant(app)


def test_snapshot(fanout, snapshot_json):
    _, _, template, _, _ = fanout
    assert normalize(template.to_json()) == snapshot_json


def test_snapshot_standalone(standalone, snapshot_json):
    template, _ = standalone
    assert normalize(template.to_json()) == snapshot_json


def test_queue_and_function_overrides():
    app, stack = with_platform()
    worker(
        stack,
        queue_overrides={"delivery_delay": cdk.Duration.seconds(5)},
        function_overrides={"ephemeral_storage_size": cdk.Size.mebibytes(1024)},
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SQS::Queue", {"DelaySeconds": 5})
    template.has_resource_properties("AWS::Lambda::Function", {"EphemeralStorage": {"Size": 1024}})


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
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
def test_overriding_what_safety_owns_is_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bad(**kwargs)


def test_function_overrides_need_a_new_function():
    app, stack = with_platform()
    function = lambda_.Function(
        stack, "Fn", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14
    )
    with pytest.raises(ValueError, match=r"invalid function_overrides=.*allowed only with code"):
        DecoupledWorker(stack, "W", consumer=function, function_overrides={"description": "x"})
