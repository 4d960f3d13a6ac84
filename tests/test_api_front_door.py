"""ApiFrontDoor: stage settings, authorization on every method, and the three route kinds."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    ApiFrontDoor,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    PlatformEnvironment,
    UsagePlanOptions,
)
from tests.cdk_support import make_app, normalize, synth_compliant

ENV = cdk.Environment(region="eu-west-1")
CODE = lambda_.Code.from_inline("def handler(event, context):\n    return {}\n")
IMAGE = "public.ecr.aws/docker/library/python:3.13-slim"
SEND_TEMPLATE = "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
ORDER_SCHEMA = {
    "type": "object",
    "properties": {
        "customer_id": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["customer_id", "items"],
}


def service_stack(profile="dev"):
    app = make_app(profile=profile)
    PlatformEnvironment(cdk.Stack(app, "Platform", env=ENV), "Platform", team="t", application="a")
    return app, cdk.Stack(app, "Service", env=ENV)


@pytest.fixture(scope="module")
def full():
    app, stack = service_stack()
    canary = CanaryFunction(stack, "CreateOrder", code=CODE, handler="index.handler")
    worker = DecoupledWorker(stack, "Bulk", code=CODE, handler="index.handler")
    catalog = FargateService(stack, "Catalog", image=ecs.ContainerImage.from_registry(IMAGE))
    api = ApiFrontDoor(stack, "Api")
    api.add_lambda_route("/orders", canary, methods=("POST",), request_schema=ORDER_SCHEMA)
    api.add_queue_route("/orders/bulk", worker)
    api.add_service_route("/catalog", catalog)
    return app, stack, Template.from_stack(stack), api, canary, worker, catalog


def test_stage_logging_tracing_throttling(full):
    _, _, template, _, _, _, _ = full
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "v1",
            "TracingEnabled": True,
            "AccessLogSetting": {
                "DestinationArn": Match.any_value(),
                "Format": Match.string_like_regexp(r'"requestId":"\$context.requestId"'),
            },
            "MethodSettings": [
                Match.object_like(
                    {
                        "LoggingLevel": "INFO",
                        "DataTraceEnabled": False,
                        "MetricsEnabled": True,
                        "ThrottlingRateLimit": 100,
                        "ThrottlingBurstLimit": 200,
                        "HttpMethod": "*",
                        "ResourcePath": "/*",
                    }
                )
            ],
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 30, "KmsKeyId": Match.any_value()}
    )
    (stage,) = template.find_resources("AWS::ApiGateway::Stage").values()
    assert "ApiAccessLogs" in json.dumps(stage["Properties"]["AccessLogSetting"]["DestinationArn"])


def test_access_log_format_is_json(full):
    _, _, template, _, _, _, _ = full
    (stage,) = template.find_resources("AWS::ApiGateway::Stage").values()
    document = json.loads(stage["Properties"]["AccessLogSetting"]["Format"])
    assert {"requestId", "ip", "user", "caller", "httpMethod", "resourcePath", "status"} <= set(
        document
    )


def test_no_account_resource_is_created_by_the_api(full):
    _, _, template, _, _, _, _ = full
    template.resource_count_is("AWS::ApiGateway::Account", 0)


def test_every_method_is_iam_authorized(full):
    _, _, template, _, _, _, _ = full
    methods = template.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == 4
    for method in methods.values():
        assert method["Properties"]["AuthorizationType"] == "AWS_IAM"


def test_lambda_route_goes_through_the_alias(full):
    _, stack, template, _, canary, _, _ = full
    alias_id = stack.resolve(stack.get_logical_id(canary.alias.node.default_child))
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "POST",
            "Integration": Match.object_like({"Type": "AWS_PROXY"}),
        },
    )
    post = [
        m
        for m in template.find_resources("AWS::ApiGateway::Method").values()
        if m["Properties"]["Integration"]["Type"] == "AWS_PROXY"
    ]
    (post,) = post
    assert alias_id in json.dumps(post["Properties"]["Integration"]["Uri"])
    template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": alias_id},
            "Principal": "apigateway.amazonaws.com",
        },
    )


def test_request_validator_and_model(full):
    _, _, template, _, _, _, _ = full
    template.has_resource_properties(
        "AWS::ApiGateway::RequestValidator",
        {"ValidateRequestBody": True, "ValidateRequestParameters": True},
    )
    template.has_resource_properties(
        "AWS::ApiGateway::Model",
        {
            "ContentType": "application/json",
            "Schema": Match.object_like({"type": "object", "required": ["customer_id", "items"]}),
        },
    )
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "HttpMethod": "POST",
            "RequestValidatorId": Match.any_value(),
            "RequestModels": {"application/json": Match.any_value()},
        },
    )


def test_queue_route_role_may_only_send_to_that_queue(full):
    _, stack, template, _, _, worker, _ = full
    queue_id = stack.resolve(stack.get_logical_id(worker.queue.node.default_child))
    policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "QueueRoute" in json.dumps(p["Properties"]["Roles"])
    ]
    (policy,) = policies
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    send = [s for s in statements if s["Action"] == "sqs:SendMessage"]
    assert send == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [queue_id, "Arn"]},
        }
    ]
    assert all(not str(s["Action"]).endswith("*") for s in statements)
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "Integration": Match.object_like(
                {
                    "Type": "AWS",
                    "IntegrationHttpMethod": "POST",
                    "RequestTemplates": {"application/json": SEND_TEMPLATE},
                    "IntegrationResponses": Match.array_with(
                        [Match.object_like({"StatusCode": "202"})]
                    ),
                }
            )
        },
    )


def test_service_route_uses_a_vpc_link_to_the_internal_load_balancer(full):
    _, stack, template, _, _, _, catalog = full
    template.resource_count_is("AWS::ApiGatewayV2::VpcLink", 1)
    listener_id = stack.resolve(stack.get_logical_id(catalog.listener.node.default_child))
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "Integration": Match.object_like(
                {
                    "Type": "HTTP_PROXY",
                    "ConnectionType": "VPC_LINK",
                    "ConnectionId": {"Ref": Match.string_like_regexp("VpcLink")},
                    "IntegrationTarget": {"Ref": listener_id},
                }
            )
        },
    )
    template.has_resource(
        "AWS::ApiGateway::Resource", {"Properties": Match.object_like({"PathPart": "{proxy+}"})}
    )
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "FromPort": 80,
            "ToPort": 80,
            "SourceSecurityGroupId": {
                "Fn::GetAtt": [Match.string_like_regexp("VpcLink"), "GroupId"]
            },
        },
    )


def test_alarms(full):
    _, _, template, api, _, _, _ = full
    assert len(api.alarms) == 2
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "5XXError",
            "Statistic": "Average",
            "Threshold": 0.05,
            "AlarmActions": [Match.any_value()],
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm", {"MetricName": "Latency", "ExtendedStatistic": "p99"}
    )


def test_usage_plan_waf_and_cors():
    app, stack = service_stack()
    api = ApiFrontDoor(
        stack,
        "Api",
        usage_plan=UsagePlanOptions(rate_limit=10, burst_limit=20),
        web_acl_arn="arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/orders/1234",
        cors=cdk.aws_apigateway.CorsOptions(allow_origins=["https://shop.example.com"]),
    )
    api.add_queue_route("/orders/bulk", sqs.Queue(stack, "Q", enforce_ssl=True))
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan", {"Throttle": {"RateLimit": 10, "BurstLimit": 20}}
    )
    template.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    template.has_resource_properties(
        "AWS::WAFv2::WebACLAssociation", {"WebACLArn": Match.string_like_regexp("webacl")}
    )
    methods = template.find_resources("AWS::ApiGateway::Method")
    options = [m for m in methods.values() if m["Properties"]["HttpMethod"] == "OPTIONS"]
    assert options
    for method in methods.values():
        if method["Properties"]["HttpMethod"] != "OPTIONS":
            assert method["Properties"]["ApiKeyRequired"] is True


def test_cognito_and_lambda_authorizers():
    app, stack = service_stack()
    pool = cognito.UserPool(stack, "Pool")
    api = ApiFrontDoor(stack, "Cognito", authorization="cognito", user_pools=[pool])
    api.add_queue_route("/a", sqs.Queue(stack, "Q1", enforce_ssl=True))
    authorizer = lambda_.Function(
        stack, "Auth", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14
    )
    api2 = ApiFrontDoor(stack, "Token", authorization="lambda", authorizer_function=authorizer)
    api2.add_queue_route("/b", sqs.Queue(stack, "Q2", enforce_ssl=True))
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ApiGateway::Method", {"AuthorizationType": "COGNITO_USER_POOLS"}
    )
    template.has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "CUSTOM"})


def test_public_api_by_explicit_choice():
    app, stack = service_stack()
    api = ApiFrontDoor(stack, "Public", authorization="none")
    api.add_queue_route("/hooks", sqs.Queue(stack, "Q", enforce_ssl=True))
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApiGateway::Method", {"AuthorizationType": "NONE"}
    )


def test_an_api_without_routes_fails_synth():
    app, stack = service_stack()
    ApiFrontDoor(stack, "Empty")
    with pytest.raises(RuntimeError, match="has no routes"):
        app.synth()


@pytest.fixture
def api_only():
    app, stack = service_stack()
    return stack, ApiFrontDoor(stack, "Api")


@pytest.mark.parametrize(
    ("path", "match"),
    [
        ("orders", r"invalid path='orders'; allowed: a path starting with '/'"),
        ("/orders/$bad", r"invalid path='/orders/\$bad'; allowed: segments"),
        ("/{proxy+}/x", r"invalid path="),
        ("/a b", r"invalid path='/a b'"),
    ],
)
def test_bad_paths(api_only, path, match):
    stack, api = api_only
    with pytest.raises(ValueError, match=match):
        api.add_queue_route(path, sqs.Queue(stack, "Q", enforce_ssl=True))


def test_same_method_on_same_path_twice(api_only):
    stack, api = api_only
    queue = sqs.Queue(stack, "Q", enforce_ssl=True)
    api.add_queue_route("/orders", queue)
    with pytest.raises(
        ValueError, match=r"invalid methods='POST /orders'; allowed: each method once per path"
    ):
        api.add_queue_route("/orders/", queue)


def test_unknown_http_method(api_only):
    stack, api = api_only
    with pytest.raises(ValueError, match=r"invalid methods='FETCH'"):
        api.add_queue_route("/x", sqs.Queue(stack, "Q", enforce_ssl=True), method="FETCH")


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        ("not a schema", r"invalid request_schema='not a schema'; expected Mapping"),
        ({"type": "string"}, r'the top level needs "type": "object"'),
        (
            {"type": "object", "properties": {"a": {"type": "text"}}},
            r"request_schema.properties.a.type 'text'",
        ),
        ({"type": "object", "required": "a"}, r"request_schema.required is not a list"),
        ({"type": "object", "properties": []}, r"properties is not a mapping"),
    ],
)
def test_bad_request_schema(api_only, schema, match):
    stack, api = api_only
    with pytest.raises(ValueError, match=match):
        api.add_queue_route("/x", sqs.Queue(stack, "Q", enforce_ssl=True), request_schema=schema)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"throttling_rate_limit": 0},
            r"invalid throttling_rate_limit=0; allowed: a number of requests per second > 0",
        ),
        ({"throttling_rate_limit": -5}, r"invalid throttling_rate_limit=-5"),
        ({"throttling_burst_limit": 0}, r"invalid throttling_burst_limit=0"),
        (
            {"throttling_rate_limit": 100, "throttling_burst_limit": 50},
            r"invalid throttling_burst_limit=50; allowed: at least the rate \(100\)",
        ),
        (
            {"authorization": "oauth"},
            r"invalid authorization='oauth'; allowed: one of 'iam', 'cognito', 'lambda', 'none'",
        ),
        ({"authorization": "cognito"}, r"invalid user_pools=\(\)"),
        ({"authorization": "lambda"}, r"invalid authorizer_function=None"),
        ({"stage_name": "v-1"}, r"invalid stage_name='v-1'"),
        (
            {"usage_plan": UsagePlanOptions(rate_limit=10, burst_limit=5)},
            r"invalid usage_plan.burst_limit=5",
        ),
        ({"error_rate_threshold": 5}, r"invalid error_rate_threshold=5"),
    ],
)
def test_bad_input(kwargs, match):
    app, stack = service_stack()
    with pytest.raises(ValueError, match=match):
        ApiFrontDoor(stack, "Api", **kwargs)


def test_bad_targets(api_only):
    stack, api = api_only
    with pytest.raises(ValueError, match=r"invalid target="):
        api.add_lambda_route("/x", "not a function")
    with pytest.raises(ValueError, match=r"invalid queue="):
        api.add_queue_route("/y", object())
    with pytest.raises(ValueError, match=r"invalid service="):
        api.add_service_route("/z", object())


def test_compliance(full):
    app, _, _, _, _, _, _ = full
    synth_compliant(app)


def test_snapshot(full, snapshot_json):
    _, _, template, _, _, _, _ = full
    assert normalize(template.to_json()) == snapshot_json


def test_rest_api_overrides():
    app, stack = service_stack()
    api = ApiFrontDoor(stack, "Api", rest_api_overrides={"binary_media_types": ["image/png"]})
    api.add_queue_route("/q", sqs.Queue(stack, "Q", enforce_ssl=True))
    Template.from_stack(stack).has_resource_properties(
        "AWS::ApiGateway::RestApi", {"BinaryMediaTypes": ["image/png"]}
    )
    with pytest.raises(
        ValueError, match=r"invalid rest_api_overrides=.*\['cloud_watch_role', 'deploy_options'\]"
    ):
        ApiFrontDoor(
            stack, "Bad", rest_api_overrides={"cloud_watch_role": True, "deploy_options": None}
        )
