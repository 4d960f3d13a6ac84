"""How API methods are authorized: IAM, a Cognito user pool, a Lambda token, or none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from .._validation import InvalidPropError, InvalidPropTypeError, check_choice, implements
from ..canary_function import CanaryFunction

__all__ = ["Authorization"]

_KINDS = {
    "iam": apigateway.AuthorizationType.IAM,
    "cognito": apigateway.AuthorizationType.COGNITO,
    "token": apigateway.AuthorizationType.CUSTOM,
    "none": apigateway.AuthorizationType.NONE,
}


@dataclass(frozen=True)
class Authorization:
    """How the methods of an :class:`~modern_app_constructs.ApiFrontDoor` are authorized.

    Made by the factories :meth:`iam`, :meth:`cognito`, :meth:`token` and :meth:`none`; given
    to ``ApiFrontDoor(authorization=...)`` (every route's default) or to ``add_route(...,
    authorization=...)`` (that route only). One authorizer is created per user pool set or
    token function and shared by the routes that use it.

    Attributes:
        kind: ``"iam"``, ``"cognito"``, ``"token"`` or ``"none"``.
        user_pools: the Cognito user pools (``cognito``). Default: none.
        function: the token authorizer function (``token``). Default: none.
        reason: why the methods are public (``none``). Default: none.
    """

    kind: str
    user_pools: Sequence[cognito.IUserPool] = ()
    function: lambda_.IFunction | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        check_choice("Authorization", "kind", self.kind, tuple(_KINDS))
        owner = f"Authorization.{self.kind}()"
        if self.kind == "cognito":
            pools = self.user_pools
            if isinstance(pools, str) or not isinstance(pools, Sequence) or not pools:
                raise InvalidPropError(
                    owner, "user_pools", pools, "allowed: a non-empty sequence of IUserPool"
                )
            for pool in pools:
                if not implements(pool, cognito.IUserPool):
                    raise InvalidPropTypeError(
                        owner,
                        "user_pools",
                        pool,
                        f"expected aws_cognito.IUserPool, got {type(pool).__name__}",
                    )
        if self.kind == "token" and not implements(self.function, lambda_.IFunction):
            raise InvalidPropTypeError(
                owner,
                "function",
                self.function,
                "expected CanaryFunction or aws_lambda.IFunction, "
                f"got {type(self.function).__name__}",
            )
        if self.kind == "none" and (not isinstance(self.reason, str) or not self.reason.strip()):
            raise InvalidPropError(
                owner,
                "reason",
                self.reason,
                "allowed: a non-empty reason why the methods are public (shown to reviewers)",
            )

    @staticmethod
    def iam() -> Authorization:
        """Callers sign requests with AWS credentials allowed ``execute-api:Invoke`` (SigV4)."""
        return Authorization("iam")

    @staticmethod
    def cognito(user_pools: Sequence[cognito.IUserPool]) -> Authorization:
        """Callers present an ID token of one of ``user_pools``.

        Raises:
            InvalidPropError: ``user_pools`` is empty or holds something else than user pools.
        """
        pools = tuple(user_pools) if isinstance(user_pools, (list, tuple)) else user_pools
        return Authorization("cognito", user_pools=pools)

    @staticmethod
    def token(function: CanaryFunction | lambda_.IFunction) -> Authorization:
        """A Lambda token authorizer reads the ``Authorization`` header and returns a policy.

        Args:
            function: the authorizer; a ``CanaryFunction`` is invoked through its alias.

        Raises:
            InvalidPropTypeError: ``function`` is not a function.
        """
        if isinstance(function, CanaryFunction):
            return Authorization("token", function=function.alias)
        return Authorization("token", function=function)

    @staticmethod
    def none(*, reason: str) -> Authorization:
        """No authorization: anyone may call. A deliberate choice, so it takes the reason.

        The reason is the acknowledgment of cdk-nag's findings on the public methods
        (``AwsSolutions-APIG4``, ``AwsSolutions-COG4``) that a reviewer reads in the report.

        Raises:
            InvalidPropError: ``reason`` is empty.
        """
        return Authorization("none", reason=reason)

    @property
    def authorization_type(self) -> apigateway.AuthorizationType:
        """The methods' ``AuthorizationType``."""
        return _KINDS[self.kind]

    @property
    def authorizer_key(self) -> tuple[str, ...] | None:
        """What identifies the authorizer this needs (None for IAM and none)."""
        if self.kind == "cognito":
            return ("cognito", *(pool.node.addr for pool in self.user_pools))
        if self.kind == "token" and self.function is not None:
            return ("token", self.function.node.addr)
        return None

    def authorizer_id(self) -> str:
        """A construct id for this authorizer, from the user pools' or function's own ids."""
        named = self.user_pools if self.kind == "cognito" else (self.function,)
        return "Authorizer" + "".join(
            cdk.Names.node_unique_id(part.node) for part in named if part is not None
        )

    def create_authorizer(self, scope: Construct, construct_id: str) -> apigateway.IAuthorizer:
        """The authorizer this needs (call only when :attr:`authorizer_key` is not None)."""
        if self.kind == "cognito":
            return apigateway.CognitoUserPoolsAuthorizer(
                scope, construct_id, cognito_user_pools=list(self.user_pools)
            )
        assert self.function is not None
        return apigateway.TokenAuthorizer(scope, construct_id, handler=self.function)

    @property
    def label(self) -> str:
        """``IAM``, ``COGNITO``, ``TOKEN`` or ``NONE``, for acknowledgments."""
        return self.kind.upper()
