"""Wrong types are rejected with a TypeError that names the construct, the prop and a hint."""

from __future__ import annotations

import inspect
import typing
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    InvalidPropError,
    InvalidPropTypeError,
    PlatformEnvironment,
    PublishedPlatformEnvironment,
    Route,
    ServiceDashboard,
    ServiceScaling,
    SmokeTest,
    UsagePlanOptions,
    WorkerConsumer,
)
from tests.cdk_support import make_app

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")

#: The props each construct needs to be built at all.
REQUIRED: dict[type, dict[str, Any]] = {
    PlatformEnvironment: {"team": "t", "application": "a"},
    PublishedPlatformEnvironment: {"name": "shop-dev"},
    CanaryFunction: {"code": CODE, "handler": "index.handler"},
    DecoupledWorker: {"consumer": WorkerConsumer.code(CODE, "index.handler")},
    FargateService: {"image": IMAGE},
    ApiFrontDoor: {},
    ServiceDashboard: {"service_name": "svc"},
}


@pytest.fixture
def stack():
    return cdk.Stack(make_app(), "S")


def raised(error: pytest.ExceptionInfo[Any]) -> InvalidPropTypeError:
    assert isinstance(error.value, InvalidPropTypeError)
    assert isinstance(error.value, TypeError)
    assert isinstance(error.value, InvalidPropError)  # and so a ValueError too
    return error.value


def test_a_number_for_a_duration(stack):
    with pytest.raises(TypeError) as error:
        CanaryFunction(stack, "Fn", code=CODE, handler="index.handler", timeout=30)
    found = raised(error)
    assert (found.owner, found.prop, found.value) == ("CanaryFunction 'Fn'", "timeout", 30)
    assert str(found) == (
        "CanaryFunction 'Fn': invalid timeout=30; expected cdk.Duration, got int "
        "(e.g. cdk.Duration.seconds(30))"
    )


def test_an_arn_for_a_topic(stack):
    topic = sns.Topic(stack, "Topic")
    with pytest.raises(TypeError) as error:
        DecoupledWorker(
            stack, "W", consumer=WorkerConsumer.code(CODE, "index.handler"), topic=topic.topic_arn
        )
    found = raised(error)
    assert found.prop == "topic"
    assert "not an ARN" in str(found)


def test_a_number_for_a_list_of_status_codes(stack):
    with pytest.raises(TypeError) as error:
        CanaryFunction(
            stack,
            "Fn",
            code=CODE,
            handler="index.handler",
            smoke_test=SmokeTest({}, expected_status_codes=200),
        )
    found = raised(error)
    assert (found.owner, found.prop) == ("SmokeTest", "expected_status_codes")
    assert "expected Sequence[int]" in str(found)


def test_a_directory_for_code_gets_the_asset_code_hint(stack):
    with pytest.raises(TypeError, match=r'asset_code\("functions/orders"\)') as error:
        CanaryFunction(stack, "Fn", code="functions/orders", handler="index.handler")
    assert raised(error).prop == "code"


def test_items_of_collections_are_checked(stack):
    with pytest.raises(TypeError) as error:
        CanaryFunction(stack, "Fn", code=CODE, handler="index.handler", environment={"RETRIES": 3})
    assert raised(error).prop == "environment"
    with pytest.raises(TypeError) as error:
        ServiceDashboard(stack, "D", service_name="svc").add("not a component")
    assert raised(error).prop == "components"


def test_props_dataclasses_check_their_fields():
    with pytest.raises(TypeError) as error:
        WorkerConsumer.container("python:3.13")
    assert (raised(error).owner, raised(error).prop) == ("ContainerConsumer", "image")
    with pytest.raises(TypeError) as error:
        WorkerConsumer.code(CODE, "index.handler", timeout=30)
    assert (raised(error).owner, raised(error).prop) == ("CodeConsumer", "timeout")
    assert "cdk.Duration.seconds(30)" in str(raised(error))
    with pytest.raises(TypeError) as error:
        ServiceScaling(max_capacity="8")
    assert (raised(error).owner, raised(error).prop) == ("ServiceScaling", "max_capacity")
    with pytest.raises(TypeError) as error:
        UsagePlanOptions(burst_limit="100")
    assert raised(error).prop == "burst_limit"


def test_number_tokens_pass_for_integers(stack):
    memory = cdk.CfnParameter(stack, "Memory", type="Number", default=512)
    canary = CanaryFunction(
        stack, "Fn", code=CODE, handler="index.handler", memory_size=memory.value_as_number
    )
    assert canary.function is not None


def _wrong_value_cases() -> list[tuple[type, str]]:
    cases = []
    for construct in REQUIRED:
        hints = typing.get_type_hints(construct.__init__)
        for name in inspect.signature(construct.__init__).parameters:
            if name in ("self", "scope", "construct_id") or hints.get(name) is Any:
                continue
            cases.append((construct, name))
    return cases


@pytest.mark.parametrize(("construct", "prop"), _wrong_value_cases())
def test_every_constructor_prop_rejects_a_wrong_type(stack, construct, prop):
    kwargs = {**REQUIRED[construct], prop: object()}
    with pytest.raises(TypeError) as error:
        construct(stack, "Subject", **kwargs)
    found = raised(error)
    assert found.prop == prop
    assert found.owner == f"{construct.__name__} 'Subject'"
    assert "got object" in str(found)


@pytest.mark.parametrize(
    ("args", "prop"),
    [
        (("/x", "arn:aws:lambda:eu-west-1:1:function:f"), "target"),
        ((3, "a target"), "path"),  # the first wrong prop is named
    ],
)
def test_add_route_rejects_wrong_types(stack, args, prop):
    api = ApiFrontDoor(stack, "Api")
    with pytest.raises(TypeError) as error:
        api.add_route(*args)
    assert (raised(error).owner, raised(error).prop) == ("ApiFrontDoor 'Api'", prop)


@pytest.mark.parametrize(
    ("make", "owner"),
    [
        (lambda: Route.function("arn:aws:lambda:eu-west-1:1:function:f"), "FunctionRoute"),
        (lambda: Route.queue("https://sqs.eu-west-1.amazonaws.com/1/q"), "QueueRoute"),
        (lambda: Route.service("catalog"), "ServiceRoute"),
        (lambda: Route.service(CODE, strip_prefix=True), "ServiceRoute"),
    ],
)
def test_route_targets_reject_wrong_types(make, owner):
    with pytest.raises(TypeError) as error:
        make()
    assert (raised(error).owner, raised(error).prop) == (owner, "target")
