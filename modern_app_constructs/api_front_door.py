"""ApiFrontDoor: one API Gateway REST API in front of the service."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct, IValidation

from ._alarms import create_alarm
from ._checkov import skip_checkov
from ._logs import create_log_group
from ._monitoring import PERIOD, MetricGraph
from ._nag import acknowledge
from ._overrides import merge_overrides
from ._platform import IPlatformEnvironment, is_standalone, resolve_platform
from ._routes import (
    METHOD_RESPONSES,
    RoutePlan,
    lambda_integration,
    plan_route,
    queue_integration,
    resolve_lambda_target,
    resolve_queue_target,
    resolve_service_target,
    service_integration,
    use_vpc_link,
    warn_if_canary_bypassed,
)
from ._typecheck import check_field_types, check_prop_types
from ._validation import InvalidPropError, check_choice
from ._warnings import warn
from .canary_function import CanaryFunction
from .decoupled_worker import DecoupledWorker
from .fargate_service import FargateService

__all__ = ["AUTHORIZATION_MODES", "ApiFrontDoor", "UsagePlanOptions"]

#: Authorization modes every method can use; ``"none"`` only by explicit choice.
AUTHORIZATION_MODES = ("iam", "cognito", "lambda", "none")
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_]{1,128}$")
#: RestApi props the construct owns, with the reason (overriding them is rejected).
_PROTECTED_API_PROPS = {
    "cloud_watch_role": "the PlatformEnvironment owns the account-level logging role",
    "cloud_watch_role_removal_policy": "no account role is created here",
    "deploy": "the stage is always deployed",
    "deploy_options": "stage_name=, throttling_*=; logging and tracing stay on",
    "default_method_options": "authorization=",
    "default_cors_preflight_options": "cors=",
    "rest_api_name": "api_name=",
    "description": "generated",
}


@dataclass(frozen=True)
class UsagePlanOptions:
    """A usage plan with one API key; every method then requires an API key.

    Attributes:
        rate_limit: steady-state requests per second per key. Default: 50.
        burst_limit: burst per key. Default: 100.
        quota_per_day: requests per key and day. Default: 100000.
    """

    rate_limit: float = 50
    burst_limit: int = 100
    quota_per_day: int = 100_000

    def __post_init__(self) -> None:
        check_field_types(self)


@jsii.implements(IValidation)
class _HasRoutes:
    def __init__(self, front_door: ApiFrontDoor) -> None:
        self._front_door = front_door

    def validate(self) -> list[str]:
        if self._front_door.routes:
            return []
        return [
            f"ApiFrontDoor '{self._front_door.node.id}' has no routes: add one with "
            "add_lambda_route, add_service_route or add_queue_route"
        ]


class ApiFrontDoor(Construct):
    """One regional API Gateway REST API, the front door of a service.

    Routes reach a Lambda function through its alias (traffic follows a ``CanaryFunction``'s
    canary), a ``FargateService`` privately through a VPC link (its load balancer stays
    internal), or an SQS queue directly (no Lambda in between). The stage writes JSON access
    logs, traces with X-Ray, throttles, and every method is authorized.

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        api_name: Default: the construct's unique id.
        stage_name: letters, digits, ``_``. Default: ``"v1"``.
        authorization: ``"iam"``, ``"cognito"`` (needs ``user_pools``), ``"lambda"`` (needs
            ``authorizer_function``) or ``"none"`` (public API; a deliberate choice that
            cdk-nag reports until you acknowledge it). Default: ``"iam"``.
        user_pools: Cognito user pools for ``"cognito"``. Default: none.
        authorizer_function: a token authorizer for ``"lambda"``. Default: none.
        throttling_rate_limit: requests per second per method, > 0. Default: 100.
        throttling_burst_limit: burst per method, >= the rate. Default: 200.
        usage_plan: a usage plan with an API key required on every method. Default: none.
        web_acl_arn: a WAFv2 web ACL associated with the stage. Default: none.
        cors: CORS preflight options. Default: no CORS.
        error_rate_threshold: 5XX error rate (0..1) that alarms. Default: 0.05.
        latency_threshold: p99 latency that alarms. Default: 2 seconds.
        rest_api_overrides: other ``apigateway.RestApi`` props (e.g. ``binary_media_types``,
            ``min_compression_size``, ``policy``, ``endpoint_types``); the stage, logging and
            authorization props are owned by the construct and rejected. Default: none.
        platform: the :class:`IPlatformEnvironment` (key, alarm topic, retention). Default:
            the app's platform environment, if any; standalone otherwise.

    Attributes:
        api: the ``apigateway.RestApi``.
        stage: its deployment stage.
        url: the stage URL.
        access_log_group: where access logs go.
        alarms: 5XX error rate and p99 latency.
        routes: ``(path, method)`` pairs added so far.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api_name: str | None = None,
        stage_name: str = "v1",
        authorization: str = "iam",
        user_pools: Sequence[cognito.IUserPool] = (),
        authorizer_function: lambda_.IFunction | None = None,
        throttling_rate_limit: float = 100,
        throttling_burst_limit: int = 200,
        usage_plan: UsagePlanOptions | None = None,
        web_acl_arn: str | None = None,
        cors: apigateway.CorsOptions | None = None,
        error_rate_threshold: float = 0.05,
        latency_threshold: cdk.Duration | None = None,
        rest_api_overrides: Mapping[str, Any] | None = None,
        platform: IPlatformEnvironment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"ApiFrontDoor '{construct_id}'"
        self._owner = owner
        # validate
        check_choice(owner, "authorization", authorization, AUTHORIZATION_MODES)
        if authorization == "cognito" and not user_pools:
            raise InvalidPropError(
                owner,
                "user_pools",
                user_pools,
                "allowed: at least one user pool with authorization='cognito'",
            )
        if authorization == "lambda" and authorizer_function is None:
            raise InvalidPropError(
                owner,
                "authorizer_function",
                None,
                "allowed: a function with authorization='lambda'",
            )
        if not isinstance(stage_name, str) or not _STAGE_NAME.match(stage_name):
            raise InvalidPropError(
                owner, "stage_name", stage_name, "allowed: 1-128 letters, digits and '_'"
            )
        _check_throttling(
            owner,
            "throttling_rate_limit",
            "throttling_burst_limit",
            throttling_rate_limit,
            throttling_burst_limit,
        )
        if usage_plan is not None:
            _check_throttling(
                owner,
                "usage_plan.rate_limit",
                "usage_plan.burst_limit",
                usage_plan.rate_limit,
                usage_plan.burst_limit,
            )
        if not 0 < error_rate_threshold <= 1:
            raise InvalidPropError(
                owner, "error_rate_threshold", error_rate_threshold, "allowed: a rate in (0, 1]"
            )

        api_props = merge_overrides(
            owner,
            "rest_api_overrides",
            apigateway.RestApi.__init__,
            {"endpoint_types": [apigateway.EndpointType.REGIONAL]},
            rest_api_overrides,
            _PROTECTED_API_PROPS,
        )

        # resolve defaults
        env = resolve_platform(self, platform)
        self._authorization = authorization
        self.routes: list[tuple[str, str]] = []
        self._vpc_links: dict[str, apigatewayv2.VpcLink] = {}
        self._vpc_link_security_groups: dict[str, ec2.SecurityGroup] = {}
        self._queue_routes = 0

        # create children
        self.access_log_group = create_log_group(self, "AccessLogs", platform=env)
        self.api = apigateway.RestApi(
            self,
            "Api",
            rest_api_name=api_name or cdk.Names.unique_id(self),
            description=f"Front door of {self.node.path}",
            cloud_watch_role=False,
            deploy=True,
            deploy_options=apigateway.StageOptions(
                stage_name=stage_name,
                access_log_destination=apigateway.LogGroupLogDestination(self.access_log_group),
                access_log_format=apigateway.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigateway.MethodLoggingLevel.INFO,
                data_trace_enabled=False,
                tracing_enabled=True,
                metrics_enabled=True,
                throttling_rate_limit=throttling_rate_limit,
                throttling_burst_limit=throttling_burst_limit,
            ),
            default_method_options=self._method_options(
                authorization, user_pools, authorizer_function, usage_plan is not None
            ),
            default_cors_preflight_options=cors,
            **api_props,
        )
        self.stage: apigateway.Stage = self.api.deployment_stage
        skip_checkov(
            self.stage,
            "CKV_AWS_120",
            "No stage cache: a cache is a paid, always-on cluster, and the routes are writes "
            "(Lambda, SQS) or a proxy to a live service whose answers must not be served stale.",
        )
        self.url: str = self.api.url
        self._validator = apigateway.RequestValidator(
            self,
            "RequestValidator",
            rest_api=self.api,
            validate_request_body=True,
            validate_request_parameters=True,
        )
        if usage_plan is not None:
            self._build_usage_plan(usage_plan)
        if web_acl_arn is not None:
            wafv2.CfnWebACLAssociation(
                self, "WebAcl", resource_arn=self.stage.stage_arn, web_acl_arn=web_acl_arn
            )

        # expose
        self.alarms: list[cloudwatch.IAlarm] = [
            create_alarm(
                self,
                "ServerErrorRate",
                metric=self.metric_server_error_rate(),
                threshold=error_rate_threshold,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"5XX error rate above {error_rate_threshold:.0%}",
                platform=env,
            ),
            create_alarm(
                self,
                "LatencyP99",
                metric=self.metric_latency(),
                threshold=(latency_threshold or cdk.Duration.seconds(2)).to_milliseconds(),
                evaluation_periods=3,
                datapoints_to_alarm=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description="p99 latency too high",
                platform=env,
            ),
        ]
        self.node.add_validation(_HasRoutes(self))
        self._acknowledge(authorization, web_acl_arn)
        env.apply_tags(self)
        if is_standalone(env):
            warn(
                self,
                "execution-logging-without-account-role",
                "The stage logs executions, which needs the account-level API Gateway "
                "CloudWatch Logs role (AWS::ApiGateway::Account) in this account and region; "
                "without a platform environment none is created here and the deployment fails "
                "where the account has none. Create a PlatformEnvironment (it creates the role "
                "once per account) or set the role up yourself.",
            )

    # ------------------------------------------------------------------ routes

    @check_prop_types
    def add_lambda_route(
        self,
        path: str,
        target: CanaryFunction | lambda_.IFunction,
        methods: Sequence[str] = ("GET",),
        request_schema: Mapping[str, Any] | None = None,
    ) -> list[apigateway.Method]:
        """Route ``methods`` on ``path`` to a Lambda function (proxy integration).

        Args:
            path: e.g. ``"/orders"`` or ``"/orders/{id}"``.
            target: a ``CanaryFunction`` (integrated through its alias, so traffic follows the
                canary) or any Lambda ``IFunction``.
            methods: HTTP methods. Default: ``("GET",)``.
            request_schema: a JSON Schema (draft 4) object the body must match. Default: none.

        Raises:
            InvalidPropError: a bad path, method or schema, or a route that exists; nothing is
                added to the API then.
        """
        plan = plan_route(self._owner, path, methods, self.routes, request_schema)
        function = resolve_lambda_target(self._owner, target)
        warn_if_canary_bypassed(self, "target", target)
        resource, model = self._claim(plan)
        integration = lambda_integration(function)
        return [self._add_method(resource, method, integration, model) for method in plan.methods]

    @check_prop_types
    def add_service_route(
        self,
        path: str,
        service: FargateService,
        methods: Sequence[str] = ("GET",),
        *,
        strip_prefix: bool = False,
    ) -> list[apigateway.Method]:
        """Route ``methods`` on ``path`` and ``path/{proxy+}`` to a ``FargateService`` privately.

        API Gateway reaches the service's internal load balancer through a VPC link (v2) in
        the service's VPC (one link per VPC, shared by every service route of this API): over
        HTTPS to ``https://<service.domain_name>`` when the service has a certificate (API
        Gateway verifies it against that name), else over HTTP inside the VPC.

        Args:
            path: e.g. ``"/catalog"``; ``/catalog`` and everything below it are routed.
            service: the ``FargateService``.
            methods: HTTP methods, on both the path and everything below it.
                Default: ``("GET",)``.
            strip_prefix: forward ``/catalog/items/1`` as ``/items/1`` (and ``/catalog`` as
                ``/``). Default: False: the container receives the path unchanged.

        Raises:
            InvalidPropError: a bad path or method, a route that exists, or a service with a
                certificate but no ``domain_name``; nothing is added to the API then.
        """
        plan = plan_route(self._owner, path, methods, self.routes, greedy_child=True)
        target = resolve_service_target(self._owner, service)
        proxy_plan = plan.child("{proxy+}")
        link = self._vpc_link(target.vpc)
        target.listener.connections.allow_default_port_from(
            self._vpc_link_security_groups[link.node.id], "API Gateway VPC link"
        )
        prefix = "" if strip_prefix else plan.path.rstrip("/")
        # Both resources first, then the methods: the order feeds the deployment's logical id.
        claimed = [
            (self._claim(route)[0], route, proxy)
            for route, proxy in ((plan, False), (proxy_plan, True))
        ]
        added = []
        for resource, route, proxy in claimed:
            upstream = prefix if proxy or prefix else "/"
            for method in route.methods:
                integration = service_integration(target, method, upstream, proxy=proxy)
                created = resource.add_method(
                    method,
                    integration,
                    request_parameters={"method.request.path.proxy": True} if proxy else None,
                )
                use_vpc_link(created, link, target.load_balancer)
                added.append(created)
        return added

    @check_prop_types
    def add_queue_route(
        self,
        path: str,
        queue: DecoupledWorker | sqs.IQueue,
        method: str = "POST",
        request_schema: Mapping[str, Any] | None = None,
    ) -> apigateway.Method:
        """Send the request body straight to an SQS queue (no Lambda); answers 202 + message id.

        Args:
            path: e.g. ``"/orders/bulk"``.
            queue: a ``DecoupledWorker`` (its queue) or any SQS ``IQueue``.
            method: Default: ``"POST"``.
            request_schema: a JSON Schema (draft 4) object the body must match. Default: none.

        Raises:
            InvalidPropError: a bad path, method or schema, or a route that exists; nothing is
                added to the API then.
        """
        plan = plan_route(self._owner, path, (method,), self.routes, request_schema)
        target = resolve_queue_target(self._owner, queue)
        resource, model = self._claim(plan)
        integration = queue_integration(self, f"QueueRoute{self._queue_routes}Role", path, target)
        self._queue_routes += 1
        return self._add_method(
            resource,
            method,
            integration,
            model,
            method_responses=[
                apigateway.MethodResponse(status_code=code) for code in METHOD_RESPONSES
            ],
        )

    # ---------------------------------------------------------------- metrics

    def metric_requests(self, **props: Any) -> cloudwatch.Metric:
        """Requests (Sum per minute unless overridden)."""
        return self.api.metric_count(**{"period": PERIOD, "statistic": "Sum", **props})

    def metric_client_errors(self, **props: Any) -> cloudwatch.Metric:
        """4XX responses (Sum per minute unless overridden)."""
        return self.api.metric_client_error(**{"period": PERIOD, "statistic": "Sum", **props})

    def metric_server_errors(self, **props: Any) -> cloudwatch.Metric:
        """5XX responses (Sum per minute unless overridden)."""
        return self.api.metric_server_error(**{"period": PERIOD, "statistic": "Sum", **props})

    def metric_server_error_rate(self, **props: Any) -> cloudwatch.Metric:
        """Share of requests answered with 5XX (Average per minute unless overridden)."""
        return self.api.metric_server_error(**{"period": PERIOD, "statistic": "Average", **props})

    def metric_latency(self, **props: Any) -> cloudwatch.Metric:
        """Latency (p99 per minute unless overridden)."""
        return self.api.metric_latency(**{"period": PERIOD, "statistic": "p99", **props})

    # -------------------------------------------------------------- monitoring

    @property
    def dashboard_title(self) -> str:
        """``API <name>``."""
        return f"API {self.api.rest_api_name}"

    def dashboard_graphs(self, period: cdk.Duration = PERIOD) -> list[MetricGraph]:
        """Requests, 4XX, 5XX and p99 latency."""
        return [
            MetricGraph("Requests", [self.metric_requests(period=period)]),
            MetricGraph("4XX errors", [self.metric_client_errors(period=period)]),
            MetricGraph("5XX errors", [self.metric_server_errors(period=period)]),
            MetricGraph("Latency p99", [self.metric_latency(period=period)]),
        ]

    # ---------------------------------------------------------------- helpers

    def _claim(self, plan: RoutePlan) -> tuple[apigateway.IResource, apigateway.IModel | None]:
        """Record ``plan``'s routes, create its resources and its request model."""
        self.routes.extend(plan.routes)
        resource = self.api.root
        for segment in plan.segments:
            resource = resource.get_resource(segment) or resource.add_resource(segment)
        return resource, self._model(plan)

    def _add_method(
        self,
        resource: apigateway.IResource,
        method: str,
        integration: apigateway.Integration,
        model: apigateway.IModel | None,
        method_responses: Sequence[apigateway.MethodResponse] | None = None,
    ) -> apigateway.Method:
        return resource.add_method(
            method,
            integration,
            request_validator=self._validator if model is not None else None,
            request_models={"application/json": model} if model is not None else None,
            method_responses=list(method_responses) if method_responses else None,
        )

    def _model(self, plan: RoutePlan) -> apigateway.IModel | None:
        if plan.request_schema is None:
            return None
        name = "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", plan.path) if part)
        cfn = apigateway.CfnModel(
            self,
            f"{name or 'Root'}Model{len(self.routes)}",
            rest_api_id=self.api.rest_api_id,
            content_type="application/json",
            schema={"$schema": "http://json-schema.org/draft-04/schema#", **plan.request_schema},
        )
        return apigateway.Model.from_model_name(self, f"{cfn.node.id}Ref", cfn.ref)

    def _vpc_link(self, vpc: ec2.IVpc) -> apigatewayv2.VpcLink:
        key = vpc.node.addr
        if key not in self._vpc_links:
            link_id = f"VpcLink{len(self._vpc_links)}"
            security_group = ec2.SecurityGroup(
                self,
                f"{link_id}SecurityGroup",
                vpc=vpc,
                description=f"{self.node.path} VPC link - reaches service load balancers only",
                allow_all_outbound=False,
            )
            self._vpc_link_security_groups[link_id] = security_group
            self._vpc_links[key] = apigatewayv2.VpcLink(
                self,
                link_id,
                vpc=vpc,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                security_groups=[security_group],
            )
        return self._vpc_links[key]

    def _method_options(
        self,
        authorization: str,
        user_pools: Sequence[cognito.IUserPool],
        authorizer_function: lambda_.IFunction | None,
        api_key_required: bool,
    ) -> apigateway.MethodOptions:
        if authorization == "cognito":
            return apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.COGNITO,
                authorizer=apigateway.CognitoUserPoolsAuthorizer(
                    self, "Authorizer", cognito_user_pools=list(user_pools)
                ),
                api_key_required=api_key_required,
            )
        if authorization == "lambda" and authorizer_function is not None:
            return apigateway.MethodOptions(
                authorization_type=apigateway.AuthorizationType.CUSTOM,
                authorizer=apigateway.TokenAuthorizer(
                    self, "Authorizer", handler=authorizer_function
                ),
                api_key_required=api_key_required,
            )
        kind = (
            apigateway.AuthorizationType.IAM
            if authorization == "iam"
            else apigateway.AuthorizationType.NONE
        )
        return apigateway.MethodOptions(authorization_type=kind, api_key_required=api_key_required)

    def _build_usage_plan(self, options: UsagePlanOptions) -> None:
        plan = self.api.add_usage_plan(
            "UsagePlan",
            throttle=apigateway.ThrottleSettings(
                rate_limit=options.rate_limit, burst_limit=options.burst_limit
            ),
            quota=apigateway.QuotaSettings(
                limit=options.quota_per_day, period=apigateway.Period.DAY
            ),
        )
        plan.add_api_stage(stage=self.stage)
        plan.add_api_key(self.api.add_api_key("ApiKey"))

    def _acknowledge(self, authorization: str, web_acl_arn: str | None) -> None:
        if authorization != "cognito":
            acknowledge(
                self.api,
                "AwsSolutions-COG4",
                f"Methods are authorized with {authorization.upper()} authorization, chosen "
                "deliberately; a Cognito user pool authorizer is one option, not a requirement.",
            )
        if web_acl_arn is None:
            acknowledge(
                self.api,
                "AwsSolutions-APIG3",
                "WAF is opt-in (web_acl_arn=): the web ACL is owned and priced per account by "
                "the platform team; IAM auth and throttling protect the API without it.",
            )


def _check_throttling(owner: str, rate_prop: str, burst_prop: str, rate: float, burst: int) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
        raise InvalidPropError(
            owner, rate_prop, rate, "allowed: a number of requests per second > 0"
        )
    if isinstance(burst, bool) or not isinstance(burst, int) or burst <= 0:
        raise InvalidPropError(owner, burst_prop, burst, "allowed: a whole number of requests > 0")
    if burst < rate:
        raise InvalidPropError(owner, burst_prop, burst, f"allowed: at least the rate ({rate})")
