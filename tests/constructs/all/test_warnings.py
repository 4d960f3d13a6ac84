"""Warnings where a user is about to hurt themselves: CDK annotations, each tested."""

from __future__ import annotations

import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import cx_api

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    PlatformEnvironment,
    Route,
    WorkerConsumer,
)
from tests.cdk_support import Scenarios, make_app, scenarios

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")


def warnings(stack: cdk.Stack, topic: str) -> list[dict]:
    """The warnings with this library's id ``modern-app-constructs:<topic>``: id and message.

    Read from the app's synthesis: the one a ``scenarios`` fixture made, else a new one.
    """
    assembly = stack.node.root.synth()
    return [
        {"id": message.id, "message": str(message.entry.data)}
        for message in assembly.get_stack_by_name(stack.stack_name).messages
        if message.level == cx_api.SynthesisMessageLevel.WARNING
        and re.search(f"modern-app-constructs:{topic}", str(message.entry.data))
    ]


def _canary(stack: cdk.Stack) -> CanaryFunction:
    return CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")


def _route_to(attribute: str):
    def build(stack: cdk.Stack) -> None:
        ApiFrontDoor(stack, "Api").add_route(
            "/p", Route.function(getattr(_canary(stack), attribute))
        )

    return build


def _route_through_the_canary(stack: cdk.Stack) -> None:
    canary = _canary(stack)
    api = ApiFrontDoor(stack, "Api")
    api.add_route("/a", Route.function(canary))
    api.add_route("/b", Route.function(canary.alias))


@pytest.fixture(scope="module")
def with_platform() -> Scenarios:
    """Each case in its own stack beside one platform, synthesized once."""
    return scenarios(
        {
            "ToFunction": _route_to("function"),
            "ToVersion": _route_to("version"),
            "ThroughCanary": _route_through_the_canary,
            "WorkerOfFunction": lambda stack: DecoupledWorker(
                stack, "W", consumer=WorkerConsumer.function(_canary(stack).function)
            ),
            "Canary": _canary,
            "Api": lambda stack: ApiFrontDoor(stack, "Api").add_route(
                "/p", Route.function(_canary(stack))
            ),
        }
    )


@pytest.fixture
def standalone():
    return cdk.Stack(make_app(), "S")


@pytest.mark.parametrize("stack", ["ToFunction", "ToVersion"])
def test_routing_to_a_canarys_own_function_warns(with_platform, stack):
    (found,) = warnings(with_platform.stacks[stack], "canary-bypassed")
    assert found["id"] == f"/{stack}/Api"
    assert "traffic skips the canary deployment" in found["message"]
    assert f"Pass the CanaryFunction itself ({stack}/Fn)" in found["message"]


def test_routing_through_the_canary_or_its_alias_does_not_warn(with_platform):
    assert warnings(with_platform.stacks["ThroughCanary"], "canary-bypassed") == []


def test_a_worker_consuming_a_canarys_own_function_warns(with_platform):
    (found,) = warnings(with_platform.stacks["WorkerOfFunction"], "canary-bypassed")
    assert found["id"] == "/WorkerOfFunction/W"
    assert "consumer=WorkerOfFunction/Fn/Function" in found["message"]


def test_alarms_with_nowhere_to_go_warn_once_per_construct(standalone):
    CanaryFunction(standalone, "Fn", code=CODE, handler="index.handler")
    DecoupledWorker(standalone, "W", consumer=WorkerConsumer.code(CODE, "index.handler"))
    found = warnings(standalone, "alarms-without-actions")
    assert sorted(entry["id"] for entry in found) == ["/S/Fn", "/S/W"]
    assert "notify nobody" in found[0]["message"]


def test_alarms_with_a_platform_do_not_warn(with_platform):
    for stack in with_platform.stacks.values():
        assert warnings(stack, "alarms-without-actions") == []


def test_a_standalone_api_warns_about_the_account_logging_role(standalone):
    api = ApiFrontDoor(standalone, "Api")
    api.add_route(
        "/p",
        Route.function(
            lambda_.Function.from_function_arn(
                standalone, "F", "arn:aws:lambda:eu-west-1:123456789012:function:f"
            )
        ),
    )
    (found,) = warnings(standalone, "execution-logging-without-account-role")
    assert found["id"] == "/S/Api"
    assert "AWS::ApiGateway::Account" in found["message"]


def test_an_api_with_a_platform_does_not_warn_about_the_role(with_platform):
    topic = "execution-logging-without-account-role"
    assert warnings(with_platform.stacks["Api"], topic) == []


def test_a_cdk_json_without_the_flags_the_library_relies_on_warns():
    app = cdk.App(context={"profile": "dev"})  # an old app's cdk.json: no feature flags
    platform_stack = cdk.Stack(app, "P")
    PlatformEnvironment(platform_stack, "Platform", team="t", application="a")
    stack = cdk.Stack(app, "S")
    CanaryFunction(stack, "Fn", code=CODE, handler="index.handler")
    CanaryFunction(stack, "Fn2", code=CODE, handler="index.handler")
    service = warnings(stack, "feature-flag:*")
    flags = sorted(entry["message"].split("feature flag ")[1].split("=")[0] for entry in service)
    assert flags == [
        "@aws-cdk/aws-lambda:recognizeLayerVersion",
        "@aws-cdk/core:defaultCrossStackReferences",
    ]
    assert all(entry["id"] == "/S" for entry in service)  # once per stack
    (platform,) = warnings(platform_stack, "feature-flag:*")
    assert "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup" in platform["message"]
    assert "default security group keeps its allow-all rules" in platform["message"]


def test_cdk_jsons_context_gives_no_flag_warning(with_platform):
    for stack in (with_platform.built.platform_stack, *with_platform.stacks.values()):
        assert warnings(stack, "feature-flag:*") == []


def test_warnings_can_be_acknowledged(standalone):
    canary = CanaryFunction(standalone, "Fn", code=CODE, handler="index.handler")
    cdk.Annotations.of(canary).acknowledge_warning(
        "modern-app-constructs:alarms-without-actions", "alarms are wired by hand below"
    )
    assert warnings(standalone, "alarms-without-actions") == []
