"""Function routes: a Lambda proxy integration, through the alias for a CanaryFunction."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_

from .._typecheck import check_field_types
from ..canary_function import CanaryFunction, warn_if_canary_bypassed
from .target import RouteBinding, RouteTarget

__all__ = ["FunctionRoute"]


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
        """One proxy integration per method."""
        warn_if_canary_bypassed(route.scope, "target", self.target)
        integration = apigateway.LambdaIntegration(self.function)
        return [
            route.add_method(route.resource, method, integration) for method in route.plan.methods
        ]
