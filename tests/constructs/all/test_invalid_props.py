"""Every bad input is a clear synth-time error: an InvalidPropError naming the construct, the
prop, the value and what is allowed, raised before anything reaches jsii or CloudFormation.

``INVALID`` is the list of invalid props across the constructs (one ``Case`` each). A value
that would once have reached the jsii kernel (NaN, infinity) must not break the process: a
later synthesis in the same process still works.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_ssm as ssm
from aws_cdk.assertions import Template

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    DeploymentStage,
    DeploymentStrategy,
    FargateService,
    InvalidPropError,
    PlatformEnvironment,
    Route,
    ServicePipeline,
    ServiceScaling,
    SmokeTest,
    UsagePlanOptions,
    WorkerConsumer,
    asset_code,
)
from modern_app_constructs._contract import parameter_path
from modern_app_constructs.testing import app_for_tests

INLINE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
#: A code directory the repository has: the library's own runtime (traffic hooks).
RUNTIME_DIR = Path(__file__).resolve().parents[3] / "modern_app_constructs" / "runtime"
ACCOUNT = "111111111111"
REGION = "eu-west-1"
ENV = cdk.Environment(account=ACCOUNT, region=REGION)
CONNECTION = f"arn:aws:codeconnections:{REGION}:{ACCOUNT}:connection/0f1e2d3c-4b5a-6978-8796"
AZ_CONTEXT = "modern-app-constructs:azCount"

FN = "CanaryFunction 'Fn'"
WORKER = "DecoupledWorker 'Worker'"
SERVICE = "FargateService 'Svc'"
API = "ApiFrontDoor 'Api'"
PIPELINE = "ServicePipeline 'Pipeline'"
PUBLISHED = "PlatformEnvironment.from_published 'P'"


@dataclass(frozen=True)
class Case:
    """One invalid input: what builds it, and what the error must say.

    Attributes:
        build: builds the construct(s) into the given stack.
        owner: the construct (class and id) the error names.
        prop: the prop it names.
        value: the value it echoes (``math.nan`` matches NaN).
        allowed: a phrase of what it says is allowed.
        context: context values for the app, like ``-c key=value``.
    """

    build: Callable[[cdk.Stack], object]
    owner: str
    prop: str
    value: Any
    allowed: str
    context: dict[str, Any] = field(default_factory=dict)


def canary(**props: Any) -> Callable[[cdk.Stack], object]:
    props.setdefault("code", INLINE)
    props.setdefault("handler", "index.handler")
    return lambda stack: CanaryFunction(stack, "Fn", **props)


def worker(**props: Any) -> Callable[[cdk.Stack], object]:
    def build(stack: cdk.Stack) -> object:
        props.setdefault("consumer", WorkerConsumer.code(INLINE, "index.handler"))
        return DecoupledWorker(stack, "Worker", **props)

    return build


def container_worker(**consumer: Any) -> Callable[[cdk.Stack], object]:
    def build(stack: cdk.Stack) -> object:
        cluster = ecs.Cluster(stack, "Cluster")
        consumer.setdefault("cluster", cluster)
        return DecoupledWorker(
            stack, "Worker", consumer=WorkerConsumer.container(IMAGE, **consumer)
        )

    return build


def code_worker(**consumer: Any) -> Callable[[cdk.Stack], object]:
    def build(stack: cdk.Stack) -> object:
        code = consumer.pop("code", INLINE)
        handler = consumer.pop("handler", "index.handler")
        return DecoupledWorker(
            stack, "Worker", consumer=WorkerConsumer.code(code, handler, **consumer)
        )

    return build


def service(**props: Any) -> Callable[[cdk.Stack], object]:
    props.setdefault("image", IMAGE)
    return lambda stack: FargateService(stack, "Svc", **props)


def api(**props: Any) -> Callable[[cdk.Stack], object]:
    return lambda stack: ApiFrontDoor(stack, "Api", **props)


def routes(*paths: str, methods: tuple[str, ...] | None = None) -> Callable[[cdk.Stack], object]:
    def build(stack: cdk.Stack) -> object:
        front_door = ApiFrontDoor(stack, "Api")
        function = lambda_.Function(
            stack,
            "Handler",
            code=INLINE,
            handler="index.handler",
            runtime=lambda_.Runtime.PYTHON_3_13,
        )
        for path in paths:
            front_door.add_route(path, Route.function(function), methods=methods)
        return front_door

    return build


def filters(count: int, values: int = 1) -> dict[str, sns.SubscriptionFilter]:
    return {
        f"attribute{i}": sns.SubscriptionFilter.string_filter(
            allowlist=[f"value{j}" for j in range(values)]
        )
        for i in range(count)
    }


def one_stack(stage: cdk.Stage, spec: DeploymentStage) -> None:
    stack = cdk.Stack(stage, "Service")
    ssm.StringParameter(stack, "Release", string_value=spec.name)


def attached_prod(stage: cdk.Stage, spec: DeploymentStage) -> None:
    stack = cdk.Stack(stage, "Service")
    PlatformEnvironment.from_published(stack, "Platform", name="shop-prod", profile="prod")
    ssm.StringParameter(stack, "Release", string_value=spec.name)


def pipeline(
    *stages: DeploymentStage, build_stage: Any = one_stack
) -> Callable[[cdk.Stack], object]:
    return lambda stack: ServicePipeline(
        stack,
        "Pipeline",
        connection_arn=CONNECTION,
        repository="acme/orders",
        stages=list(stages),
        build_stage=build_stage,
    )


def stage(name: str, profile: str, account: str = ACCOUNT) -> DeploymentStage:
    return DeploymentStage(name, cdk.Environment(account=account, region=REGION), profile)


def published(**props: Any) -> Callable[[cdk.Stack], object]:
    props.setdefault("name", "shop-prod")
    return lambda stack: PlatformEnvironment.from_published(stack, "P", **props)


def looked_up(values: dict[str, str]) -> dict[str, str]:
    """What ``cdk.context.json`` holds after the CLI looked the published values up."""
    return {
        f"ssm:account={ACCOUNT}:parameterName={parameter_path('shop-prod', key)}"
        f":region={REGION}": value
        for key, value in values.items()
    }


def platform(**props: Any) -> Callable[[cdk.Stack], object]:
    props.setdefault("team", "orders")
    props.setdefault("application", "shop")
    return lambda stack: PlatformEnvironment(stack, "Platform", **props)


INVALID: dict[str, Case] = {
    # ------------------------------------------------------------------ CanaryFunction
    "canary memory below Lambda's": Case(
        canary(memory_size=64), FN, "memory_size", 64, "from 128 to 10240"
    ),
    "canary memory NaN": Case(
        canary(memory_size=math.nan), FN, "memory_size", math.nan, "expected int"
    ),
    "canary timeout not whole seconds": Case(
        canary(timeout=cdk.Duration.millis(1500)),
        FN,
        "timeout",
        "1500 milliseconds",
        "whole number of seconds",
    ),
    "canary timeout over 15 minutes": Case(
        canary(timeout=cdk.Duration.minutes(16)), FN, "timeout", "16 minutes", "15 minutes"
    ),
    "canary alias only digits": Case(canary(alias_name="123"), FN, "alias_name", "123", "digits"),
    "canary duration threshold 0": Case(
        canary(duration_alarm_threshold=cdk.Duration.seconds(0)),
        FN,
        "duration_alarm_threshold",
        "0 seconds",
        "more than 0",
    ),
    "canary duration threshold above the timeout": Case(
        canary(duration_alarm_threshold=cdk.Duration.minutes(1)),
        FN,
        "duration_alarm_threshold",
        "1 minute",
        "at most the timeout",
    ),
    "smoke test expecting no status code": Case(
        canary(smoke_test=SmokeTest({"ping": True}, expected_status_codes=[])),
        FN,
        "smoke_test.expected_status_codes",
        [],
        "at least one status code",
    ),
    "smoke test expecting 700": Case(
        canary(smoke_test=SmokeTest({}, expected_status_codes=[700])),
        FN,
        "smoke_test.expected_status_codes",
        700,
        "from 100 to 599",
    ),
    "smoke test event over Lambda's 4 KB": Case(
        canary(smoke_test=SmokeTest({"body": "x" * 5000})),
        FN,
        "smoke_test.event",
        "5012 bytes of JSON",
        "4096",
    ),
    "smoke test event not JSON": Case(
        canary(smoke_test=SmokeTest({"when": object()})),
        FN,
        "smoke_test.event",
        None,
        "JSON-serialisable",
    ),
    "canary environment over Lambda's 4 KB": Case(
        canary(environment={"CONFIG": "x" * 4100}),
        FN,
        "environment",
        None,
        "at most 4096 bytes",
    ),
    "canary environment with a password": Case(
        canary(environment={"DB_PASSWORD": "hunter2"}), FN, "environment", "DB_PASSWORD", "secret"
    ),
    "canary handler not in the asset": Case(
        canary(code=asset_code(RUNTIME_DIR), handler="orders.handler"),
        FN,
        "handler",
        "orders.handler",
        "orders.py is not in",
    ),
    "canary deployment with a NaN percentage": Case(
        lambda stack: DeploymentStrategy.canary(math.nan, 5),
        "DeploymentStrategy",
        "percentage",
        math.nan,
        "an integer from 1 to 99",
    ),
    # ------------------------------------------------------------------ DecoupledWorker
    "queue retention 30 seconds": Case(
        worker(retention_period=cdk.Duration.seconds(30)),
        WORKER,
        "retention_period",
        "30 seconds",
        "60 seconds to 14 days",
    ),
    "queue retention 30 days": Case(
        worker(retention_period=cdk.Duration.days(30)),
        WORKER,
        "retention_period",
        "30 days",
        "60 seconds to 14 days",
    ),
    "age alarm longer than the retention": Case(
        worker(oldest_message_age_alarm_threshold=cdk.Duration.days(5)),
        WORKER,
        "oldest_message_age_alarm_threshold",
        "5 days",
        "never fire",
    ),
    "age alarm under a minute": Case(
        worker(oldest_message_age_alarm_threshold=cdk.Duration.seconds(30)),
        WORKER,
        "oldest_message_age_alarm_threshold",
        "30 seconds",
        ">= 1 minute",
    ),
    "filter policy with six attributes": Case(
        worker(filter_policy=filters(6)),
        WORKER,
        "filter_policy",
        [f"attribute{i}" for i in range(6)],
        "at most 5 attribute names",
    ),
    "filter policy with too many combinations": Case(
        worker(filter_policy=filters(3, values=6)),
        WORKER,
        "filter_policy",
        "216 combinations of values",
        "at most 150",
    ),
    "batch size 0": Case(worker(batch_size=0), WORKER, "batch_size", 0, "from 1 to"),
    "batching window not whole seconds": Case(
        worker(max_batching_window=cdk.Duration.millis(500)),
        WORKER,
        "max_batching_window",
        "500 milliseconds",
        "whole number of seconds",
    ),
    "max concurrency 1": Case(
        worker(max_concurrency=1), WORKER, "max_concurrency", 1, "from 2 to 1000"
    ),
    "max receive count 0": Case(
        worker(max_receive_count=0), WORKER, "max_receive_count", 0, "from 1 to 1000"
    ),
    "container of 256 CPU and 4096 MiB": Case(
        container_worker(cpu=256, memory_limit_mib=4096),
        WORKER,
        "consumer.memory_limit_mib",
        4096,
        "allowed with cpu=256",
    ),
    "container of 300 CPU": Case(
        container_worker(cpu=300), WORKER, "consumer.cpu", 300, "one of [256"
    ),
    "container visibility timeout not whole seconds": Case(
        container_worker(visibility_timeout=cdk.Duration.millis(90_500)),
        WORKER,
        "consumer.visibility_timeout",
        "90500 milliseconds",
        "whole number of seconds",
    ),
    "container min capacity -1": Case(
        container_worker(min_capacity=-1), WORKER, "consumer.min_capacity", -1, "from 0 to 1000"
    ),
    "container environment with a token": Case(
        container_worker(environment={"GITHUB_TOKEN": "ghp_x"}),
        WORKER,
        "consumer.environment",
        "GITHUB_TOKEN",
        "consumer.secrets=",
    ),
    "code consumer memory 20 GB": Case(
        code_worker(memory_size=20_480),
        WORKER,
        "consumer.memory_size",
        20_480,
        "from 128 to 10240",
    ),
    "code consumer timeout not whole seconds": Case(
        code_worker(timeout=cdk.Duration.millis(2500)),
        WORKER,
        "consumer.timeout",
        "2500 milliseconds",
        "whole number of seconds",
    ),
    "code consumer with an API key": Case(
        code_worker(environment={"STRIPE_API_KEY": "sk_live"}),
        WORKER,
        "consumer.environment",
        "STRIPE_API_KEY",
        "STRIPE_API_KEY_SECRET_ARN",
    ),
    "code consumer handler not in the asset": Case(
        code_worker(code=asset_code(RUNTIME_DIR), handler="jobs.worker.handler"),
        WORKER,
        "consumer.handler",
        "jobs.worker.handler",
        "jobs/worker.py is not in",
    ),
    # ------------------------------------------------------------------ FargateService
    "service of 256 CPU and 4096 MiB": Case(
        service(cpu=256, memory_limit_mib=4096),
        SERVICE,
        "memory_limit_mib",
        4096,
        "allowed with cpu=256",
    ),
    "service desired count 0": Case(
        service(desired_count=0), SERVICE, "desired_count", 0, "from 1 to 1000"
    ),
    "non-root user on port 80": Case(
        service(container_port=80), SERVICE, "container_port", 80, "1024 or above"
    ),
    "container port 70000": Case(
        service(container_port=70_000), SERVICE, "container_port", 70_000, "from 1 to 65535"
    ),
    "health check path without a slash": Case(
        service(health_check_path="health"), SERVICE, "health_check_path", "health", "'/'"
    ),
    "response time threshold 0": Case(
        service(response_time_alarm_threshold=cdk.Duration.seconds(0)),
        SERVICE,
        "response_time_alarm_threshold",
        "0 seconds",
        "more than 0",
    ),
    "scaling CPU target 95": Case(
        service(scaling=ServiceScaling(cpu_target_percent=95)),
        SERVICE,
        "scaling.cpu_target_percent",
        95,
        "from 10 to 90",
    ),
    "scaling NaN requests per target": Case(
        lambda stack: ServiceScaling(requests_per_target=math.inf),
        "ServiceScaling",
        "requests_per_target",
        math.inf,
        "expected int",
    ),
    "service environment with a password": Case(
        service(environment={"dbPassword": "hunter2"}),
        SERVICE,
        "environment",
        "dbPassword",
        "secrets=",
    ),
    "service user with a space": Case(
        service(user="app user"), SERVICE, "user", "app user", "'uid'"
    ),
    "domain name without a certificate": Case(
        service(domain_name="catalog.example.com"),
        SERVICE,
        "domain_name",
        "catalog.example.com",
        "only with certificate=",
    ),
    # ------------------------------------------------------------------ ApiFrontDoor
    "throttling rate NaN": Case(
        api(throttling_rate_limit=math.nan), API, "throttling_rate_limit", math.nan, "finite"
    ),
    "throttling rate infinity": Case(
        api(throttling_rate_limit=math.inf), API, "throttling_rate_limit", math.inf, "finite"
    ),
    "throttling above the account quota": Case(
        api(throttling_rate_limit=50_000, throttling_burst_limit=60_000),
        API,
        "throttling_rate_limit",
        50_000,
        "at most 10,000",
    ),
    "burst below the rate": Case(
        api(throttling_burst_limit=10), API, "throttling_burst_limit", 10, "at least the rate"
    ),
    "server error rate NaN": Case(
        api(server_error_rate_alarm_threshold=math.nan),
        API,
        "server_error_rate_alarm_threshold",
        math.nan,
        "finite",
    ),
    "server error rate 1.5": Case(
        api(server_error_rate_alarm_threshold=1.5),
        API,
        "server_error_rate_alarm_threshold",
        1.5,
        "(0, 1]",
    ),
    "latency threshold 0": Case(
        api(latency_alarm_threshold=cdk.Duration.seconds(0)),
        API,
        "latency_alarm_threshold",
        "0 seconds",
        "more than 0",
    ),
    "stage name with punctuation": Case(
        api(stage_name="v-1!"), API, "stage_name", "v-1!", "letters, digits"
    ),
    "usage plan rate infinity": Case(
        lambda stack: UsagePlanOptions(rate_limit=math.inf),
        "UsagePlanOptions",
        "rate_limit",
        math.inf,
        "finite",
    ),
    "sibling path variables": Case(
        routes("/orders/{id}", "/orders/{orderId}"),
        API,
        "path",
        "/orders/{orderId}",
        "the path variable {id} at /orders",
    ),
    "sibling variable below the same parent": Case(
        routes("/orders/{id}/items", "/orders/{orderId}/lines"),
        API,
        "path",
        "/orders/{orderId}/lines",
        "the path variable {id} at /orders",
    ),
    "unknown HTTP method": Case(
        routes("/orders", methods=("FETCH",)), API, "methods", "FETCH", "one of"
    ),
    # ------------------------------------------------------------------ platform environments
    "published az-count 'three'": Case(
        published(lookup=True),
        PUBLISHED,
        "az-count published by 'shop-prod'",
        "three",
        "whole number of AZs from 1 to 6",
        context=looked_up({"contract-version": "1.0", "profile": "prod", "az-count": "three"}),
    ),
    "context azCount=x": Case(
        published(), PUBLISHED, AZ_CONTEXT, "x", "whole number of AZs", context={AZ_CONTEXT: "x"}
    ),
    "az_count 0": Case(published(az_count=0), PUBLISHED, "az_count", 0, "from 1 to 6"),
    "platform over 6 AZs": Case(
        platform(max_azs=7), "PlatformEnvironment 'Platform'", "max_azs", 7, "1"
    ),
    "platform without a team": Case(
        platform(team=""), "PlatformEnvironment 'Platform'", "team", "", "non-empty"
    ),
    # ------------------------------------------------------------------ ServicePipeline
    "prod stage before dev": Case(
        pipeline(stage("Prod", "prod"), stage("Dev", "dev", "222222222222")),
        PIPELINE,
        "stages[1]",
        "Dev",
        "every pre-production stage before the production ones",
    ),
    "two stages to one account and region": Case(
        pipeline(stage("Dev", "dev"), stage("Test", "dev")),
        PIPELINE,
        "stages[1].env",
        f"{ACCOUNT}, {REGION}",
        "one stage per account and region",
    ),
    "dev stage attached to a prod environment": Case(
        pipeline(stage("Dev", "dev"), build_stage=attached_prod),
        PIPELINE,
        "stages['Dev'].profile",
        "dev",
        "'prod', the profile of the platform environment",
    ),
    "stage named like CDK Pipelines' own": Case(
        lambda stack: stage("Source", "dev"),
        "DeploymentStage 'Source'",
        "name",
        "Source",
        "any name but Source",
    ),
    "stage without a region": Case(
        lambda stack: DeploymentStage("Dev", cdk.Environment(account=ACCOUNT), "dev"),
        "DeploymentStage 'Dev'",
        "env.region",
        None,
        "a region name",
    ),
}


def _same(given: Any, expected: Any) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(given, float) and math.isnan(given)
    return bool(given == expected)


@pytest.mark.parametrize("name", INVALID)
def test_invalid_prop_is_a_clear_error(name):
    case = INVALID[name]
    app = app_for_tests(**case.context)
    stack = cdk.Stack(app, "Service", env=ENV)
    with pytest.raises(InvalidPropError) as raised:
        case.build(stack)
    error = raised.value
    assert error.owner == case.owner
    assert error.prop == case.prop
    if case.value is not None:
        assert _same(error.value, case.value), error.value
    assert case.allowed in error.allowed
    # the message a user reads carries all four
    assert case.owner in str(error)
    assert case.prop in str(error)


def test_the_list_covers_every_construct_with_at_least_40_invalid_props():
    assert len(INVALID) >= 40
    owners = {case.owner.split(" ")[0] for case in INVALID.values()}
    assert {
        "CanaryFunction",
        "DecoupledWorker",
        "FargateService",
        "ApiFrontDoor",
        "ServicePipeline",
        "PlatformEnvironment",
        "PlatformEnvironment.from_published",
    } <= owners


def test_no_input_kills_the_jsii_kernel():
    app = app_for_tests()
    broken = cdk.Stack(app, "Broken", env=ENV)
    for value in (math.nan, math.inf, -math.inf):
        with pytest.raises(InvalidPropError):
            ApiFrontDoor(broken, f"Api{value}", throttling_rate_limit=value)
    # the kernel still answers: a later synthesis in the same process works
    later = cdk.Stack(app_for_tests(), "Later", env=ENV)
    ssm.StringParameter(later, "Marker", string_value="alive")
    Template.from_stack(later).resource_count_is("AWS::SSM::Parameter", 1)


VALID_NEIGHBOURS: dict[str, Callable[[cdk.Stack], object]] = {
    "a latency threshold in milliseconds": api(latency_alarm_threshold=cdk.Duration.millis(1500)),
    "the same path variable at every level": routes("/orders/{id}", "/orders/{id}/items"),
    "throttling at the account quota": api(
        throttling_rate_limit=10_000, throttling_burst_limit=5_000 * 2
    ),
    "root on port 80": service(container_port=80, user="0"),
    "a queue retention of 14 days": worker(retention_period=cdk.Duration.days(14)),
    "a handler whose module is in the asset": canary(
        code=asset_code(RUNTIME_DIR), handler="smoke_test_hook.handler"
    ),
    "pre-production stages before production": pipeline(
        stage("Dev", "dev"),
        stage("Test", "dev", "222222222222"),
        stage("Prod", "prod", "333333333333"),
    ),
}


@pytest.mark.parametrize("name", VALID_NEIGHBOURS)
def test_the_checks_leave_valid_neighbours_alone(name):
    stack = cdk.Stack(app_for_tests(), "Service", env=ENV)
    VALID_NEIGHBOURS[name](stack)
