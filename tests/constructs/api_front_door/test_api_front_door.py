"""ApiFrontDoor: stage settings, authorization on every method, and the three route kinds."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    ApiFrontDoor,
    Authorization,
    CanaryFunction,
    DecoupledWorker,
    FargateService,
    InvalidPropError,
    InvalidPropTypeError,
    Route,
    UsagePlanOptions,
    WorkerConsumer,
    acknowledge,
)
from tests.cdk_support import (
    ENV,
    ServiceApp,
    get_att,
    logical_id,
    ref,
    scenarios,
    service_app,
)

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


def bare_stack() -> cdk.Stack:
    """A stack without a platform: props are checked before anything reads the platform."""
    return service_app(env=ENV, platform=False).stack


@dataclass(frozen=True)
class FullApi:
    """An API with all three route kinds, synthesized once behind the compliance gates."""

    built: ServiceApp
    template: Template
    api: ApiFrontDoor
    canary: CanaryFunction
    worker: DecoupledWorker
    catalog: FargateService


@pytest.fixture(scope="module")
def full() -> FullApi:
    built = service_app(env=ENV, cfn_lint=True)
    stack = built.stack
    canary = CanaryFunction(stack, "CreateOrder", code=CODE, handler="index.handler")
    worker = DecoupledWorker(stack, "Bulk", consumer=WorkerConsumer.code(CODE, "index.handler"))
    catalog = FargateService(stack, "Catalog", image=ecs.ContainerImage.from_registry(IMAGE))
    api = ApiFrontDoor(stack, "Api")
    api.add_route("/orders", Route.function(canary), methods=("POST",), request_schema=ORDER_SCHEMA)
    api.add_route("/orders/bulk", Route.queue(worker))
    api.add_route("/catalog", Route.service(catalog))
    templates = built.gate()
    return FullApi(built, Template.from_json(templates["Service"]), api, canary, worker, catalog)


def test_stage_logging_tracing_throttling(full):
    template = full.template
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "StageName": "v1",
            "TracingEnabled": True,
            "AccessLogSetting": {
                "DestinationArn": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:aws:logs:eu-west-1:",
                            {"Ref": "AWS::AccountId"},
                            ":log-group:",
                            ref(full.api.access_log_group),
                        ],
                    ]
                },
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
    log_group = template.find_resources("AWS::Logs::LogGroup")[
        logical_id(full.api.access_log_group)
    ]
    assert log_group["Properties"]["RetentionInDays"] == 30
    assert "KmsKeyId" in log_group["Properties"]


def test_access_log_format_is_json(full):
    (stage,) = full.template.find_resources("AWS::ApiGateway::Stage").values()
    document = json.loads(stage["Properties"]["AccessLogSetting"]["Format"])
    assert {"requestId", "ip", "user", "caller", "httpMethod", "resourcePath", "status"} <= set(
        document
    )


def test_no_account_resource_is_created_by_the_api(full):
    full.template.resource_count_is("AWS::ApiGateway::Account", 0)


def test_every_method_is_iam_authorized(full):
    methods = full.template.find_resources("AWS::ApiGateway::Method")
    assert len(methods) == 4
    for method in methods.values():
        assert method["Properties"]["AuthorizationType"] == "AWS_IAM"


def test_lambda_route_goes_through_the_alias(full):
    template = full.template
    alias_id = logical_id(full.canary.alias)
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
    template = full.template
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
    template = full.template
    policies = [
        p
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "OrdersBulkPOSTRole" in json.dumps(p["Properties"]["Roles"])
    ]
    (policy,) = policies
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    send = [s for s in statements if s["Action"] == "sqs:SendMessage"]
    assert send == [
        {
            "Action": "sqs:SendMessage",
            "Effect": "Allow",
            "Resource": get_att(full.worker.queue),
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
    template = full.template
    template.resource_count_is("AWS::ApiGatewayV2::VpcLink", 1)
    # AWS API Gateway developer guide, "Set up a private integration": a VPC link v2
    # integration targets the load balancer's ARN (an ALB's Ref), the Uri names the port
    balancer = full.catalog.load_balancer
    template.has_resource_properties(
        "AWS::ApiGateway::Method",
        {
            "Integration": Match.object_like(
                {
                    "Type": "HTTP_PROXY",
                    "ConnectionType": "VPC_LINK",
                    "ConnectionId": {"Ref": Match.string_like_regexp("VpcLink")},
                    "IntegrationTarget": ref(balancer),
                    "Uri": {
                        "Fn::Join": ["", ["http://", get_att(balancer, "DNSName"), ":80/catalog"]]
                    },
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


def test_alarms_notify_the_platform_topic(full):
    template = full.template
    assert len(full.api.alarms) == 2
    topic = full.built.alarm_topic_ref()
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "MetricName": "5XXError",
            "Statistic": "Average",
            "Threshold": 0.05,
            "AlarmActions": [topic],
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {"MetricName": "Latency", "ExtendedStatistic": "p99", "AlarmActions": [topic]},
    )


WEB_ACL = "arn:aws:wafv2:eu-west-1:111122223333:regional/webacl/orders/1234"


def _usage_plan_waf_and_cors(stack):
    api = ApiFrontDoor(
        stack,
        "Api",
        usage_plan=UsagePlanOptions(rate_limit=10, burst_limit=20),
        web_acl_arn=WEB_ACL,
        cors=cdk.aws_apigateway.CorsOptions(allow_origins=["https://shop.example.com"]),
    )
    api.add_route("/orders/bulk", Route.queue(sqs.Queue(stack, "Q", enforce_ssl=True)))


def _authorizers(stack):
    pool = cognito.UserPool(stack, "Pool")
    api = ApiFrontDoor(stack, "Cognito", authorization=Authorization.cognito([pool]))
    api.add_route("/a", Route.queue(sqs.Queue(stack, "Q1", enforce_ssl=True)))
    authorizer = lambda_.Function(
        stack, "Auth", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14
    )
    api2 = ApiFrontDoor(stack, "Token", authorization=Authorization.token(authorizer))
    api2.add_route("/b", Route.queue(sqs.Queue(stack, "Q2", enforce_ssl=True)))
    return pool


PUBLIC_REASON = "Webhooks from a partner that signs its bodies; the worker checks the signature."


def _public(stack):
    api = ApiFrontDoor(stack, "Public", authorization=Authorization.none(reason=PUBLIC_REASON))
    api.add_route("/hooks", Route.queue(sqs.Queue(stack, "Q", enforce_ssl=True)))


def _overridden(stack):
    api = ApiFrontDoor(stack, "Api", rest_api_overrides={"binary_media_types": ["image/png"]})
    api.add_route("/q", Route.queue(sqs.Queue(stack, "Q", enforce_ssl=True)))


@pytest.fixture(scope="module")
def variants():
    """APIs with one option each, beside one platform, synthesized once."""
    return scenarios(
        {
            "UsagePlanWafCors": _usage_plan_waf_and_cors,
            "Authorizers": _authorizers,
            "Public": _public,
            "Overridden": _overridden,
        },
        env=ENV,
    )


def test_usage_plan_waf_and_cors(variants):
    template = variants.templates["UsagePlanWafCors"]
    template.has_resource_properties(
        "AWS::ApiGateway::UsagePlan", {"Throttle": {"RateLimit": 10, "BurstLimit": 20}}
    )
    template.resource_count_is("AWS::ApiGateway::ApiKey", 1)
    template.has_resource_properties("AWS::WAFv2::WebACLAssociation", {"WebACLArn": WEB_ACL})
    methods = template.find_resources("AWS::ApiGateway::Method")
    options = [m for m in methods.values() if m["Properties"]["HttpMethod"] == "OPTIONS"]
    assert len(options) == 3  # the root, /orders and /orders/bulk answer preflight requests
    for method in methods.values():
        if method["Properties"]["HttpMethod"] != "OPTIONS":
            assert method["Properties"]["ApiKeyRequired"] is True


def test_cognito_and_lambda_authorizers(variants):
    pool = variants["Authorizers"]
    template = variants.templates["Authorizers"]
    template.has_resource_properties(
        "AWS::ApiGateway::Method", {"AuthorizationType": "COGNITO_USER_POOLS"}
    )
    template.has_resource_properties(
        "AWS::ApiGateway::Authorizer",
        {"Type": "COGNITO_USER_POOLS", "ProviderARNs": [get_att(pool)]},
    )
    template.has_resource_properties("AWS::ApiGateway::Method", {"AuthorizationType": "CUSTOM"})
    template.has_resource_properties("AWS::ApiGateway::Authorizer", {"Type": "TOKEN"})


def test_public_api_by_explicit_choice(variants):
    variants.templates["Public"].has_resource_properties(
        "AWS::ApiGateway::Method", {"AuthorizationType": "NONE"}
    )


def test_an_api_without_routes_fails_synth():
    stack = bare_stack()
    ApiFrontDoor(stack, "Empty")
    with pytest.raises(RuntimeError, match="has no routes"):
        cdk.App.of(stack).synth()


@dataclass(frozen=True)
class ApiOnly:
    stack: cdk.Stack
    api: ApiFrontDoor

    def queue(self) -> sqs.Queue:
        return sqs.Queue(self.stack, "Q", enforce_ssl=True)


@pytest.fixture
def api_only() -> ApiOnly:
    stack = bare_stack()
    return ApiOnly(stack, ApiFrontDoor(stack, "Api"))


@pytest.mark.parametrize("path", ["orders", "/orders/$bad", "/{proxy+}/x", "/a b"])
def test_bad_paths(api_only, path):
    with pytest.raises(InvalidPropError) as error:
        api_only.api.add_route(path, Route.queue(api_only.queue()))
    assert (error.value.prop, error.value.value) == ("path", path)


def test_bad_path_message(api_only):
    with pytest.raises(
        InvalidPropError,
        match=r"ApiFrontDoor 'Api': invalid path='orders'; allowed: a path starting with '/'",
    ):
        api_only.api.add_route("orders", Route.queue(api_only.queue()))


def test_same_method_on_same_path_twice(api_only):
    queue = api_only.queue()
    api_only.api.add_route("/orders", Route.queue(queue))
    with pytest.raises(InvalidPropError) as error:
        api_only.api.add_route("/orders/", Route.queue(queue))
    assert (error.value.prop, error.value.value) == ("methods", "POST /orders")


def test_unknown_http_method(api_only):
    with pytest.raises(InvalidPropError) as error:
        api_only.api.add_route("/x", Route.queue(api_only.queue()), methods=("FETCH",))
    assert (error.value.prop, error.value.value) == ("methods", "FETCH")


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ("not a schema", "expected Mapping"),
        ({"type": "string"}, 'the top level needs "type": "object"'),
        (
            {"type": "object", "properties": {"a": {"type": "text"}}},
            "request_schema.properties.a.type 'text'",
        ),
        ({"type": "object", "required": "a"}, "request_schema.required is not a list"),
        ({"type": "object", "properties": []}, "properties is not a mapping"),
    ],
)
def test_bad_request_schema(api_only, schema, where):
    with pytest.raises(InvalidPropError) as error:
        api_only.api.add_route("/x", Route.queue(api_only.queue()), request_schema=schema)
    assert error.value.prop == "request_schema"
    assert where in error.value.allowed  # which part of the schema is wrong


@pytest.mark.parametrize(
    ("kwargs", "prop", "value"),
    [
        ({"throttling_rate_limit": 0}, "throttling_rate_limit", 0),
        ({"throttling_rate_limit": -5}, "throttling_rate_limit", -5),
        ({"throttling_burst_limit": 0}, "throttling_burst_limit", 0),
        (
            {"throttling_rate_limit": 100, "throttling_burst_limit": 50},
            "throttling_burst_limit",
            50,
        ),
        ({"authorization": "iam"}, "authorization", "iam"),
        ({"stage_name": "v-1"}, "stage_name", "v-1"),
        (
            {"usage_plan": UsagePlanOptions(rate_limit=10, burst_limit=5)},
            "usage_plan.burst_limit",
            5,
        ),
        ({"server_error_rate_alarm_threshold": 5}, "server_error_rate_alarm_threshold", 5),
    ],
)
def test_bad_input(kwargs, prop, value):
    with pytest.raises(InvalidPropError) as error:
        ApiFrontDoor(bare_stack(), "Api", **kwargs)
    assert (error.value.prop, error.value.value) == (prop, value)


def test_bad_input_message():
    with pytest.raises(
        InvalidPropError,
        match=r"ApiFrontDoor 'Api': invalid throttling_burst_limit=50; allowed: at least the "
        r"rate \(100\)",
    ):
        ApiFrontDoor(bare_stack(), "Api", throttling_rate_limit=100, throttling_burst_limit=50)


def test_bad_targets(api_only):
    for make, value in (
        (Route.function, "not a function"),
        (Route.queue, "https://sqs.eu-west-1.amazonaws.com/1/q"),
        (Route.service, object()),
    ):
        with pytest.raises(InvalidPropTypeError) as error:
            make(value)
        assert (error.value.prop, error.value.value) == ("target", value)
    with pytest.raises(InvalidPropTypeError) as error:
        api_only.api.add_route("/x", api_only.queue())
    assert error.value.prop == "target"
    assert "RouteTarget" in error.value.allowed


@pytest.mark.parametrize(
    ("make", "owner", "prop", "value"),
    [
        (lambda: Authorization.cognito([]), "Authorization.cognito()", "user_pools", ()),
        (lambda: Authorization.cognito(["pool"]), "Authorization.cognito()", "user_pools", "pool"),
        (lambda: Authorization.token("fn"), "Authorization.token()", "function", "fn"),
        (lambda: Authorization.none(reason=""), "Authorization.none()", "reason", ""),
        (lambda: Authorization.none(reason="  "), "Authorization.none()", "reason", "  "),
        (lambda: Authorization("oauth"), "Authorization", "kind", "oauth"),
    ],
)
def test_bad_authorization(make, owner, prop, value):
    with pytest.raises(InvalidPropError) as error:
        make()
    assert (error.value.owner, error.value.prop, error.value.value) == (owner, prop, value)


def test_paths_with_the_same_name_are_rejected(api_only):
    """What a route creates is named after its path's words: two paths may not share them."""
    queue = api_only.queue()
    api_only.api.add_route("/orders/bulk", Route.queue(queue))
    with pytest.raises(InvalidPropError) as error:
        api_only.api.add_route("/orders-bulk", Route.queue(queue))
    assert (error.value.prop, error.value.value) == ("path", "/orders-bulk")
    assert "/orders/bulk's (OrdersBulk)" in error.value.allowed
    assert api_only.api.routes == [("/orders/bulk", "POST")]  # nothing added


