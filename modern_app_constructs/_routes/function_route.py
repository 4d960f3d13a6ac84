"""Function routes: a Lambda proxy integration, through the alias for a CanaryFunction."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_

from .._typecheck import check_field_types
from ..canary_function import CanaryFunction, warn_if_canary_bypassed
from .target import RouteBinding, RouteTarget

__all__ = ["ROUTE_ALARMS_PER_METHOD", "FunctionRoute"]

#: Alarms a route adds to the deployment of its target per method: 5XX rate, p99 latency.
ROUTE_ALARMS_PER_METHOD = 2


@dataclass(frozen=True)
class FunctionRoute(RouteTarget):
    """A route to a Lambda function (proxy integration); made by ``Route.function(...)``.

    API Gateway may invoke the function for this route's methods only (aws-cdk-lib names each
    permission after its method and path).

    Attributes:
        target: a ``CanaryFunction`` (integrated through its alias, so traffic follows the
            canary) or any Lambda ``IFunction``.
    """

    target: CanaryFunction | lambda_.IFunction

    def __post_init__(self) -> None:
        check_field_types(self)

    @property
    def function(self) -> lambda_.IFunction:
        """The function API Gateway invokes: a ``CanaryFunction``'s alias, else the target."""
        if isinstance(self.target, CanaryFunction):
            return self.target.alias
        return self.target

    def bind(self, route: RouteBinding) -> list[apigateway.Method]:
        """One proxy integration per method.

        A ``CanaryFunction``'s deployment group also watches what the route's callers see:
        each method's 5XX rate and p99 latency (two alarms per method, within CodeDeploy's 10
        per deployment group).

        Raises:
            InvalidPropError: the canary's deployment group has no room for the route's alarms.
        """
        warn_if_canary_bypassed(route.scope, "target", self.target)
        canary = self.target if isinstance(self.target, CanaryFunction) else None
        if canary is not None:
            canary.check_alarm_room(
                route.owner,
                "target",
                f"{canary.node.path} behind {', '.join(route.plan.methods)} {route.plan.path}",
                ROUTE_ALARMS_PER_METHOD * len(route.plan.methods),
            )
        integration = apigateway.LambdaIntegration(self.function)
        methods = [
            route.add_method(route.resource, method, integration) for method in route.plan.methods
        ]
        if canary is not None:
            for method in route.plan.methods:
                for alarm in route.caller_alarms(
                    canary,
                    route.plan.path,
                    method,
                    interval_minutes=canary.deployment.interval_minutes,
                ):
                    canary.add_alarm(alarm)
        return methods
