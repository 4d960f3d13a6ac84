"""ServiceDashboard: one CloudWatch dashboard per service, built from what the constructs expose."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from ._monitoring import PERIOD, IMonitorable, MetricGraph
from ._platform import IPlatformEnvironment, is_standalone, resolve_platform
from ._typecheck import check_prop_types
from ._validation import InvalidPropError

__all__ = ["FunctionMonitoring", "ServiceDashboard"]

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


class FunctionMonitoring:
    """A plain Lambda ``IFunction`` as a dashboard component (:class:`IMonitorable`).

    ``ServiceDashboard.add`` wraps any ``IFunction`` in one; it generates no alarms.

    Args:
        function: the function.
        title: the row's heading. Default: ``Function <construct id>``.
    """

    def __init__(self, function: lambda_.IFunction, title: str | None = None) -> None:
        self.function = function
        self._title = title or f"Function {function.node.id}"

    @property
    def dashboard_title(self) -> str:
        """The row's heading."""
        return self._title

    @property
    def alarms(self) -> Sequence[cloudwatch.IAlarm]:
        """None: a plain function has no generated alarms."""
        return ()

    def dashboard_graphs(self, period: cdk.Duration = PERIOD) -> list[MetricGraph]:
        """Invocations, errors, p99 duration and throttles."""
        fn = self.function
        return [
            MetricGraph("Invocations", [fn.metric_invocations(period=period, statistic="Sum")]),
            MetricGraph("Errors", [fn.metric_errors(period=period, statistic="Sum")]),
            MetricGraph("Duration p99", [fn.metric_duration(period=period, statistic="p99")]),
            MetricGraph("Throttles", [fn.metric_throttles(period=period, statistic="Sum")]),
        ]


class ServiceDashboard(Construct):
    """One CloudWatch dashboard for one service.

    Register what the service is made of with :meth:`add`: any :class:`IMonitorable` (every
    construct of this library, or your own construct implementing the protocol) or any Lambda
    ``IFunction``. Each gets a row of graphs built from its own ``metric_*`` methods, and every
    alarm the registered components generated is listed in one alarm-status widget at the top.

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        service_name: the service's name, used in the dashboard's name and title. Required;
            letters, digits, ``-`` and ``_``.
        dashboard_name: the CloudWatch dashboard name. Default: ``<service_name>-<profile>``.
        period: the period of every graph. Default: 1 minute.
        platform: the :class:`IPlatformEnvironment`. Default: found in the app, if any (only
            its profile is used, for the dashboard name, and its tags).

    Attributes:
        dashboard: the ``cloudwatch.Dashboard``.
        alarms: every alarm listed in the alarm-status widget.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        service_name: str,
        dashboard_name: str | None = None,
        period: cdk.Duration | None = None,
        platform: IPlatformEnvironment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"ServiceDashboard '{construct_id}'"
        _check_name(owner, "service_name", service_name)
        if dashboard_name is not None:
            _check_name(owner, "dashboard_name", dashboard_name)

        env = resolve_platform(self, platform)
        profile = None if is_standalone(env) else env.profile.name
        self._period = period or PERIOD
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
        env.apply_tags(self)

    @check_prop_types
    def add(self, *components: IMonitorable | lambda_.IFunction) -> ServiceDashboard:
        """Add a row of graphs for each component and list its alarms; returns ``self``.

        Raises:
            InvalidPropTypeError: a component that is neither an :class:`IMonitorable` nor a
                Lambda ``IFunction``.
        """
        for component in components:
            monitored = (
                component if isinstance(component, IMonitorable) else FunctionMonitoring(component)
            )
            self._row(monitored.dashboard_title, monitored.dashboard_graphs(self._period))
            self.add_alarms(*monitored.alarms)
        return self

    @check_prop_types
    def add_alarms(self, *alarms: cloudwatch.IAlarm) -> ServiceDashboard:
        """List more alarms in the alarm-status widget (duplicates are ignored)."""
        for alarm in alarms:
            if alarm not in self.alarms:
                self.alarms.append(alarm)
        return self

    # ---------------------------------------------------------------- sections

    def _row(self, title: str, graphs: Sequence[MetricGraph]) -> None:
        self.dashboard.add_widgets(
            cloudwatch.TextWidget(markdown=f"## {title}", width=_WIDTH, height=1)
        )
        self.dashboard.add_widgets(
            *(
                cloudwatch.GraphWidget(
                    title=graph.title,
                    left=list(graph.left),
                    right=list(graph.right),
                    width=_GRAPH_WIDTH,
                    height=_GRAPH_HEIGHT,
                    period=self._period,
                )
                for graph in graphs
            )
        )


def _check_name(owner: str, prop: str, value: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", value):
        raise InvalidPropError(owner, prop, value, "allowed: 1 to 255 letters, digits, '-' and '_'")
