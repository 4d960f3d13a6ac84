"""CanaryFunction: a Lambda that ships every change by canary, with alarms, rollback and hooks."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ._alarms import create_alarm
from ._environment import LAMBDA_ENVIRONMENT_LIMIT, check_function_environment, environment_bytes
from ._lambda import (
    DEFAULT_RUNTIME,
    DeadLetterWaiver,
    FunctionSettings,
    asset_code,
    check_function_overrides,
    check_handler_in_asset,
    check_in_vpc,
    create_function,
    powertools_environment,
)
from ._monitoring import PERIOD, MetricGraph
from ._nag import acknowledge, logical_id_ref
from ._platform import IPlatformEnvironment, resolve_platform
from ._typecheck import check_field_types, check_prop_types
from ._validation import InvalidPropError, check_int_range
from ._warnings import FLAG_LAMBDA_LAYER_VERSION, warn, warn_missing_flags
from .deployment import DeploymentStrategy

__all__ = [
    "DRY_RUN_HEADER",
    "FUNCTION_VERSION_DIMENSION",
    "IGNORE_ALARMS_CONTEXT_KEY",
    "MAX_DEPLOYMENT_ALARMS",
    "CanaryFunction",
    "HandledFailures",
    "SmokeTest",
]

#: ``cdk deploy -c modern-app-constructs:ignoreAlarms=true``: break-glass for every CanaryFunction.
IGNORE_ALARMS_CONTEXT_KEY = "modern-app-constructs:ignoreAlarms"
#: CodeDeploy watches at most 10 alarms per deployment group.
MAX_DEPLOYMENT_ALARMS = 10
#: Alarms the construct generates (alias errors, new-version errors, throttles, p99 duration);
#: one more with ``handled_failure_metric``.
GENERATED_ALARMS = 4
#: The dimension a handled-failure metric carries the emitting function version in.
FUNCTION_VERSION_DIMENSION = "FunctionVersion"
#: The header a dry-run smoke test adds to an HTTP-shaped event (``SmokeTest(dry_run=True)``).
DRY_RUN_HEADER = "X-Dry-Run"

_ALIAS_NAME = re.compile(r"^(?!^[0-9]+$)[a-zA-Z0-9_-]{1,128}$")
_METRIC_NAMESPACE = re.compile(r"^[A-Za-z0-9.\-_/#: ]{1,255}$")
_RUNTIME_DIR = Path(__file__).parent / "runtime"


@dataclass(frozen=True)
class SmokeTest:
    """The built-in pre-traffic hook: invoke the new version once before traffic shifts to it.

    The deployment fails (and rolls back) on a function error, a timeout, or a ``statusCode``
    the test does not accept.

    A dry run (the default) asks the handler to check the request without acting on it: an
    HTTP-shaped event (one with ``headers`` or ``httpMethod``, as API Gateway and load
    balancers send) gets the header ``X-Dry-Run: true`` (:data:`DRY_RUN_HEADER`), which the
    handler honours by validating and answering without side effects; any other event is sent
    as given. ``dry_run=False`` sends the event exactly as given, so the handler's real path
    runs (publishing, writing) against the real dependencies of the new version: it catches a
    version that cannot reach them before any traffic shifts, at the price of one real request
    (an order, a message) on every deployment. Make such an event recognisable (a test
    customer, an idempotency key) so the side effect can be filtered or undone.

    Attributes:
        event: a JSON-serialisable event the new version is invoked with.
        expected_status_codes: the ``statusCode`` values (100..599) that pass. Default: any
            below 500.
        dry_run: mark an HTTP-shaped event as a dry run (``X-Dry-Run: true``). Default: True.
            False: the event is sent as given and the real path runs (see above).
    """

    event: Any
    expected_status_codes: Sequence[int] | None = None
    dry_run: bool = True

    def __post_init__(self) -> None:
        check_field_types(self)

    @property
    def sent_event(self) -> Any:
        """The event the hook sends: ``event``, with the dry-run header when it applies."""
        event = self.event
        if not self.dry_run or not isinstance(event, Mapping):
            return event
        headers = event.get("headers")
        if not isinstance(headers, Mapping) and "httpMethod" not in event:
            return event
        kept = {
            name: value
            for name, value in (headers.items() if isinstance(headers, Mapping) else ())
            if str(name).lower() != DRY_RUN_HEADER.lower()
        }
        marked = {**kept, DRY_RUN_HEADER: "true"}
        return {**event, "headers": marked}


@dataclass(frozen=True)
class HandledFailures:
    """A failure metric the handler emits per function version, watched during deployments.

    A handled failure (a 5XX the handler answers, a message it gives up on) is no Lambda
    ``Errors`` datapoint. The handler emits this metric once per such failure, with the
    version that handled it as a dimension, and the deployment group alarms on the version
    being deployed only: a new version that fails every request rolls back in the canary's
    first interval, whatever the old version does.

    The metric's identity is ``namespace``/``name`` with the dimensions ``service`` (the
    function's ``service_name``, which Powertools adds to every metric) and
    ``FunctionVersion`` (:data:`FUNCTION_VERSION_DIMENSION`, Lambda's
    ``AWS_LAMBDA_FUNCTION_VERSION``). The function gets ``HANDLED_FAILURES_METRIC_NAMESPACE``
    and ``HANDLED_FAILURES_METRIC_NAME`` in its environment. With Powertools::

        with single_metric(
            name=os.environ["HANDLED_FAILURES_METRIC_NAME"],
            unit=MetricUnit.Count,
            value=1,
            namespace=os.environ["HANDLED_FAILURES_METRIC_NAMESPACE"],
            default_dimensions={"FunctionVersion": os.environ["AWS_LAMBDA_FUNCTION_VERSION"]},
        ):
            pass

    Attributes:
        name: the metric name. Default: ``"HandledFailures"``.
        namespace: the metric namespace. Default: the function's ``service_name`` (the
            Powertools metrics namespace the construct sets).
        threshold: failures of the new version within a minute that roll back, >= 1.
            Default: 1.
    """

    name: str = "HandledFailures"
    namespace: str | None = None
    threshold: int = 1

    def __post_init__(self) -> None:
        check_field_types(self)


class CanaryFunction(Construct):
    """A Lambda function whose every change is shifted to by CodeDeploy, watched by alarms.

    What AWS SAM's ``AutoPublishAlias`` + ``DeploymentPreference`` do, as a construct: each change
    to code or configuration publishes a new version; the alias moves to it through CodeDeploy
    (canary, linear or all at once); generated alarms (plus yours) roll the deployment back
    automatically; pre- and post-traffic hooks run around the shift, and a built-in smoke test
    can be the pre-traffic hook without writing any hook code.

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        code: the function's code, e.g. ``asset_code("functions/orders")``.
        handler: the handler, e.g. ``"app.handler"``.
        runtime: Default: the newest Python runtime of the pinned aws-cdk-lib (3.14).
        memory_size: MiB, 128..10240. Default: 256.
        timeout: at most 15 minutes. Default: 30 seconds.
        environment: environment variables; a name that looks secret (``PASSWORD``,
            ``SECRET``, ``TOKEN``, ``API_KEY``, ...) is refused unless its value is wrapped in
            :class:`NotASecret` (pass a secret's ARN or name instead, grant read and resolve it
            at run time). At most 4 KB with the Powertools settings. Default: only the
            Powertools settings.
        description: the function's description. Default: none.
        service_name: ``POWERTOOLS_SERVICE_NAME`` and metrics namespace. Default: the id.
        alias_name: the alias traffic goes through. Default: ``"live"``.
        deployment: a SAM preset name (``"Canary10Percent5Minutes"``, ...) or a
            :class:`DeploymentStrategy` (canary, linear, all at once; at most 48 hours from the
            first to the last traffic shift, CodeDeploy's limit). Default: the profile's
            (dev: ``AllAtOnce``, prod: ``Canary10Percent5Minutes``).
        alarms: more alarms that roll a deployment back; generated + yours + the alarms of
            the API routes in front of it <= 10 (more can be added later with
            :meth:`add_alarm`). Default: none.
        handled_failure_metric: a :class:`HandledFailures` metric the handler emits per
            version; the deployment group then also rolls back when the version being
            deployed reports handled failures (a 5XX it answers is no Lambda error).
            Default: none.
        duration_alarm_threshold: the p99 duration that counts as failing. Default: 80% of the
            timeout.
        pre_traffic_hook: a function CodeDeploy runs before shifting traffic. Default: none
            (or the built-in smoke test when ``smoke_test`` is given).
        post_traffic_hook: a function CodeDeploy runs after shifting traffic. Default: none.
        smoke_test: a :class:`SmokeTest`, the built-in pre-traffic hook: it invokes the new
            version with ``SmokeTest.event`` (a dry run unless ``dry_run=False``) and fails the
            deployment on a function error, a ``statusCode`` it does not accept (default:
            >= 500) or a timeout; instead of ``pre_traffic_hook``. Default: no smoke test.
        ignore_alarms: break-glass: deploy even while an alarm is in ALARM (also set for every
            CanaryFunction by ``-c modern-app-constructs:ignoreAlarms=true``). Default: False.
        reserved_concurrent_executions: Default: unreserved.
        in_vpc: run the function (and the built-in smoke test) in the platform's private
            subnets, each with a security group of its own allowing outbound HTTPS only (open
            more with ``function.connections``, e.g. to a database). It costs network
            interfaces, NAT traffic for every AWS API call and a little cold-start time (see
            docs/networking.md); needs a platform environment. Default: False: Lambda's own network,
            which reaches AWS APIs only.
        function_overrides: any other ``lambda_.Function`` prop (e.g.
            ``ephemeral_storage_size``); props the construct sets for safety (role, log group,
            tracing, architecture, environment encryption, and the VPC props with ``in_vpc``)
            are rejected. Default: none.
        platform: the :class:`IPlatformEnvironment` to deploy into. Default: the app's
            platform environment, if any; standalone otherwise (profile from the context, no
            shared key, alarms without actions).

    Attributes:
        function: the ``lambda_.Function``.
        version: the version published for the current code and configuration.
        alias: the alias CodeDeploy shifts; hand it wherever an ``IFunction`` is wanted.
        application: the CodeDeploy application.
        deployment_group: the CodeDeploy deployment group.
        deployment: the :class:`DeploymentStrategy` in force.
        alarms: every alarm watched by the deployment group (generated first, then yours,
            then those of the API routes in front of it, added as routes are).
        log_group: the function's log group.
        smoke_test_function: the built-in pre-traffic hook, when ``smoke_test`` is given.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        code: lambda_.Code,
        handler: str,
        runtime: lambda_.Runtime | None = None,
        memory_size: int = 256,
        timeout: cdk.Duration | None = None,
        environment: Mapping[str, str] | None = None,
        description: str | None = None,
        service_name: str | None = None,
        alias_name: str = "live",
        deployment: str | DeploymentStrategy | None = None,
        alarms: Sequence[cloudwatch.IAlarm] = (),
        handled_failure_metric: HandledFailures | None = None,
        duration_alarm_threshold: cdk.Duration | None = None,
        pre_traffic_hook: lambda_.IFunction | None = None,
        post_traffic_hook: lambda_.IFunction | None = None,
        smoke_test: SmokeTest | None = None,
        ignore_alarms: bool = False,
        reserved_concurrent_executions: int | None = None,
        in_vpc: bool = False,
        function_overrides: Mapping[str, Any] | None = None,
        platform: IPlatformEnvironment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"CanaryFunction '{construct_id}'"
        timeout = timeout or cdk.Duration.seconds(30)
        # validate
        function_props = check_function_overrides(owner, function_overrides, in_vpc=in_vpc)
        check_function_environment(
            owner,
            "environment",
            environment,
            added=powertools_environment(service_name or construct_id).items(),
        )
        if (runtime or DEFAULT_RUNTIME).family == lambda_.RuntimeFamily.PYTHON:
            check_handler_in_asset(owner, "handler", code, handler)
        self._validate(
            owner,
            memory_size=memory_size,
            timeout=timeout,
            alias_name=alias_name,
            alarms=alarms,
            handled_failure_metric=handled_failure_metric,
            duration_alarm_threshold=duration_alarm_threshold,
            pre_traffic_hook=pre_traffic_hook,
            smoke_test=smoke_test,
        )
        strategy = (
            DeploymentStrategy.of(deployment, owner=owner).check_lambda(owner)
            if deployment is not None
            else None
        )

        # resolve defaults
        env = resolve_platform(self, platform)
        check_in_vpc(owner, in_vpc, env)
        self.deployment: DeploymentStrategy = strategy or DeploymentStrategy.of(
            env.profile.lambda_deployment, owner=owner, prop="profile.lambda_deployment"
        ).check_lambda(owner, "profile.lambda_deployment")
        context_switch = str(self.node.try_get_context(IGNORE_ALARMS_CONTEXT_KEY)).lower()
        ignore = ignore_alarms or context_switch == "true"

        service = service_name or construct_id
        self._service_name = service
        self.handled_failure_metric: HandledFailures | None = handled_failure_metric
        if handled_failure_metric is not None:
            environment = {
                **(environment or {}),
                "HANDLED_FAILURES_METRIC_NAMESPACE": handled_failure_metric.namespace or service,
                "HANDLED_FAILURES_METRIC_NAME": handled_failure_metric.name,
            }

        # create children
        self.function: lambda_.Function
        self.log_group: logs.LogGroup
        self.function, self.log_group = create_function(
            self,
            "Function",
            FunctionSettings(
                code=code,
                handler=handler,
                service_name=service,
                description=description,
                runtime=runtime or DEFAULT_RUNTIME,
                memory_size=memory_size,
                timeout=timeout,
                environment=environment,
                reserved_concurrent_executions=reserved_concurrent_executions,
                in_vpc=in_vpc,
                overrides=function_props,
            ),
            platform=env,
            dead_letter_waiver=DeadLetterWaiver.CANARY_FUNCTION,
        )
        self.version: lambda_.Version = self.function.current_version
        self.alias = lambda_.Alias(self, "Alias", alias_name=alias_name, version=self.version)
        self.alarms: list[cloudwatch.IAlarm] = [
            *self._build_alarms(timeout, duration_alarm_threshold, env),
            *alarms,
        ]
        self.smoke_test_function: lambda_.Function | None = None
        if smoke_test is not None:
            self.smoke_test_function = self._build_smoke_test(smoke_test, timeout, env, in_vpc)
            pre_traffic_hook = self.smoke_test_function

        # wire
        self.application = codedeploy.LambdaApplication(self, "Application")
        self.deployment_group = codedeploy.LambdaDeploymentGroup(
            self,
            "DeploymentGroup",
            application=self.application,
            alias=self.alias,
            deployment_config=self.deployment.lambda_deployment_config(self),
            alarms=self.alarms,
            auto_rollback=codedeploy.AutoRollbackConfig(
                failed_deployment=True, stopped_deployment=True, deployment_in_alarm=True
            ),
            ignore_alarm_configuration=ignore,
            pre_hook=pre_traffic_hook,
            post_hook=post_traffic_hook,
        )
        self._acknowledge_deployment_role(pre_traffic_hook, post_traffic_hook)
        env.apply_tags(self)
        warn_missing_flags(self, FLAG_LAMBDA_LAYER_VERSION)

    # ------------------------------------------------------------------ public

    @check_prop_types
    def bypassed_by(self, function: object) -> bool:
        """Whether ``function`` is this canary's own unversioned function or fixed version.

        Traffic sent to either skips the alias, and so the canary deployment and its rollback.
        """
        return function is self.function or function is self.version

    def check_alarm_room(self, owner: str, prop: str, value: object, count: int) -> None:
        """Raise unless the deployment group can watch ``count`` more alarms.

        Raises:
            InvalidPropError: naming ``owner``, ``prop`` and ``value`` (what would add them).
        """
        if len(self.alarms) + count > MAX_DEPLOYMENT_ALARMS:
            raise InvalidPropError(
                owner,
                prop,
                value,
                f"allowed: at most {MAX_DEPLOYMENT_ALARMS} alarms per deployment group "
                f"(CodeDeploy's limit): CanaryFunction '{self.node.id}' watches "
                f"{len(self.alarms)} already (generated, given and route alarms) and this adds "
                f"{count}; pass fewer alarms= or route fewer methods to it",
            )

    def add_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Watch one more alarm during deployments (rolls back when it fires).

        Raises:
            InvalidPropError: the deployment group already watches 10 alarms (CodeDeploy's
                limit, generated ones included).
        """
        if len(self.alarms) >= MAX_DEPLOYMENT_ALARMS:
            raise InvalidPropError(
                f"CanaryFunction '{self.node.id}'",
                "alarms",
                f"{len(self.alarms) + 1} alarms",
                f"allowed: at most {MAX_DEPLOYMENT_ALARMS} in total (CodeDeploy's limit per "
                "deployment group, generated ones included)",
            )
        self.deployment_group.add_alarm(alarm)
        self.alarms.append(alarm)

    @check_prop_types
    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` invoke the function through the alias."""
        return self.alias.grant_invoke(grantee)

    def metric_errors(self, **props: Any) -> cloudwatch.Metric:
        """Errors through the alias (Sum per minute unless overridden)."""
        return self.alias.metric_errors(**{"period": PERIOD, "statistic": "Sum", **props})

    def metric_invocations(self, **props: Any) -> cloudwatch.Metric:
        """Invocations through the alias (Sum per minute unless overridden)."""
        return self.alias.metric_invocations(**{"period": PERIOD, "statistic": "Sum", **props})

    def metric_throttles(self, **props: Any) -> cloudwatch.Metric:
        """Throttles through the alias (Sum per minute unless overridden)."""
        return self.alias.metric_throttles(**{"period": PERIOD, "statistic": "Sum", **props})

    def metric_duration(self, **props: Any) -> cloudwatch.Metric:
        """Duration through the alias (p99 per minute unless overridden)."""
        return self.alias.metric_duration(**{"period": PERIOD, "statistic": "p99", **props})

    def metric_new_version_errors(self, **props: Any) -> cloudwatch.Metric:
        """Errors of the version being deployed only (the ``ExecutedVersion`` dimension)."""
        return cloudwatch.Metric(
            **{
                "namespace": "AWS/Lambda",
                "metric_name": "Errors",
                "dimensions_map": {
                    "FunctionName": self.function.function_name,
                    "Resource": f"{self.function.function_name}:{self.alias.alias_name}",
                    "ExecutedVersion": self.version.version,
                },
                "period": PERIOD,
                "statistic": "Sum",
                **props,
            }
        )

    def metric_new_version_handled_failures(self, **props: Any) -> cloudwatch.Metric:
        """Handled failures the version being deployed reported (Sum per minute).

        Raises:
            InvalidPropError: the function has no ``handled_failure_metric``.
        """
        spec = self.handled_failure_metric
        if spec is None:
            raise InvalidPropError(
                f"CanaryFunction '{self.node.id}'",
                "handled_failure_metric",
                None,
                "allowed: a HandledFailures(...) given to the CanaryFunction, to have a metric",
            )
        return cloudwatch.Metric(
            **{
                "namespace": spec.namespace or self._service_name,
                "metric_name": spec.name,
                "dimensions_map": {
                    "service": self._service_name,
                    FUNCTION_VERSION_DIMENSION: self.version.version,
                },
                "period": PERIOD,
                "statistic": "Sum",
                **props,
            }
        )

    def metric_traffic_by_version(self, period: cdk.Duration = PERIOD) -> cloudwatch.IMetric:
        """Invocations per executed version: the canary split while a deployment runs."""
        return cloudwatch.MathExpression(
            expression=(
                "SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} "
                f'MetricName="Invocations" FunctionName="{self.function.function_name}"\', '
                f"'Sum', {int(period.to_seconds())})"
            ),
            label="",
            period=period,
        )

    # -------------------------------------------------------------- monitoring

    @property
    def dashboard_title(self) -> str:
        """``Function <id> (alias <name>)``."""
        return f"Function {self.node.id} (alias {self.alias.alias_name})"

    def dashboard_graphs(self, period: cdk.Duration = PERIOD) -> list[MetricGraph]:
        """Invocations, errors, p99 duration and traffic by version, through the alias."""
        return [
            MetricGraph("Invocations", [self.metric_invocations(period=period)]),
            MetricGraph("Errors", [self.metric_errors(period=period)]),
            MetricGraph("Duration p99", [self.metric_duration(period=period)]),
            MetricGraph(
                "Traffic by version (canary split)", [self.metric_traffic_by_version(period)]
            ),
        ]

    # ---------------------------------------------------------------- builders

    @staticmethod
    def _validate(
        owner: str,
        *,
        memory_size: int,
        timeout: cdk.Duration,
        alias_name: str,
        alarms: Sequence[cloudwatch.IAlarm],
        handled_failure_metric: HandledFailures | None,
        duration_alarm_threshold: cdk.Duration | None,
        pre_traffic_hook: lambda_.IFunction | None,
        smoke_test: SmokeTest | None,
    ) -> None:
        check_int_range(owner, "memory_size", memory_size, 128, 10240, unit="MiB")
        if not 1000 <= timeout.to_milliseconds() <= 900_000:
            raise InvalidPropError(
                owner, "timeout", timeout.to_human_string(), "allowed: 1 second to 15 minutes"
            )
        if not isinstance(alias_name, str) or not _ALIAS_NAME.match(alias_name):
            raise InvalidPropError(
                owner,
                "alias_name",
                alias_name,
                "allowed: 1-128 letters, digits, '-' and '_', not only digits",
            )
        generated = GENERATED_ALARMS + (handled_failure_metric is not None)
        if generated + len(alarms) > MAX_DEPLOYMENT_ALARMS:
            raise InvalidPropError(
                owner,
                "alarms",
                f"{len(alarms)} alarms",
                f"allowed: at most {MAX_DEPLOYMENT_ALARMS - generated} (CodeDeploy watches "
                f"at most {MAX_DEPLOYMENT_ALARMS} per deployment group, {generated} are "
                "generated)",
            )
        if handled_failure_metric is not None:
            _check_handled_failures(owner, handled_failure_metric)
        if duration_alarm_threshold is not None and not (
            0 < duration_alarm_threshold.to_milliseconds() <= timeout.to_milliseconds()
        ):
            raise InvalidPropError(
                owner,
                "duration_alarm_threshold",
                duration_alarm_threshold.to_human_string(),
                f"allowed: more than 0 and at most the timeout ({timeout.to_human_string()})",
            )
        if smoke_test is None:
            return
        if pre_traffic_hook is not None:
            raise InvalidPropError(
                owner,
                "smoke_test",
                "given with pre_traffic_hook",
                "allowed: one pre-traffic hook: either smoke_test or pre_traffic_hook",
            )
        try:
            json.dumps(smoke_test.event)
        except (TypeError, ValueError) as error:
            raise InvalidPropError(
                owner,
                "smoke_test.event",
                smoke_test.event,
                "allowed: a JSON-serialisable value",
            ) from error
        hook_environment = {
            # a qualified version ARN: at most 64-character name, region, account and version
            "TARGET_VERSION_ARN": "x" * 140,
            "SMOKE_TEST_EVENT": json.dumps(smoke_test.event, sort_keys=True),
            "EXPECTED_STATUS_CODES": json.dumps(list(smoke_test.expected_status_codes or ())),
            **powertools_environment("x" * 64),  # "<id>-smoke-test"
        }
        size = environment_bytes(hook_environment)
        if size > LAMBDA_ENVIRONMENT_LIMIT:
            raise InvalidPropError(
                owner,
                "smoke_test.event",
                f"{len(hook_environment['SMOKE_TEST_EVENT'])} bytes of JSON",
                f"allowed: an event that fits the hook's environment ({size} of Lambda's "
                f"{LAMBDA_ENVIRONMENT_LIMIT} bytes with the other variables): keep the smoke "
                "test event small",
            )
        if smoke_test.expected_status_codes is not None and not smoke_test.expected_status_codes:
            raise InvalidPropError(
                owner,
                "smoke_test.expected_status_codes",
                list(smoke_test.expected_status_codes),
                "allowed: at least one status code (100..599), or None for any below 500",
            )
        for code in smoke_test.expected_status_codes or ():
            check_int_range(owner, "smoke_test.expected_status_codes", code, 100, 599)
        if not isinstance(smoke_test.dry_run, bool):
            raise InvalidPropError(
                owner, "smoke_test.dry_run", smoke_test.dry_run, "allowed: a bool"
            )

    def _build_alarms(
        self,
        timeout: cdk.Duration,
        duration_threshold: cdk.Duration | None,
        env: IPlatformEnvironment,
    ) -> list[cloudwatch.Alarm]:
        threshold_ms = (
            duration_threshold.to_milliseconds()
            if duration_threshold is not None
            else int(timeout.to_milliseconds() * 0.8)
        )
        alarms = [
            create_alarm(
                self,
                "AliasErrors",
                metric=self.metric_errors(),
                threshold=1,
                description="Errors through the alias",
                platform=env,
            ),
            create_alarm(
                self,
                "NewVersionErrors",
                metric=self.metric_new_version_errors(),
                threshold=1,
                description="Errors of the version being deployed",
                platform=env,
            ),
            create_alarm(
                self,
                "Throttles",
                metric=self.metric_throttles(),
                threshold=1,
                description="Throttled invocations",
                platform=env,
            ),
            create_alarm(
                self,
                "DurationP99",
                metric=self.metric_duration(),
                threshold=threshold_ms,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"p99 duration above {threshold_ms} ms",
                platform=env,
            ),
        ]
        if self.handled_failure_metric is not None:
            alarms.append(
                create_alarm(
                    self,
                    "NewVersionHandledFailures",
                    metric=self.metric_new_version_handled_failures(),
                    threshold=self.handled_failure_metric.threshold,
                    description="Handled failures of the version being deployed",
                    platform=env,
                )
            )
        return alarms

    def _build_smoke_test(
        self, smoke_test: SmokeTest, timeout: cdk.Duration, env: IPlatformEnvironment, in_vpc: bool
    ) -> lambda_.Function:
        environment = {
            "TARGET_VERSION_ARN": self.version.function_arn,
            "SMOKE_TEST_EVENT": json.dumps(smoke_test.sent_event, sort_keys=True),
        }
        if smoke_test.expected_status_codes:
            environment["EXPECTED_STATUS_CODES"] = json.dumps(
                list(smoke_test.expected_status_codes)
            )
        hook, _ = create_function(
            self,
            "SmokeTest",
            FunctionSettings(
                code=asset_code(_RUNTIME_DIR),
                handler="smoke_test_hook.handler",
                service_name=f"{self.node.id}-smoke-test",
                description=f"Pre-traffic smoke test of {self.node.path}",
                memory_size=256,
                timeout=cdk.Duration.seconds(min(900, int(timeout.to_seconds()) + 60)),
                environment=environment,
                in_vpc=in_vpc,
            ),
            platform=env,
            dead_letter_waiver=DeadLetterWaiver.TRAFFIC_HOOK,
        )
        self.version.grant_invoke(hook)
        return hook

    def _acknowledge_deployment_role(
        self, pre_hook: lambda_.IFunction | None, post_hook: lambda_.IFunction | None
    ) -> None:
        role = self.deployment_group.node.find_child("ServiceRole")
        acknowledge(
            role,
            "AwsSolutions-IAM4",
            "CodeDeploy's AWSCodeDeployRoleForLambdaLimited is the AWS-maintained minimum for "
            "shifting an alias; CDK attaches it to every Lambda deployment group.",
            findings=[
                "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
                "AWSCodeDeployRoleForLambdaLimited"
            ],
        )
        hook_findings = [
            f"Resource::{logical_id_ref(hook.node.default_child)}:*"  # type: ignore[arg-type]
            for hook in (pre_hook, post_hook)
            if isinstance(hook, lambda_.Function) and hook.node.default_child is not None
        ]
        if hook_findings:
            acknowledge(
                role,
                "AwsSolutions-IAM5",
                "CDK's LambdaDeploymentGroup lets CodeDeploy invoke each traffic hook as "
                "function ARN and '<arn>:*' (its versions and aliases); both name only the "
                "hook function of this deployment group.",
                findings=hook_findings,
            )


def _check_handled_failures(owner: str, spec: HandledFailures) -> None:
    """CloudWatch's rules for a metric name and namespace; a threshold of whole failures."""
    if not isinstance(spec.name, str) or not 1 <= len(spec.name) <= 255:
        raise InvalidPropError(
            owner, "handled_failure_metric.name", spec.name, "allowed: 1-255 characters"
        )
    namespace = spec.namespace
    if namespace is not None and (
        not isinstance(namespace, str)
        or not _METRIC_NAMESPACE.match(namespace)
        or namespace.startswith("AWS/")
    ):
        raise InvalidPropError(
            owner,
            "handled_failure_metric.namespace",
            namespace,
            "allowed: 1-255 letters, digits and . - _ / # : (space), not starting with 'AWS/'",
        )
    threshold = spec.threshold
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 1:
        raise InvalidPropError(
            owner,
            "handled_failure_metric.threshold",
            threshold,
            "allowed: a whole number of failures >= 1",
        )


def warn_if_canary_bypassed(scope: Construct, prop: str, target: object) -> None:
    """Warn on ``scope`` when ``target`` is a CanaryFunction's unversioned function or version.

    Traffic sent to either skips the alias, and so the canary deployment and its rollback. Used
    by every construct that takes a function it sends traffic to (routes, worker consumers).
    """
    if not isinstance(target, lambda_.FunctionBase):
        return
    canaries = [parent for parent in target.node.scopes if isinstance(parent, CanaryFunction)]
    parent = canaries[-1] if canaries else None
    if parent is not None and parent.bypassed_by(target):
        warn(
            scope,
            "canary-bypassed",
            f"{prop}={target.node.path} is the CanaryFunction's own function (or a fixed "
            "version), not its alias: traffic skips the canary deployment and its rollback. "
            f"Pass the CanaryFunction itself ({parent.node.path}) or its .alias.",
        )