def test_methods_default_to_the_target_kind(api_only):
    function = lambda_.Function(
        api_only.stack, "F", code=CODE, handler="index.handler", runtime=lambda_.Runtime.PYTHON_3_14
    )
    api_only.api.add_route("/q", Route.queue(api_only.queue()))
    api_only.api.add_route("/f", Route.function(function))
    assert api_only.api.routes == [("/q", "POST"), ("/f", "GET")]


def test_snapshot(full, template_snapshot):
    assert full.template == template_snapshot


def test_rest_api_overrides(variants):
    variants.templates["Overridden"].has_resource_properties(
        "AWS::ApiGateway::RestApi", {"BinaryMediaTypes": ["image/png"]}
    )
    with pytest.raises(
        InvalidPropError, match=r"\['cloud_watch_role', 'deploy_options'\]"
    ) as error:
        ApiFrontDoor(
            bare_stack(),
            "Bad",
            rest_api_overrides={"cloud_watch_role": True, "deploy_options": None},
        )
    assert error.value.prop == "rest_api_overrides"


@dataclass(frozen=True)
class PerRoute:
    api: ApiFrontDoor
    authorizer: CanaryFunction
    template: Template


@pytest.fixture(scope="module")
def per_route() -> PerRoute:
    """Authorization chosen per route (and a service route with a schema), behind the gates."""

    def build(stack: cdk.Stack) -> tuple[ApiFrontDoor, CanaryFunction]:
        queue = sqs.Queue(stack, "Q", enforce_ssl=True)
        acknowledge(queue, "AwsSolutions-SQS3", "A test queue: what reaches it is not kept.")
        catalog = FargateService(stack, "Catalog", image=ecs.ContainerImage.from_registry(IMAGE))
        authorizer = CanaryFunction(stack, "Authorizer", code=CODE, handler="index.handler")
        pool = cognito.UserPool.from_user_pool_id(stack, "Pool", "eu-west-1_example")
        api = ApiFrontDoor(stack, "Api")
        api.add_route(
            "/catalog", Route.service(catalog), methods=("POST",), request_schema=ORDER_SCHEMA
        )
        api.add_route(
            "/hooks", Route.queue(queue), authorization=Authorization.none(reason=PUBLIC_REASON)
        )
        api.add_route("/me", Route.queue(queue), authorization=Authorization.cognito([pool]))
        token = Authorization.token(authorizer)
        api.add_route("/a", Route.queue(queue), authorization=token)
        api.add_route("/b", Route.queue(queue), authorization=Authorization.token(authorizer))
        return api, authorizer

    built = scenarios({"PerRoute": build}, env=ENV, gated=True)
    api, authorizer = built["PerRoute"]
    return PerRoute(api, authorizer, built.templates["PerRoute"])


