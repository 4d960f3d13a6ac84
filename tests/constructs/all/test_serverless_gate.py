"""The cdk-nag Serverless pack as a gate, beyond the sample: every construct scenario passes it.

The sample (``sample`` fixture) is gated with AwsSolutions + Serverless in both profiles; this
module builds the configurations the sample does not use, in one app and one synthesis, behind
the same gate, and proves the gate fails on a deliberate violation. Inapplicable rules are
acknowledged on the resource by the construct that owns it, with the reason.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    DeploymentStrategy,
    FargateService,
    Route,
    SmokeTest,
    WorkerConsumer,
)
from modern_app_constructs.testing import ComplianceError, app_for_tests, assert_compliant
from tests.cdk_support import ENV, GATED_PACKS, add_platform

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c"


def test_every_construct_scenario_passes_the_serverless_gate():
    app = app_for_tests(profile="prod", cfn_lint=True)
    platform = cdk.Stack.of(add_platform(app, ENV))
    stack = cdk.Stack(app, "Service", env=ENV)
    canary = CanaryFunction(
        stack,
        "Canary",
        code=CODE,
        handler="index.handler",
        smoke_test=SmokeTest({"ping": True}),
        in_vpc=True,
    )
    DecoupledWorker(stack, "AliasConsumer", consumer=WorkerConsumer.function(canary))
    DecoupledWorker(
        stack, "InVpc", consumer=WorkerConsumer.code(CODE, "index.handler", in_vpc=True)
    )
    DecoupledWorker(stack, "Container", consumer=WorkerConsumer.container(IMAGE))
    fifo = sns.Topic(stack, "Fifo", fifo=True, content_based_deduplication=True, enforce_ssl=True)
    DecoupledWorker(
        stack, "FifoWorker", consumer=WorkerConsumer.code(CODE, "index.handler"), topic=fifo
    )
    service = FargateService(
        stack,
        "Catalog",
        image=IMAGE,
        certificate=acm.Certificate.from_certificate_arn(stack, "Cert", CERT),
        domain_name="catalog.internal.example.com",
        deployment=DeploymentStrategy.blue_green(),
    )
    api = ApiFrontDoor(stack, "Api")
    api.add_route("/canary", Route.function(canary))
    api.add_route("/catalog", Route.service(service))
    # a stage of its own: a construct does not find the environment outside its stage, so
    # these are standalone (their own keys, alarms without actions)
    standalone = cdk.Stack(cdk.Stage(app, "Alone", env=ENV), "Standalone")
    CanaryFunction(standalone, "Canary", code=CODE, handler="index.handler")
    DecoupledWorker(standalone, "Worker", consumer=WorkerConsumer.code(CODE, "index.handler"))
    cdk.Annotations.of(standalone).acknowledge_warning(
        "modern-app-constructs:alarms-without-actions", "a gate scenario: nobody is paged"
    )
    # the platform's own tests and the sample lint its resources; cdk-nag checks it here too
    templates = assert_compliant(app, GATED_PACKS, skip_lint=[platform])
    assert {"Platform", "Service", "Alone-Standalone"} <= set(templates)
    alone = templates["Alone-Standalone"]
    assert "Fn::GetStackOutput" not in json.dumps(alone)  # nothing read from the platform
    (key,) = [r for r in alone["Resources"].values() if r["Type"] == "AWS::KMS::Key"]
    assert key["Properties"]["EnableKeyRotation"] is True  # the worker's own


def test_the_serverless_gate_fails_on_a_deliberate_violation():
    app = app_for_tests(cfn_lint=True)
    stack = cdk.Stack(app, "Violating", env=ENV)
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    sns.Subscription(
        stack, "Lost", topic=topic, endpoint=queue.queue_arn, protocol=sns.SubscriptionProtocol.SQS
    )
    with pytest.raises(ComplianceError) as raised:
        assert_compliant(app, GATED_PACKS)
    rules = {(finding.plugin, finding.rule) for finding in raised.value.findings}
    assert ("Serverless", "Serverless-SNSRedrivePolicy") in rules
    assert ("Serverless", "Serverless-SQSRedrivePolicy") in rules
