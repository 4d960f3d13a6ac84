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

from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigatewayv2
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2

from .._validation import InvalidPropError
from ..fargate_service import FargateService

__all__ = ["ServiceTarget", "resolve_service_target", "service_integration", "use_vpc_link"]


@dataclass(frozen=True)
class ServiceTarget:
    """What a service route needs of a service.

    Attributes:
        load_balancer: the service's load balancer, the integration's target.
        listener: the listener API Gateway sends to (its security group admits the VPC link).
        vpc: the VPC the VPC link is placed in.
        origin: scheme, host and port of the integration's ``Uri``:
            ``https://<domain name>:443`` with a certificate, else
            ``http://<load balancer DNS name>:80``.
    """

    load_balancer: elbv2.ApplicationLoadBalancer
    listener: elbv2.ApplicationListener
    vpc: ec2.IVpc
    origin: str


def resolve_service_target(owner: str, service: FargateService) -> ServiceTarget:
    """The load balancer, listener, VPC and origin of ``service``.

    Raises:
        InvalidPropError: ``service`` has a certificate but no ``domain_name`` (a public one):
            API Gateway would have no name to verify the certificate against.
    """
    if service.certificate is not None:
        if service.domain_name is None:
            raise InvalidPropError(
                owner,
                "service",
                service.node.path,
                "allowed: a FargateService with domain_name= when it has a certificate (the "
                "name API Gateway calls it by and checks the certificate against)",
            )
        origin = f"https://{service.domain_name}:443"
    else:
        origin = f"http://{service.load_balancer.load_balancer_dns_name}:80"
    return ServiceTarget(
        load_balancer=service.load_balancer,
        listener=service.listener,
        vpc=service.vpc,
        origin=origin,
    )


def service_integration(
    target: ServiceTarget, method: str, upstream_path: str, *, proxy: bool
) -> apigateway.Integration:
    """An HTTP proxy integration with ``upstream_path`` on the service's load balancer.

    With ``proxy``, the greedy ``{proxy}`` path parameter is appended to the upstream path.
    """
    suffix = "/{proxy}" if proxy else ""
    parameters = {"integration.request.path.proxy": "method.request.path.proxy"} if proxy else None
    return apigateway.Integration(
        type=apigateway.IntegrationType.HTTP_PROXY,
        integration_http_method=method,
        uri=f"{target.origin}{upstream_path}{suffix}",
        options=apigateway.IntegrationOptions(request_parameters=parameters),
    )


def use_vpc_link(
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