def _methods_by_path(template: Template) -> dict[str, dict[str, object]]:
    resources = template.find_resources("AWS::ApiGateway::Resource")
    paths = {logical: r["Properties"]["PathPart"] for logical, r in resources.items()}
    found = {}
    for method in template.find_resources("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        resource = props["ResourceId"].get("Ref")
        found[f"{props['HttpMethod']} {paths.get(resource, resource)}"] = props
    return found


def test_authorization_per_route(per_route):
    methods = _methods_by_path(per_route.template)
    assert methods["POST catalog"]["AuthorizationType"] == "AWS_IAM"  # the API's default
    assert methods["POST hooks"]["AuthorizationType"] == "NONE"
    assert methods["POST me"]["AuthorizationType"] == "COGNITO_USER_POOLS"
    assert methods["POST a"]["AuthorizationType"] == "CUSTOM"
    # one token authorizer for one function, however many routes (or objects) use it
    assert methods["POST a"]["AuthorizerId"] == methods["POST b"]["AuthorizerId"]
    per_route.template.resource_count_is("AWS::ApiGateway::Authorizer", 2)
    (token,) = [
        a
        for a in per_route.template.find_resources("AWS::ApiGateway::Authorizer").values()
        if a["Properties"]["Type"] == "TOKEN"
    ]
    assert logical_id(per_route.authorizer.alias) in json.dumps(token["Properties"])


def test_a_service_route_takes_a_request_schema(per_route):
    models = per_route.template.find_resources("AWS::ApiGateway::Model")
    (model_id,) = models
    assert model_id.startswith("ApiCatalogPOSTModel")
    methods = _methods_by_path(per_route.template)
    for path in ("catalog", "{proxy+}"):
        assert methods[f"POST {path}"]["RequestModels"] == {"application/json": {"Ref": model_id}}
        assert "RequestValidatorId" in methods[f"POST {path}"]
