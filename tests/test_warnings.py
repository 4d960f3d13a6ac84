"""Warnings where a user is about to hurt themselves: CDK annotations, each tested."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    PlatformEnvironment,
)
from tests.cdk_support import make_app

CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")


def warnings(stack: cdk.Stack, topic: str) -> list[dict]:
    """The warnings with this library's id ``modern-app-constructs:<topic>``: id and message."""
    return [
        {"id": found.id, "message": str(found.entry.data)}
        for found in Annotations.from_stack(stack).find_warning(
            "*", Match.string_like_regexp(f"modern-app-constructs:{topic}")
        )
    ]


@pytest.fixture
def with_platform():
    app = make_app()
    PlatformEnvironment(cdk.Stack(app, "P"), "Platform", team="t", application="a")
    return cdk.Stack(app, "S")


@pytest.fixture
def standalone():
    return cdk.Stack(make_app(), "S")


@pytest.mark.parametrize("attribute", ["function", "version"])
def test_routing_to_a_canarys_own_function_warns(with_platform, attribute):
    canary = CanaryFunction(with_platform, "Fn", code=CODE, handler="index.handler")
    api = ApiFrontDoor(with_platform, "Api")
    api.add_lambda_route("/p", getattr(canary, attribute))
    (found,) = warnings(with_platform, "canary-bypassed")
    assert found["id"] == "/S/Api"
    assert "traffic skips the canary deployment" in found["message"]
    assert "Pass the CanaryFunction itself (S/Fn)" in found["message"]


def test_routing_through_the_canary_or_its_alias_does_not_warn(with_platform):
    canary = CanaryFunction(with_platform, "Fn", code=CODE, handler="index.handler")
    api = ApiFrontDoor(with_platform, "Api")
    api.add_lambda_route("/a", canary)
    api.add_lambda_route("/b", canary.alias)
    assert warnings(with_platform, "canary-bypassed") == []


def test_a_worker_consuming_a_canarys_own_function_warns(with_platform):
    canary = CanaryFunction(with_platform, "Fn", code=CODE, handler="index.handler")
    DecoupledWorker(with_platform, "W", consumer=canary.function)
    (found,) = warnings(with_platform, "canary-bypassed")
    assert found["id"] == "/S/W"
    assert "consumer=S/Fn/Function" in found["message"]


def test_alarms_with_nowhere_to_go_warn_once_per_construct(standalone):
    CanaryFunction(standalone, "Fn", code=CODE, handler="index.handler")
    DecoupledWorker(standalone, "W", code=CODE, handler="index.handler")
    found = warnings(standalone, "alarms-without-actions")
    assert sorted(entry["id"] for entry in found) == ["/S/Fn", "/S/W"]
    assert "notify nobody" in found[0]["message"]


def test_alarms_with_a_platform_do_not_warn(with_platform):
    CanaryFunction(with_platform, "Fn", code=CODE, handler="index.handler")
    assert warnings(with_platform, "alarms-without-actions") == []


def test_a_standalone_api_warns_about_the_account_logging_role(standalone):
    api = ApiFrontDoor(standalone, "Api")
    api.add_lambda_route(
        "/p",
        lambda_.Function.from_function_arn(
            standalone, "F", "arn:aws:lambda:eu-west-1:123456789012:function:f"
        ),
    )
    (found,) = warnings(standalone, "execution-logging-without-account-role")
    assert found["id"] == "/S/Api"
    assert "AWS::ApiGateway::Account" in found["message"]


def test_an_api_with_a_platform_does_not_warn_about_the_role(with_platform):
    ApiFrontDoor(with_platform, "Api").add_lambda_route(
        "/p", CanaryFunction(with_platform, "Fn", code=CODE, handler="index.handler")
    )
    assert warnings(with_platform, "execution-logging-without-account-role") == []


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
    CanaryFunction(with_platform, "Fn", code=CODE, handler="index.handler")
    assert warnings(with_platform, "feature-flag:*") == []
    assert warnings(with_platform.node.root.node.find_child("P"), "feature-flag:*") == []


def test_warnings_can_be_acknowledged(standalone):
    canary = CanaryFunction(standalone, "Fn", code=CODE, handler="index.handler")
    cdk.Annotations.of(canary).acknowledge_warning(
        "modern-app-constructs:alarms-without-actions", "alarms are wired by hand below"
    )
    assert warnings(standalone, "alarms-without-actions") == []
