"""Service routes: API Gateway reaches a FargateService privately, through a VPC link (v2).

A REST API reaches an Application Load Balancer through a VPC link v2 with an ``HTTP_PROXY``
integration whose ``IntegrationTarget`` is the load balancer's ARN and whose ``Uri`` names the
listener's port (AWS API Gateway developer guide, *Set up a private integration*). The ``Uri``
does not route (the target does); its host is what API Gateway sends as Host and SNI and, over
``https://``, checks the load balancer's certificate against. aws-cdk-lib has no L2 for it yet,
so the method's integration is completed with property overrides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from .._typecheck import check_field_types
from .._validation import InvalidPropError
from ..fargate_service import FargateService
from .target import RouteBinding, RouteTarget

__all__ = ["ServiceRoute"]


@dataclass(frozen=True)
class ServiceRoute(RouteTarget):
    """A private route to a ``FargateService``; made by ``Route.service(...)``.

    The route claims its path and everything below it (``path/{proxy+}``). API Gateway reaches
    the service's internal load balancer through a VPC link (v2) in the service's VPC (one link
    per VPC, shared by every service route of the API, named after the VPC): over HTTPS to
    ``https://<service.domain_name>`` when the service has a certificate (API Gateway verifies
    it against that name), else over HTTP inside the VPC.

    Attributes:
        target: the ``FargateService``.
        strip_prefix: forward ``/catalog/items/1`` as ``/items/1`` (and ``/catalog`` as ``/``).
            Default: False: the container receives the path unchanged.
    """

    greedy: ClassVar[bool] = True

    target: FargateService
    strip_prefix: bool = False

    def __post_init__(self) -> None:
        check_field_types(self)

    @property
    def origin(self) -> str:
        """Scheme, host and port of the integration's ``Uri``.

        ``https://<domain name>:443`` with a certificate, else
        ``http://<load balancer DNS name>:80``.
        """
        if self.target.certificate is not None:
            return f"https://{self.target.domain_name}:443"
        return f"http://{self.target.load_balancer.load_balancer_dns_name}:80"

    def check(self, owner: str) -> None:
        """Reject a service with a certificate but no ``domain_name`` (a public one).

        API Gateway would have no name to verify the certificate against.
        """
        if self.target.certificate is not None and self.target.domain_name is None:
            raise InvalidPropError(
                owner,
                "target",
                self.target.node.path,
                "allowed: a FargateService with domain_name= when it has a certificate (the "
                "name API Gateway calls it by and checks the certificate against)",
            )

    def bind(self, route: RouteBinding) -> list[apigateway.Method]:
        """HTTP proxy integrations on the path and ``path/{proxy+}``, through the VPC link.

        The service's ECS deployments also roll back on what the route's callers see: the 5XX
        rate and p99 latency of each method on the path and on ``path/{proxy+}``.
        """
        link, security_group = route.vpc_link(self.target.vpc)
        self.target.listener.connections.allow_default_port_from(
            security_group, "API Gateway VPC link"
        )
        prefix = "" if self.strip_prefix else route.plan.path.rstrip("/")
        assert route.proxy_resource is not None  # the front door creates it for a greedy route
        added = []
        for resource, proxy in ((route.resource, False), (route.proxy_resource, True)):
            upstream = prefix if proxy or prefix else "/"
            for method in route.plan.methods:
                created = route.add_method(
                    resource,
                    method,
                    self._integration(method, upstream, proxy=proxy),
                    request_parameters={"method.request.path.proxy": True} if proxy else None,
                )
                _use_vpc_link(created, link, self.target.load_balancer)
                added.append(created)
                for alarm in route.caller_alarms(
                    self.target,
                    resource.path,
                    method,
                    interval_minutes=self.target.deployment.interval_minutes,
                ):
                    self.target.add_alarm(alarm)
        return added

    def _integration(
        self, method: str, upstream_path: str, *, proxy: bool
    ) -> apigateway.Integration:
        """An HTTP proxy integration with ``upstream_path`` on the service's load balancer.

        With ``proxy``, the greedy ``{proxy}`` path parameter is appended to the upstream path.
        """
        suffix = "/{proxy}" if proxy else ""
        parameters = (
            {"integration.request.path.proxy": "method.request.path.proxy"} if proxy else None
        )
        return apigateway.Integration(
            type=apigateway.IntegrationType.HTTP_PROXY,
            integration_http_method=method,
            uri=f"{self.origin}{upstream_path}{suffix}",
            options=apigateway.IntegrationOptions(request_parameters=parameters),
        )


def _use_vpc_link(
    method: apigateway.Method,
    link: apigatewayv2.IVpcLink,
    load_balancer: elbv2.IApplicationLoadBalancer,
) -> None:
    """Send ``method``'s integration through ``link`` to ``load_balancer`` (VPC link v2)."""
    cfn = method.node.default_child
    assert isinstance(cfn, apigateway.CfnMethod)
    cfn.add_property_override("Integration.ConnectionType", "VPC_LINK")
    cfn.add_property_override("Integration.ConnectionId", link.vpc_link_id)
    cfn.add_property_override("Integration.IntegrationTarget", load_balancer.load_balancer_arn)
