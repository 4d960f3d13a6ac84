"""ServiceDashboard: one CloudWatch dashboard per service, built from what the constructs expose."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ._validation import InvalidPropError
from .api_front_door import ApiFrontDoor
from .canary_function import CanaryFunction
from .decoupled_worker import DecoupledWorker
from .fargate_service import FargateService
from .platform_environment import PlatformEnvironment

__all__ = ["ServiceDashboard"]

Component = ApiFrontDoor | CanaryFunction | DecoupledWorker | FargateService | lambda_.IFunction

_WIDTH = 24
_GRAPH_WIDTH = 6
_GRAPH_HEIGHT = 6


@jsii.implements(cloudwatch.IWidget)
class _AlarmStatus:
    """An alarm-status widget whose alarm list is read when the dashboard is rendered.

    Rendering happens at synthesis, so alarms registered after the widget was placed (by later
    ``add`` calls) are listed too.
    """

    def __init__(self, title: str, alarms: list[cloudwatch.IAlarm]) -> None:
        self._title = title
        self._alarms = alarms
        self._x: int | None = None
        self._y: int | None = None

    @property
    def width(self) -> int:
        return _WIDTH

    @property
    def height(self) -> int:
        return max(3, 1 + (len(self._alarms) + 3) // 4)

    @property
    def warnings(self) -> list[str] | None:
        return None

    @property
    def warnings_v2(self) -> dict[str, str] | None:
        return None

    def position(self, x: float, y: float) -> None:
        self._x, self._y = int(x), int(y)

    def to_json(self) -> list[Any]:
        widget = cloudwatch.AlarmStatusWidget(
            title=self._title,
            alarms=self._alarms,
            width=self.width,
            height=self.height,
            sort_by=cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
        )
        if self._x is not None and self._y is not None:
            widget.position(self._x, self._y)
        return list(widget.to_json())


class ServiceDashboard(Construct):
    """One CloudWatch dashboard for one service.

    Register what the service is made of with :meth:`add` (an :class:`ApiFrontDoor`, a
    :class:`CanaryFunction`, a :class:`DecoupledWorker`, a :class:`FargateService` or any Lambda
    ``IFunction``); each gets a row of graphs of the metrics that matter for it, and every alarm
    the registered constructs generated is listed in one alarm-status widget at the top.

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        service_name: the service's name, used in the dashboard's name and title. Required;
            letters, digits, ``-`` and ``_``.
        dashboard_name: the CloudWatch dashboard name. Default: ``<service_name>-<profile>``.
        period: the period of every graph. Default: 1 minute.
        platform: the platform environment. Default: found in the app, if any (only its
            profile is used, for the dashboard name).

    Attributes:
        dashboard: the ``cloudwatch.Dashboard``.
        alarms: every alarm listed in the alarm-status widget.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        dashboard_name: str | None = None,
        period: cdk.Duration | None = None,
        platform: PlatformEnvironment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"ServiceDashboard '{construct_id}'"
        _check_name(owner, "service_name", service_name)
        if dashboard_name is not None:
            _check_name(owner, "dashboard_name", dashboard_name)

        platform = platform or PlatformEnvironment.try_of(self)
        profile = platform.profile.name if platform is not None else None
        self._period = period or cdk.Duration.minutes(1)
        self.alarms: list[cloudwatch.IAlarm] = []

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=dashboard_name
            or (f"{service_name}-{profile}" if profile else service_name),
            default_interval=cdk.Duration.hours(3),
        )
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(
                markdown=f"# {service_name}" + (f" ({profile})" if profile else ""),
                width=_WIDTH,
                height=1,
            )
        )
        self.dashboard.add_widgets(_AlarmStatus(f"{service_name}: alarms", self.alarms))
        if platform is not None:
            platform.apply_tags(self)

    def add(self, *components: Component) -> ServiceDashboard:
        """Add a row of graphs for each component and list its alarms; returns ``self``."""
        for component in components:
            if isinstance(component, ApiFrontDoor):
                self._add_api(component)
            elif isinstance(component, CanaryFunction):
                self._add_canary(component)
            elif isinstance(component, DecoupledWorker):
                self._add_worker(component)
            elif isinstance(component, FargateService):
                self._add_service(component)
            elif isinstance(component, lambda_.FunctionBase):
                self._add_function(component.node.id, component)
            else:
                raise InvalidPropError(
                    f"ServiceDashboard '{self.node.id}'",
                    "component",
                    component,
                    "allowed: ApiFrontDoor, CanaryFunction, DecoupledWorker, FargateService "
                    "or a Lambda IFunction",
                )
            self.add_alarms(*getattr(component, "alarms", ()))
        return self

    def add_alarms(self, *alarms: cloudwatch.IAlarm) -> ServiceDashboard:
        """List more alarms in the alarm-status widget (duplicates are ignored)."""
        for alarm in alarms:
            if alarm not in self.alarms:
                self.alarms.append(alarm)
        return self

    # ---------------------------------------------------------------- sections

    def _row(self, title: str, graphs: Sequence[cloudwatch.IWidget]) -> None:
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown=f"## {title}", width=_WIDTH, height=1)
        )
        self.dashboard.add_widgets(*graphs)

    def _graph(
        self,
        title: str,
        left: Sequence[cloudwatch.IMetric],
        right: Sequence[cloudwatch.IMetric] = (),
    ) -> cloudwatch.GraphWidget:
        return cloudwatch.GraphWidget(
            title=title,
            left=list(left),
            right=list(right),
            width=_GRAPH_WIDTH,
            height=_GRAPH_HEIGHT,
            period=self._period,
        )

    def _add_api(self, api: ApiFrontDoor) -> None:
        rest = api.api
        self._row(
            f"API {rest.rest_api_name}",
            [
                self._graph("Requests", [rest.metric_count(statistic="Sum")]),
                self._graph("4XX errors", [rest.metric_client_error(statistic="Sum")]),
                self._graph("5XX errors", [rest.metric_server_error(statistic="Sum")]),
                self._graph("Latency p99", [rest.metric_latency(statistic="p99")]),
            ],
        )

    def _add_canary(self, canary: CanaryFunction) -> None:
        alias = canary.alias
        function = canary.function
        traffic = cloudwatch.MathExpression(
            expression=(
                "SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} "
                f'MetricName="Invocations" FunctionName="{function.function_name}"\', '
                f"'Sum', {int(self._period.to_seconds())})"
            ),
            label="",
            period=self._period,
        )
        self._row(
            f"Function {canary.node.id} (alias {alias.alias_name})",
            [
                self._graph("Invocations", [alias.metric_invocations(statistic="Sum")]),
                self._graph("Errors", [alias.metric_errors(statistic="Sum")]),
                self._graph("Duration p99", [alias.metric_duration(statistic="p99")]),
                self._graph("Traffic by version (canary split)", [traffic]),
            ],
        )

    def _add_function(self, title: str, function: lambda_.IFunction) -> None:
        self._row(
            f"Function {title}",
            [
                self._graph("Invocations", [function.metric_invocations(statistic="Sum")]),
                self._graph("Errors", [function.metric_errors(statistic="Sum")]),
                self._graph("Duration p99", [function.metric_duration(statistic="p99")]),
                self._graph("Throttles", [function.metric_throttles(statistic="Sum")]),
            ],
        )

    def _add_worker(self, worker: DecoupledWorker) -> None:
        queue, dlq = worker.queue, worker.dead_letter_queue
        graphs: list[cloudwatch.IWidget] = [
            self._graph(
                "Queue depth",
                [queue.metric_approximate_number_of_messages_visible(statistic="Maximum")],
                [queue.metric_approximate_number_of_messages_not_visible(statistic="Maximum")],
            ),
            self._graph(
                "Age of oldest message (s)",
                [queue.metric_approximate_age_of_oldest_message(statistic="Maximum")],
            ),
            self._graph(
                "Dead-letter queue depth",
                [dlq.metric_approximate_number_of_messages_visible(statistic="Maximum")],
            ),
        ]
        consumer = worker.consumer
        if isinstance(consumer, lambda_.FunctionBase):
            graphs.append(
                self._graph(
                    "Consumer invocations / errors",
                    [consumer.metric_invocations(statistic="Sum")],
                    [consumer.metric_errors(statistic="Sum")],
                )
            )
        self._row(f"Worker {worker.node.id}", graphs)

    def _add_service(self, service: FargateService) -> None:
        ecs_service = service.service
        target_group = service.target_group
        self._row(
            f"Service {service.node.id}",
            [
                self._graph("CPU %", [ecs_service.metric_cpu_utilization(statistic="Average")]),
                self._graph(
                    "Memory %", [ecs_service.metric_memory_utilization(statistic="Average")]
                ),
                self._graph(
                    "Target 5XX",
                    [
                        target_group.metrics.http_code_target(
                            elbv2.HttpCodeTarget.TARGET_5XX_COUNT, statistic="Sum"
                        )
                    ],
                ),
                self._graph(
                    "Healthy / unhealthy hosts",
                    [target_group.metrics.healthy_host_count(statistic="Minimum")],
                    [target_group.metrics.unhealthy_host_count(statistic="Maximum")],
                ),
            ],
        )


def _check_name(owner: str, prop: str, value: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", value):
        raise InvalidPropError(owner, prop, value, "allowed: 1 to 255 letters, digits, '-' and '_'")
