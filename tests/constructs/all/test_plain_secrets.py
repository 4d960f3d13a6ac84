"""No secrets in plain configuration: secret-like names are refused; NotASecret lifts it."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    InvalidPropError,
    NotASecret,
    WorkerConsumer,
    _fargate,
)
from modern_app_constructs._environment import secret_like
from modern_app_constructs.testing import app_for_tests

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
ENV = cdk.Environment(region="eu-west-1")


@pytest.fixture
def stack():
    return cdk.Stack(app_for_tests(), "Service", env=ENV)


@pytest.mark.parametrize(
    "name",
    [
        "DB_PASSWORD",
        "password",
        "dbPassword",
        "DB_PASS",
        "CLIENT_SECRET",
        "client-secret",
        "SECRET",
        "GITHUB_TOKEN",
        "authToken",
        "API_KEY",
        "apiKey",
        "STRIPE_APIKEY",
        "PRIVATE_KEY",
        "JWT_PRIVATE_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "DB_CREDENTIAL",
        "app.secrets",
        "SIGNING_KEY",
        "TOKEN_URL",
    ],
)
def test_secret_like_names(name):
    assert secret_like(name)


@pytest.mark.parametrize(
    "name",
    [
        "ORDERS_TOPIC_ARN",
        "LOG_LEVEL",
        "TOKENIZER_MODEL",
        "PASSAGE_COUNT",
        "SECRETARY_EMAIL",
        "KEY_PREFIX",
        "CACHE_KEY",
        "DB_PASSWORD_SECRET_ARN",
        "API_KEY_SECRET_NAME",
        "DB_PASSWORD_PARAMETER",
        "QUEUE_URL",
        "",
    ],
)
def test_names_that_are_not_secret_like(name):
    assert not secret_like(name)


def _canary(stack, environment):
    return CanaryFunction(
        stack, "Orders", code=CODE, handler="index.handler", environment=environment
    )


def _worker_code(stack, environment):
    return DecoupledWorker(
        stack, "Jobs", consumer=WorkerConsumer.code(CODE, "index.handler", environment=environment)
    )


def _fargate_service(stack, environment):
    return FargateService(stack, "Catalog", image=IMAGE, environment=environment)


def _worker_container(stack, environment):
    return DecoupledWorker(
        stack,
        "Jobs",
        consumer=WorkerConsumer.container(
            IMAGE, environment=environment, cluster=ecs.Cluster(stack, "Cluster")
        ),
    )


BUILDERS = {
    "CanaryFunction": (_canary, "environment", "a reference"),
    "WorkerConsumer.code": (_worker_code, "consumer.environment", "a reference"),
    "FargateService": (_fargate_service, "environment", "secrets="),
    "WorkerConsumer.container": (_worker_container, "consumer.environment", "consumer.secrets="),
}
OWNERS = {
    "CanaryFunction": "CanaryFunction 'Orders'",
    "WorkerConsumer.code": "DecoupledWorker 'Jobs'",
    "FargateService": "FargateService 'Catalog'",
    "WorkerConsumer.container": "DecoupledWorker 'Jobs'",
}


@pytest.mark.parametrize("kind", BUILDERS)
def test_a_secret_like_name_is_refused(stack, kind):
    build, prop, instead = BUILDERS[kind]
    with pytest.raises(InvalidPropError) as caught:
        build(stack, {"LOG_LEVEL": "info", "DB_PASSWORD": "hunter2"})
    error = caught.value
    assert error.owner == OWNERS[kind]
    assert error.prop == prop
    assert error.value == "DB_PASSWORD"
    assert instead in error.allowed
    assert "NotASecret" in error.allowed
    assert "hunter2" not in str(error)  # the value itself is never echoed


@pytest.mark.parametrize("kind", BUILDERS)
def test_not_a_secret_acknowledges_a_false_positive(stack, kind):
    build, _, _ = BUILDERS[kind]
    build(stack, {"TOKEN_URL": NotASecret("https://auth.example.com/token")})
    resources = Template.from_stack(stack).to_json()["Resources"]
    rendered = str(resources)
    assert "'TOKEN_URL': 'https://auth.example.com/token'" in rendered or (
        "'Name': 'TOKEN_URL', 'Value': 'https://auth.example.com/token'" in rendered
    )


def test_not_a_secret_reaches_the_function_as_a_plain_string(stack):
    _canary(stack, {"TOKEN_URL": NotASecret("https://auth.example.com/token")})
    Template.from_stack(stack).has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like({"TOKEN_URL": "https://auth.example.com/token"})
            }
        },
    )


def test_a_worker_container_takes_secrets(stack):
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "Db", "jobs/db")
    DecoupledWorker(
        stack,
        "Jobs",
        consumer=WorkerConsumer.container(
            IMAGE,
            secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")},
            cluster=ecs.Cluster(stack, "Cluster"),
        ),
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like({"Secrets": [Match.object_like({"Name": "DB_PASSWORD"})]})
            ]
        },
    )


@pytest.fixture
def acknowledgments(monkeypatch):
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(
        _fargate, "acknowledge", lambda construct, rule, reason, **_: seen.append((rule, reason))
    )
    return seen


def _task(stack, environment):
    log_group = logs.LogGroup(stack, "Logs")
    spec = _fargate.ContainerSpec(
        image=IMAGE, cpu=256, memory_limit_mib=512, stream_prefix="app", environment=environment
    )
    return _fargate.build_task(stack, "Task", "App", spec, log_group)


def test_ecs2_is_acknowledged_only_where_no_name_looks_secret(stack, acknowledgments):
    _task(stack, {"LOG_LEVEL": "info"})
    ((rule, reason),) = acknowledgments
    assert rule == "AwsSolutions-ECS2"
    assert "Checked at synth" in reason


def test_ecs2_is_not_acknowledged_for_a_secret_like_name(stack, acknowledgments):
    # the builder's own guard: the constructs refuse such a name before they get here
    _task(stack, {"DB_PASSWORD": "hunter2"})
    assert acknowledgments == []


def test_ecs2_reason_names_what_was_acknowledged_as_not_secret(stack, acknowledgments):
    _task(stack, {"TOKEN_URL": NotASecret("https://auth.example.com/token")})
    ((_, reason),) = acknowledgments
    assert "acknowledged by the author as not secret: TOKEN_URL" in reason


def test_no_environment_needs_no_acknowledgment(stack, acknowledgments):
    _task(stack, {})
    assert acknowledgments == []
