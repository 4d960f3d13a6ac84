"""Rollback on what callers see: route alarms, handled failures, and the real-path smoke test."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    FargateService,
    HandledFailures,
    InvalidPropError,
    Route,
    SmokeTest,
)
from modern_app_constructs.canary_function import DRY_RUN_HEADER
from tests.cdk_support import logical_id, ref, service_app

CODE = "def handler(event, context):\n    return {'statusCode': 200}\n"


def canary(stack, construct_id="Orders", **kwargs):
    return CanaryFunction(
        stack, construct_id, code=lambda_.Code.from_inline(CODE), handler="index.handler", **kwargs
    )


def watched(template: Template, canary_function: CanaryFunction) -> list[dict]:
    group = template.to_json()["Resources"][logical_id(canary_function.deployment_group)]
    return group["Properties"]["AlarmConfiguration"]["Alarms"]


def alarm_props(template: Template, alarm) -> dict:
    return template.to_json()["Resources"][logical_id(alarm)]["Properties"]


@pytest.fixture(scope="module")
def routed():
    """A prod canary with handled failures behind POST /orders, a service behind /catalog."""
    built = service_app("prod")
    function = canary(built.stack, handled_failure_metric=HandledFailures(name="Failed"))
    service = FargateService(
        built.stack,
        "Catalog",
        image=ecs.ContainerImage.from_registry("public.ecr.aws/nginx/nginx:stable"),
    )
    api = ApiFrontDoor(built.stack, "Api", api_name="shop", stage_name="live")
    api.add_route("/orders", Route.function(function), methods=("POST",))
    api.add_route("/catalog", Route.service(service))
    return function, service, built.template()


def test_a_canary_behind_a_route_watches_the_route_5xx_rate_and_latency(routed):
    function, _, template = routed
    names = [alarm.node.id for alarm in function.alarms]
    assert names[-2:] == ["ApiOrdersPOSTServerErrorRate", "ApiOrdersPOSTLatencyP99"]
    assert watched(template, function)[-2:] == [
        {"Name": ref(alarm)} for alarm in function.alarms[-2:]
    ]
    dimensions = [
        {"Name": "ApiName", "Value": "shop"},
        {"Name": "Method", "Value": "POST"},
        {"Name": "Resource", "Value": "/orders"},
        {"Name": "Stage", "Value": "live"},
    ]
    errors = alarm_props(template, function.alarms[-2])
    assert (errors["Namespace"], errors["MetricName"], errors["Statistic"]) == (
        "AWS/ApiGateway",
        "5XXError",
        "Average",
    )
    assert errors["Dimensions"] == dimensions
    assert (errors["Threshold"], errors["ComparisonOperator"]) == (0.05, "GreaterThanThreshold")
    latency = alarm_props(template, function.alarms[-1])
    assert (latency["MetricName"], latency["ExtendedStatistic"], latency["Threshold"]) == (
        "Latency",
        "p99",
        2000,
    )
    assert latency["Dimensions"] == dimensions


def test_the_stage_enables_the_method_metrics_the_route_alarms_read(routed):
    _, _, template = routed
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {"MethodSettings": [{"HttpMethod": "*", "ResourcePath": "/*", "MetricsEnabled": True}]},
    )


def test_handled_failures_of_the_new_version_only(routed):
    function, _, template = routed
    alarm = next(a for a in function.alarms if a.node.id == "NewVersionHandledFailures")
    assert {"Name": ref(alarm)} in watched(template, function)
    props = alarm_props(template, alarm)
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == (
        "Orders",
        "Failed",
        "Sum",
    )
    assert props["Dimensions"] == [
        {
            "Name": "FunctionVersion",
            "Value": cdk.Stack.of(function).resolve(function.version.version),
        },
        {"Name": "service", "Value": "Orders"},
    ]
    assert (props["Threshold"], props["EvaluationPeriods"], props["Period"]) == (1, 1, 60)
    variables = template.to_json()["Resources"][logical_id(function.function)]["Properties"][
        "Environment"
    ]["Variables"]
    assert variables["HANDLED_FAILURES_METRIC_NAME"] == "Failed"
    assert variables["HANDLED_FAILURES_METRIC_NAMESPACE"] == "Orders"


def test_a_service_behind_a_route_rolls_back_on_the_route_alarms_too(routed):
    _, service, template = routed
    ids = [alarm.node.id for alarm in service.alarms]
    assert ids == [
        "Target5xx",
        "UnhealthyHosts",
        "ResponseTimeP99",
        "ApiCatalogGETServerErrorRate",
        "ApiCatalogGETLatencyP99",
        "ApiCatalogProxyGETServerErrorRate",
        "ApiCatalogProxyGETLatencyP99",
    ]
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": {
                "Alarms": {
                    "AlarmNames": [ref(alarm) for alarm in service.alarms],
                    "Enable": True,
                    "Rollback": True,
                }
            }
        },
    )
    proxy = alarm_props(template, service.alarms[5])
    assert {"Name": "Resource", "Value": "/catalog/{proxy+}"} in proxy["Dimensions"]


def test_route_alarm_windows_fit_a_one_minute_linear_step():
    built = service_app("prod", platform=False)
    from modern_app_constructs import DeploymentStrategy

    function = canary(built.stack, deployment=DeploymentStrategy.linear(10, 1))
    api = ApiFrontDoor(built.stack, "Api")
    api.add_route("/orders", Route.function(function), methods=("POST",))
    props = alarm_props(built.template(), function.alarms[-2])
    assert props["Period"] * props["EvaluationPeriods"] <= 60
    assert props["DatapointsToAlarm"] == 1


def test_route_alarms_beyond_codedeploy_limit_are_rejected_before_any_method():
    built = service_app(platform=False)
    metric = cloudwatch.Metric(namespace="X", metric_name="Y")
    extra = [
        cloudwatch.Alarm(built.stack, f"A{i}", metric=metric, threshold=1, evaluation_periods=1)
        for i in range(4)
    ]
    function = canary(built.stack, alarms=extra, handled_failure_metric=HandledFailures())
    api = ApiFrontDoor(built.stack, "Api")
    with pytest.raises(InvalidPropError, match=r"at most 10 alarms per deployment group") as error:
        api.add_route("/orders", Route.function(function), methods=("GET", "POST"))
    assert error.value.owner == "ApiFrontDoor 'Api'"
    assert error.value.prop == "target"
    assert "GET, POST /orders" in str(error.value.value)
    assert len(function.alarms) == 9
    assert not function.alarms[-1].node.id.startswith("Api")
    assert [c for c in api.node.find_all() if isinstance(c, apigateway.Method)] == []


def test_handled_failures_count_towards_the_limit_of_given_alarms():
    stack = cdk.Stack(service_app(platform=False).app, "S")
    metric = cloudwatch.Metric(namespace="X", metric_name="Y")
    extra = [
        cloudwatch.Alarm(stack, f"A{i}", metric=metric, threshold=1, evaluation_periods=1)
        for i in range(6)
    ]
    with pytest.raises(InvalidPropError, match=r"allowed: at most 5 .*5 are generated") as error:
        canary(stack, alarms=extra, handled_failure_metric=HandledFailures())
    assert (error.value.prop, error.value.value) == ("alarms", "6 alarms")


@pytest.mark.parametrize(
    ("spec", "prop", "value"),
    [
        (HandledFailures(name=""), "handled_failure_metric.name", ""),
        (HandledFailures(name="x" * 256), "handled_failure_metric.name", "x" * 256),
        (HandledFailures(namespace="AWS/Lambda"), "handled_failure_metric.namespace", "AWS/Lambda"),
        (HandledFailures(namespace="bad!"), "handled_failure_metric.namespace", "bad!"),
        (HandledFailures(threshold=0), "handled_failure_metric.threshold", 0),
    ],
)
def test_bad_handled_failure_metric(spec, prop, value):
    with pytest.raises(InvalidPropError) as error:
        canary(service_app(platform=False).stack, handled_failure_metric=spec)
    assert (error.value.owner, error.value.prop, error.value.value) == (
        "CanaryFunction 'Orders'",
        prop,
        value,
    )


def test_the_handled_failure_metric_needs_the_prop():
    function = canary(service_app(platform=False).stack)
    with pytest.raises(InvalidPropError) as error:
        function.metric_new_version_handled_failures()
    assert error.value.prop == "handled_failure_metric"


HTTP_EVENT = {"httpMethod": "POST", "headers": {"Content-Type": "application/json"}, "body": "{}"}


def smoke_event(template: Template, function: CanaryFunction):
    assert function.smoke_test_function is not None
    variables = template.to_json()["Resources"][logical_id(function.smoke_test_function)][
        "Properties"
    ]["Environment"]["Variables"]
    return json.loads(variables["SMOKE_TEST_EVENT"])


def test_a_smoke_test_is_a_dry_run_by_default():
    built = service_app(platform=False)
    function = canary(built.stack, smoke_test=SmokeTest(HTTP_EVENT))
    sent = smoke_event(built.template(), function)
    assert sent["headers"] == {"Content-Type": "application/json", DRY_RUN_HEADER: "true"}
    assert HTTP_EVENT["headers"] == {"Content-Type": "application/json"}  # not mutated


def test_a_real_path_smoke_test_sends_the_event_as_given():
    built = service_app(platform=False)
    function = canary(built.stack, smoke_test=SmokeTest(HTTP_EVENT, [201], dry_run=False))
    assert smoke_event(built.template(), function) == HTTP_EVENT


@pytest.mark.parametrize(
    ("event", "sent"),
    [
        ({"httpMethod": "GET"}, {"httpMethod": "GET", "headers": {DRY_RUN_HEADER: "true"}}),
        (
            {"headers": {"x-dry-run": "false", "Accept": "*/*"}},
            {"headers": {"Accept": "*/*", DRY_RUN_HEADER: "true"}},
        ),
        ({"job": 1}, {"job": 1}),
        ([1, 2], [1, 2]),
    ],
)
def test_only_http_shaped_events_are_marked(event, sent):
    assert SmokeTest(event).sent_event == sent


def test_dry_run_must_be_a_bool():
    with pytest.raises(InvalidPropError):
        canary(
            service_app(platform=False).stack,
            smoke_test=SmokeTest(HTTP_EVENT, dry_run="no"),  # type: ignore[arg-type]
        )
