"""Lambda routes: a proxy integration with a function, through its alias for a CanaryFunction."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .._warnings import warn
from ..canary_function import CanaryFunction

__all__ = ["lambda_integration", "resolve_lambda_target", "warn_if_canary_bypassed"]


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


def warn_if_canary_bypassed(scope: Construct, prop: str, target: object) -> None:
    """Warn when ``target`` is a CanaryFunction's unversioned function or fixed version."""
    if not isinstance(target, lambda_.FunctionBase):
        return
    canaries = [scope for scope in target.node.scopes if isinstance(scope, CanaryFunction)]
    parent = canaries[-1] if canaries else None
    if parent is not None and parent.bypassed_by(target):
        warn(
            scope,
            "canary-bypassed",
            f"{prop}={target.node.path} is the CanaryFunction's own function (or a fixed "
            "version), not its alias: traffic skips the canary deployment and its rollback. "
            f"Pass the CanaryFunction itself ({parent.node.path}) or its .alias.",
        )
