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
from aws_cdk import aws_ec2 as ec2
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
    Authorization,
    RoutePlan,
    RouteTarget,
    plan_route,
    route_name,
)
from ._typecheck import check_field_types, check_prop_types
from ._validation import InvalidPropError, check_positive_duration
from ._warnings import warn

__all__ = ["ApiFrontDoor", "UsagePlanOptions"]

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
        return [f"ApiFrontDoor '{self._front_door.node.id}' has no routes: add one with add_route"]


class ApiFrontDoor(Construct):
    """One regional API Gateway REST API, the front door of a service.

    Routes (:meth:`add_route`) reach a Lambda function through its alias (traffic follows a
    ``CanaryFunction``'s canary), a ``FargateService`` privately through a VPC link (its load
    balancer stays internal), or an SQS queue directly (no Lambda in between): see
    :class:`Route`. The stage writes JSON access logs, traces with X-Ray, throttles, and every
    method is authorized (:class:`Authorization`).

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        api_name: Default: the construct's unique id.
        stage_name: letters, digits, ``_``. Default: ``"v1"``.
        authorization: how every route is authorized unless it says otherwise:
            ``Authorization.iam()``, ``.cognito(user_pools)``, ``.token(function)`` or
            ``.none(reason=...)`` (a public API, by deliberate choice). Default:
            ``Authorization.iam()``.
        throttling_rate_limit: requests per second per method, > 0 and at most 10,000 (the
            account's default quota per region). Default: 100.
        throttling_burst_limit: burst per method, >= the rate. Default: 200.
        usage_plan: a usage plan with an API key required on every method. Default: none.
        web_acl_arn: a WAFv2 web ACL associated with the stage. Default: none.
        cors: CORS preflight options. Default: no CORS.
        server_error_rate_alarm_threshold: 5XX error rate (0..1] that alarms
            (:meth:`metric_server_error_rate`), and per route method in the deployment of a
            ``CanaryFunction`` or ``FargateService`` behind a route
            (:meth:`metric_route_server_error_rate`). Default: 0.05.
        latency_alarm_threshold: p99 latency that alarms (:meth:`metric_latency`), and per
            route method in those deployments (:meth:`metric_route_latency`).
            Default: 2 seconds.
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
        authorization: Authorization | None = None,
        throttling_rate_limit: float = 100,
        throttling_burst_limit: int = 200,
        usage_plan: UsagePlanOptions | None = None,
        web_acl_arn: str | None = None,
        cors: apigateway.CorsOptions | None = None,
        server_error_rate_alarm_threshold: float = 0.05,
        latency_alarm_threshold: cdk.Duration | None = None,
        rest_api_overrides: Mapping[str, Any] | None = None,
        platform: IPlatformEnvironment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"ApiFrontDoor '{construct_id}'"
        self._owner = owner
        # validate
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
        if not 0 < server_error_rate_alarm_threshold <= 1:
            raise InvalidPropError(
                owner,
                "server_error_rate_alarm_threshold",
                server_error_rate_alarm_threshold,
                "allowed: a rate in (0, 1]",
            )
        check_positive_duration(owner, "latency_alarm_threshold", latency_alarm_threshold)

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
        self._platform = env
        self._stage_name = stage_name
        self._server_error_rate_threshold = server_error_rate_alarm_threshold
        self._latency_threshold = latency_alarm_threshold or cdk.Duration.seconds(2)
        self._authorization = authorization or Authorization.iam()
        self._api_key_required = usage_plan is not None
        self.routes: list[tuple[str, str]] = []
        self._route_names: dict[str, str] = {}
        self._authorizers: dict[tuple[str, ...], apigateway.IAuthorizer] = {}
        self._vpc_links: dict[str, tuple[apigatewayv2.VpcLink, ec2.SecurityGroup]] = {}

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
            default_method_options=self._method_options(self._authorization, default=True),
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
                threshold=server_error_rate_alarm_threshold,
                evaluation_periods=3,
                datapoints_to_alarm=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"5XX error rate above {server_error_rate_alarm_threshold:.0%}",
                platform=env,
            ),
            create_alarm(
                self,
                "LatencyP99",
                metric=self.metric_latency(),
                threshold=self._latency_threshold.to_milliseconds(),
                evaluation_periods=3,
                datapoints_to_alarm=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description="p99 latency too high",
                platform=env,
            ),
        ]
        self.node.add_validation(_HasRoutes(self))
        self._acknowledge(web_acl_arn)
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
    def add_route(
        self,
        path: str,
        target: RouteTarget,
        *,
        methods: Sequence[str] | None = None,
        request_schema: Mapping[str, Any] | None = None,
        authorization: Authorization | None = None,
    ) -> list[apigateway.Method]:
        """Route ``methods`` on ``path`` to ``target``.

        Example::

            api.add_route("/orders", Route.function(create_order), methods=("POST",))

        What the route creates (a request model, a queue route's role) is named after its path
        and method (``OrdersBulkPOSTRole``), so adding, removing or reordering routes leaves the
        other routes' resources untouched.

        Args:
            path: e.g. ``"/orders"`` or ``"/orders/{id}"``; a service route also claims
                everything below it (``path/{proxy+}``).
            target: where requests go: ``Route.function(...)``, ``Route.service(...)`` or
                ``Route.queue(...)``.
            methods: HTTP methods. Default: the target's: ``("POST",)`` for a queue,
                ``("GET",)`` otherwise.
            request_schema: a JSON Schema (draft 4) object the body must match (one request
                model per method, validated by API Gateway). Default: none.
            authorization: how this route's methods are authorized. Default: the API's
                (``authorization=`` of the front door).

        Raises:
            InvalidPropError: a bad path, method or schema, a route that exists, a path whose
                name (its words, e.g. ``OrdersBulk``) another path has, or a target that cannot
                be routed to; nothing is added to the API then.
        """
        owner = self._owner
        plan = plan_route(
            owner,
            path,
            target.default_methods if methods is None else methods,
            self.routes,
            request_schema,
            greedy_child=target.greedy,
        )
        name = route_name(plan.path)
        if self._route_names.get(name, plan.path) != plan.path:
            raise InvalidPropError(
                owner,
                "path",
                path,
                f"allowed: a path whose name differs from {self._route_names[name]}'s ({name}): "
                "what a route creates is named after its path's words",
            )
        target.check(owner)

        self._route_names[name] = plan.path
        self.routes.extend(plan.routes)
        resource = self._resource(plan)
        proxy_resource = None
        if target.greedy:
            proxy_plan = plan.child("{proxy+}")
            self.routes.extend(proxy_plan.routes)
            proxy_resource = self._resource(proxy_plan)
        models = {method: self._model(name, method, plan) for method in plan.methods}
        binding = _Binding(
            front_door=self,
            name=name,
            plan=plan,
            resource=resource,
            proxy_resource=proxy_resource,
            models=models,
            authorization=authorization or self._authorization,
        )
        return target.bind(binding)

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

    def metric_route_server_error_rate(
        self, path: str, method: str, **props: Any
    ) -> cloudwatch.Metric:
        """Share of one route method's requests answered with 5XX (Average per minute).

        API Gateway's method-level metrics (dimensions ``ApiName``, ``Method``, ``Resource``,
        ``Stage``), which the stage enables for every method (``MethodSettings`` on ``/*/*``).

        Args:
            path: the resource path, e.g. ``"/orders"`` or ``"/catalog/{proxy+}"``.
            method: the HTTP method, e.g. ``"POST"``.
            **props: ``cloudwatch.Metric`` props to override.
        """
        return self._method_metric("5XXError", "Average", path, method, props)

    def metric_route_latency(self, path: str, method: str, **props: Any) -> cloudwatch.Metric:
        """One route method's latency as callers see it (p99 per minute).

        Args:
            path: the resource path, e.g. ``"/orders"``.
            method: the HTTP method, e.g. ``"POST"``.
            **props: ``cloudwatch.Metric`` props to override.
        """
        return self._method_metric("Latency", "p99", path, method, props)

    def _method_metric(
        self, name: str, statistic: str, path: str, method: str, props: Mapping[str, Any]
    ) -> cloudwatch.Metric:
        return cloudwatch.Metric(
            **{
                "namespace": "AWS/ApiGateway",
                "metric_name": name,
                "dimensions_map": {
                    "ApiName": self.api.rest_api_name,
                    "Method": method,
                    "Resource": path,
                    # the name given, not the stage's Ref: the alarms of a deployment behind a
                    # route would otherwise depend on the stage, which depends on the route
                    "Stage": self._stage_name,
                },
                "period": PERIOD,
                "statistic": statistic,
                **props,
            }
        )

    def _caller_alarms(
        self, scope: Construct, path: str, method: str, interval_minutes: int | None
    ) -> list[cloudwatch.Alarm]:
        """The 5XX-rate and p99-latency alarms of one route method, created in ``scope``.

        Named after the front door, the path and the method (``ApiOrdersPOSTServerErrorRate``);
        two datapoints of a minute (one when the deployment steps every minute), so a bad
        version is in alarm within its first canary or linear step.
        """
        periods = max(1, min(2, interval_minutes or 2))
        prefix = f"{self.node.id}{route_name(path)}{method}"
        where = f"{method} {path} of {self.node.path}"
        return [
            create_alarm(
                scope,
                f"{prefix}ServerErrorRate",
                metric=self.metric_route_server_error_rate(path, method),
                threshold=self._server_error_rate_threshold,
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=(f"5XX rate of {where} above {self._server_error_rate_threshold:.0%}"),
                platform=self._platform,
            ),
            create_alarm(
                scope,
                f"{prefix}LatencyP99",
                metric=self.metric_route_latency(path, method),
                threshold=self._latency_threshold.to_milliseconds(),
                evaluation_periods=periods,
                datapoints_to_alarm=periods,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=(
                    f"p99 latency of {where} above {self._latency_threshold.to_human_string()}"
                ),
                platform=self._platform,
            ),
        ]

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

    def _resource(self, plan: RoutePlan) -> apigateway.IResource:
        resource = self.api.root
        for segment in plan.segments:
            resource = resource.get_resource(segment) or resource.add_resource(segment)
        return resource

    def _model(self, name: str, method: str, plan: RoutePlan) -> apigateway.IModel | None:
        if plan.request_schema is None:
            return None
        cfn = apigateway.CfnModel(
            self,
            f"{name}{method}Model",
            rest_api_id=self.api.rest_api_id,
            content_type="application/json",
            schema={"$schema": "http://json-schema.org/draft-04/schema#", **plan.request_schema},
        )
        return apigateway.Model.from_model_name(self, f"{cfn.node.id}Ref", cfn.ref)

    def _vpc_link(self, vpc: ec2.IVpc) -> tuple[apigatewayv2.VpcLink, ec2.SecurityGroup]:
        """The VPC link into ``vpc`` (one per VPC), named after the VPC's path in its stack.

        ``Platform/Vpc`` gives ``VpcLinkPlatformVpc``; a VPC of another stack is prefixed with
        that stack's id.
        """
        key = vpc.node.addr
        if key not in self._vpc_links:
            stack = cdk.Stack.of(vpc)
            parts = [scope.node.id for scope in vpc.node.scopes[len(stack.node.scopes) :]]
            if stack is not cdk.Stack.of(self):
                parts.insert(0, stack.node.id)
            link_id = "VpcLink" + "".join(parts)
            security_group = ec2.SecurityGroup(
                self,
                f"{link_id}SecurityGroup",
                vpc=vpc,
                description=f"{self.node.path} VPC link - reaches service load balancers only",
                allow_all_outbound=False,
            )
            link = apigatewayv2.VpcLink(
                self,
                link_id,
                vpc=vpc,
                subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                security_groups=[security_group],
            )
            self._vpc_links[key] = (link, security_group)
        return self._vpc_links[key]

    def _method_options(
        self, authorization: Authorization, *, default: bool = False
    ) -> apigateway.MethodOptions:
        """The authorization (and API key) of a method; authorizers are shared by key."""
        authorizer = None
        key = authorization.authorizer_key
        if key is not None:
            if key not in self._authorizers:
                # The API's own authorizer keeps the id it always had.
                construct_id = "Authorizer" if default else authorization.authorizer_id()
                self._authorizers[key] = authorization.create_authorizer(self, construct_id)
            authorizer = self._authorizers[key]
        return apigateway.MethodOptions(
            authorization_type=authorization.authorization_type,
            authorizer=authorizer,
            api_key_required=self._api_key_required,
        )

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

    def _acknowledge(self, web_acl_arn: str | None) -> None:
        _acknowledge_authorization(self.api, self._authorization)
        if web_acl_arn is None:
            acknowledge(
                self.api,
                "AwsSolutions-APIG3",
                "WAF is opt-in (web_acl_arn=): the web ACL is owned and priced per account by "
                "the platform team; IAM auth and throttling protect the API without it.",
            )


class _Binding:
    """A route of a front door, as its target binds to it (:class:`RouteBinding`)."""

    def __init__(
        self,
        *,
        front_door: ApiFrontDoor,
        name: str,
        plan: RoutePlan,
        resource: apigateway.IResource,
        proxy_resource: apigateway.IResource | None,
        models: Mapping[str, apigateway.IModel | None],
        authorization: Authorization,
    ) -> None:
        self._front_door = front_door
        self.name = name
        self.plan = plan
        self.resource = resource
        self.proxy_resource = proxy_resource
        self._models = models
        self._authorization = authorization

    @property
    def scope(self) -> Construct:
        return self._front_door

    @property
    def owner(self) -> str:
        return self._front_door._owner

    def caller_alarms(
        self, scope: Construct, path: str, method: str, *, interval_minutes: int | None
    ) -> list[cloudwatch.Alarm]:
        return self._front_door._caller_alarms(scope, path, method, interval_minutes)

    def add_method(
        self,
        resource: apigateway.IResource,
        method: str,
        integration: apigateway.Integration,
        *,
        method_responses: Sequence[apigateway.MethodResponse] = (),
        request_parameters: Mapping[str, bool] | None = None,
    ) -> apigateway.Method:
        front_door = self._front_door
        model = self._models.get(method)
        options = front_door._method_options(self._authorization)
        created = resource.add_method(
            method,
            integration,
            authorization_type=options.authorization_type,
            authorizer=options.authorizer,
            api_key_required=options.api_key_required,
            request_validator=front_door._validator if model is not None else None,
            request_models={"application/json": model} if model is not None else None,
            method_responses=list(method_responses) or None,
            request_parameters=dict(request_parameters) if request_parameters else None,
        )
        if self._authorization != front_door._authorization:
            _acknowledge_authorization(created, self._authorization)
        return created

    def vpc_link(self, vpc: ec2.IVpc) -> tuple[apigatewayv2.IVpcLink, ec2.ISecurityGroup]:
        return self._front_door._vpc_link(vpc)


def _acknowledge_authorization(scope: Construct, authorization: Authorization) -> None:
    """Acknowledge what cdk-nag reports on methods authorized as ``authorization`` chose."""
    if authorization.kind != "cognito":
        acknowledge(
            scope,
            "AwsSolutions-COG4",
            authorization.reason
            or f"Methods are authorized with {authorization.label} authorization, chosen "
            "deliberately; a Cognito user pool authorizer is one option, not a requirement.",
        )
    if authorization.kind == "none":
        acknowledge(scope, "AwsSolutions-APIG4", authorization.reason or "")


#: API Gateway's default throttling quota per account and region, requests per second.
_ACCOUNT_RATE_QUOTA = 10_000


def _check_throttling(owner: str, rate_prop: str, burst_prop: str, rate: float, burst: int) -> None:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate <= 0:
        raise InvalidPropError(
            owner, rate_prop, rate, "allowed: a number of requests per second > 0"
        )
    if isinstance(burst, bool) or not isinstance(burst, int) or burst <= 0:
        raise InvalidPropError(owner, burst_prop, burst, "allowed: a whole number of requests > 0")
    if rate > _ACCOUNT_RATE_QUOTA:
        raise InvalidPropError(
            owner,
            rate_prop,
            rate,
            f"allowed: at most {_ACCOUNT_RATE_QUOTA:,} requests per second (API Gateway's default "
            "account quota per region, shared by every API; a higher stage limit is never "
            "reached and hides the real one)",
        )
    if burst < rate:
        raise InvalidPropError(owner, burst_prop, burst, f"allowed: at least the rate ({rate})")
