"""The monitoring seam: what a component shows on a ServiceDashboard.

Each construct defines its metrics once (its ``metric_*`` methods); its generated alarms and
its dashboard graphs are both built from them. :class:`ServiceDashboard` accepts anything that
implements :class:`IMonitorable`, so a user's own construct can join the dashboard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

__all__ = ["PERIOD", "IMonitorable", "MetricGraph"]

#: The period of every metric the constructs define (and of their alarms).
PERIOD = cdk.Duration.minutes(1)


@dataclass(frozen=True)
class MetricGraph:
    """One graph on a dashboard row.

    Attributes:
        title: the graph's title.
        left: metrics on the left axis.
        right: metrics on the right axis. Default: none.
    """

    title: str
    left: Sequence[cloudwatch.IMetric]
    right: Sequence[cloudwatch.IMetric] = ()


@runtime_checkable
class IMonitorable(Protocol):
    """A component with a row of graphs and a set of alarms on a :class:`ServiceDashboard`.

    Every construct of this library implements it. Implement it on your own construct (three
    members) and pass it to ``ServiceDashboard.add``.
    """

    @property
    def dashboard_title(self) -> str:
        """The heading of the component's row, e.g. ``"Worker Fulfilment"``."""
        ...

    @property
    def alarms(self) -> Sequence[cloudwatch.IAlarm]:
        """The alarms the component generated (listed in the dashboard's alarm widget)."""
        ...

    def dashboard_graphs(self, period: cdk.Duration) -> Sequence[MetricGraph]:
        """The graphs of the component's row (from its ``metric_*`` methods) at ``period``."""
        ...
