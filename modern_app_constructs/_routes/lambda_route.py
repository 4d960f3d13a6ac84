"""Lambda routes: a proxy integration with a function, through its alias for a CanaryFunction."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_

from ..canary_function import CanaryFunction

__all__ = ["lambda_integration", "resolve_lambda_target"]


def resolve_lambda_target(
    owner: str, target: CanaryFunction | lambda_.IFunction
) -> lambda_.IFunction:
    """The function API Gateway invokes: a ``CanaryFunction``'s alias, else ``target`` itself."""
    if isinstance(target, CanaryFunction):
        return target.alias
    return target


def lambda_integration(function: lambda_.IFunction) -> apigateway.Integration:
    """A Lambda proxy integration (API Gateway may invoke ``function`` for this API only)."""
    return apigateway.LambdaIntegration(function)
