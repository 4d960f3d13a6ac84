"""What every route kind is: a target that checks itself, then binds itself to its route.

aws-cdk-lib's ``Integration.bind(method)`` is the model: the front door plans a route (path,
methods, schema, conflicts), creates its resources, then hands the kind a :class:`RouteBinding`;
the kind creates its integration and whatever the integration needs (a role, a VPC link rule),
named after the route (its path and method), so a route added or removed leaves every other
route's resources as they are.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import ClassVar, Protocol

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from .paths import RoutePlan

__all__ = ["RouteBinding", "RouteTarget"]


class RouteBinding(Protocol):
    """The route a target binds to, as the front door hands it over."""

    @property
    def scope(self) -> Construct:
        """Where the route's own constructs go (the front door)."""
        ...

    @property
    def owner(self) -> str:
        """The front door, as error messages name it (``ApiFrontDoor 'Api'``)."""
        ...

    @property
    def name(self) -> str:
        """The route's name in construct ids, from its path (``/orders/bulk``: ``OrdersBulk``)."""
        ...

    @property
    def plan(self) -> RoutePlan:
        """The checked path and methods."""
        ...

    @property
    def resource(self) -> apigateway.IResource:
        """The API resource of the path."""
        ...

    @property
    def proxy_resource(self) -> apigateway.IResource | None:
        """``path/{proxy+}`` for a target that claims everything below its path, else None."""
        ...

    def add_method(
        self,
        resource: apigateway.IResource,
        method: str,
        integration: apigateway.Integration,
        *,
        method_responses: Sequence[apigateway.MethodResponse] = (),
        request_parameters: Mapping[str, bool] | None = None,
    ) -> apigateway.Method:
        """Add ``method`` with the route's authorization, request model and validator."""
        ...

    def caller_alarms(
        self, scope: Construct, path: str, method: str, *, interval_minutes: int | None
    ) -> list[cloudwatch.Alarm]:
        """Alarms on what callers of ``method path`` see (5XX rate, p99 latency), in ``scope``.

        For the deployment of the target behind the route: their evaluation window fits in
        a deployment step of ``interval_minutes`` (None: no stepped shifting).
        """
        ...

    def vpc_link(self, vpc: ec2.IVpc) -> tuple[apigatewayv2.IVpcLink, ec2.ISecurityGroup]:
        """The API's VPC link into ``vpc`` (one per VPC, shared) and its security group."""
        ...


class RouteTarget(ABC):
    """Where an :class:`~modern_app_constructs.ApiFrontDoor` route sends its requests.

    Made by the :class:`~modern_app_constructs.Route` factories (``Route.function(...)``,
    ``Route.service(...)``, ``Route.queue(...)``); one subclass per kind.
    """

    #: The methods a route gets when ``add_route`` is given none.
    default_methods: ClassVar[tuple[str, ...]] = ("GET",)
    #: Whether the route also claims everything below its path (``path/{proxy+}``).
    greedy: ClassVar[bool] = False

    def check(self, owner: str) -> None:  # noqa: B027 - most kinds have nothing to check
        """Reject a target that cannot be routed to, before anything is built.

        Raises:
            InvalidPropError: naming ``owner`` (the front door) and the ``target`` prop.
        """

    @abstractmethod
    def bind(self, route: RouteBinding) -> list[apigateway.Method]:
        """Create the integration (and what it needs) and the route's methods."""
