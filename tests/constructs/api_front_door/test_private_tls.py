"""TLS on the private hop: API Gateway -> VPC link -> an internal FargateService's load balancer.

With ``certificate=`` and ``domain_name=`` the internal load balancer listens on HTTPS only (the
blue/green test listener too) and the API's private integration calls ``https://<domain
name>:443``; without, the HTTP hop stays inside the VPC, with checkov's plaintext checks skipped
on the listener with the reason. Either way the integration targets the load balancer's ARN,
as AWS documents for a REST API private integration through a VPC link v2.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Template

from modern_app_constructs import (
    ApiFrontDoor,
    DeploymentStrategy,
    FargateService,
    InvalidPropError,
    Route,
)
from modern_app_constructs.testing import app_for_tests
from tests.cdk_support import scenarios

ENV = cdk.Environment(region="eu-west-1")
IMAGE = ecs.ContainerImage.from_registry("public.ecr.aws/docker/library/python:3.13-slim")
CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c"
NAME = "catalog.internal.example.com"
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


Built = tuple[cdk.Stack, FargateService, Template]


def catalog(stack: cdk.Stack, *, api: bool = True, **kwargs: Any) -> FargateService:
    """The ``Catalog`` service, with a certificate unless ``with_certificate=False``.

    Unless ``api=False``, an ``ApiFrontDoor`` routes ``/catalog`` to it.
    """
    if kwargs.pop("with_certificate", True):
        kwargs["certificate"] = acm.Certificate.from_certificate_arn(stack, "Cert", CERT)
    service = FargateService(stack, "Catalog", image=IMAGE, **kwargs)
    if api:
        ApiFrontDoor(stack, "Api").add_route("/catalog", Route.service(service))
    return service


VARIANTS = {
    "Https": {"domain_name": NAME},
    "HttpsBlueGreen": {
        "api": False,
        "domain_name": NAME,
        "deployment": DeploymentStrategy.blue_green(),
    },
    "PublicHttps": {"api": False, "public": True},
    "Plaintext": {"with_certificate": False, "deployment": DeploymentStrategy.blue_green()},
    "PublicHttp": {"api": False, "with_certificate": False, "public": True},
}


@pytest.fixture(scope="module")
def variants() -> dict[str, Built]:
    """Every variant beside one platform, synthesized once: (stack, service, template) each."""

    def build(kwargs: dict[str, Any]) -> Any:
        return lambda stack: catalog(stack, **kwargs)

    built = scenarios({name: build(kwargs) for name, kwargs in VARIANTS.items()}, env=ENV)
    return {name: (built.stacks[name], built[name], built.templates[name]) for name in VARIANTS}


def _id(stack: cdk.Stack, construct: Any) -> str:
    return str(stack.resolve(stack.get_logical_id(construct.node.default_child)))


@pytest.fixture(scope="module")
def https(variants) -> Built:
    return variants["Https"]


def test_internal_load_balancer_listens_on_https_only(https):
    stack, service, template = https
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internal"}
    )
    listeners = template.find_resources("AWS::ElasticLoadBalancingV2::Listener")
    untagged = [
        {key: value for key, value in listener["Properties"].items() if key != "Tags"}
        for listener in listeners.values()
    ]
    assert untagged == [
        {
            "Certificates": [{"CertificateArn": CERT}],
            "DefaultActions": [
                {
                    "TargetGroupArn": {"Ref": _id(stack, service.target_group)},
                    "Type": "forward",
                }
            ],
            "LoadBalancerArn": {"Ref": _id(stack, service.load_balancer)},
            "Port": 443,
            "Protocol": "HTTPS",
            "SslPolicy": TLS_POLICY,
        }
    ]
    assert service.certificate is not None
    assert service.domain_name == NAME


def test_only_the_vpc_link_reaches_the_https_port(https):
    stack, service, template = https
    (load_balancer,) = template.find_resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
    (group,) = load_balancer["Properties"]["SecurityGroups"]
    (link_group,) = [
        logical_id
        for logical_id, resource in template.find_resources("AWS::EC2::SecurityGroup").items()
        if "VPC link" in resource["Properties"]["GroupDescription"]
    ]
    ingress = [
        rule["Properties"]
        for rule in template.find_resources("AWS::EC2::SecurityGroupIngress").values()
        if rule["Properties"]["GroupId"] == group
    ]
    assert ingress == [
        {
            "Description": "API Gateway VPC link",
            "FromPort": 443,
            "GroupId": group,
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": {"Fn::GetAtt": [link_group, "GroupId"]},
            "ToPort": 443,
        }
    ]


def test_api_calls_the_service_over_https_by_its_name(https):
    stack, service, template = https
    (link,) = template.find_resources("AWS::ApiGatewayV2::VpcLink")
    methods = [
        method["Properties"]["Integration"]
        for method in template.find_resources("AWS::ApiGateway::Method").values()
        if method["Properties"]["Integration"].get("ConnectionType") == "VPC_LINK"
    ]
    assert sorted(integration["Uri"] for integration in methods) == [
        f"https://{NAME}:443/catalog",
        f"https://{NAME}:443/catalog/{{proxy}}",
    ]
    for integration in methods:
        assert integration["Type"] == "HTTP_PROXY"
        # AWS API Gateway developer guide, "Set up a private integration": the target of a
        # VPC link v2 integration is the load balancer's ARN (an ALB's Ref is its ARN)
        assert integration["IntegrationTarget"] == {"Ref": _id(stack, service.load_balancer)}
        assert integration["ConnectionId"] == {"Ref": link}
        assert "TlsConfig" not in integration  # a public ACM certificate needs no skip


def test_blue_green_test_listener_is_https_too(variants):
    _, _, template = variants["HttpsBlueGreen"]
    listeners = template.find_resources("AWS::ElasticLoadBalancingV2::Listener")
    assert sorted(
        (
            listener["Properties"]["Port"],
            listener["Properties"]["Protocol"],
            listener["Properties"]["Certificates"][0]["CertificateArn"],
            listener["Properties"]["SslPolicy"],
        )
        for listener in listeners.values()
    ) == [(443, "HTTPS", CERT, TLS_POLICY), (9000, "HTTPS", CERT, TLS_POLICY)]
    for listener in listeners.values():
        assert "Metadata" not in listener or "checkov" not in listener["Metadata"]


def test_public_load_balancer_keeps_its_redirect(variants):
    _, _, template = variants["PublicHttps"]
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {"Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": CERT}]},
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "Protocol": "HTTP",
            "DefaultActions": [
                {
                    "RedirectConfig": {
                        "Port": "443",
                        "Protocol": "HTTPS",
                        "StatusCode": "HTTP_301",
                    },
                    "Type": "redirect",
                }
            ],
        },
    )


# ------------------------------------------------------------- without a certificate


@pytest.fixture(scope="module")
def plaintext(variants) -> Built:
    return variants["Plaintext"]


def test_without_a_certificate_the_hop_is_http_inside_the_vpc(plaintext):
    stack, service, template = plaintext
    methods = [
        method["Properties"]["Integration"]
        for method in template.find_resources("AWS::ApiGateway::Method").values()
        if method["Properties"]["Integration"].get("ConnectionType") == "VPC_LINK"
    ]
    load_balancer = _id(stack, service.load_balancer)
    assert sorted(str(integration["Uri"]) for integration in methods) == sorted(
        str(
            {
                "Fn::Join": [
                    "",
                    ["http://", {"Fn::GetAtt": [load_balancer, "DNSName"]}, f":80{path}"],
                ]
            }
        )
        for path in ("/catalog", "/catalog/{proxy}")
    )
    for integration in methods:
        assert integration["IntegrationTarget"] == {"Ref": load_balancer}


def test_without_a_certificate_checkov_is_told_why_http_is_acceptable(plaintext):
    stack, service, template = plaintext
    assert service.test_listener is not None
    for listener in (service.listener, service.test_listener):
        resource = template.to_json()["Resources"][_id(stack, listener)]
        assert resource["Properties"]["Protocol"] == "HTTP"
        skips = {s["id"]: s["comment"] for s in resource["Metadata"]["checkov"]["skip"]}
        assert set(skips) == {"CKV_AWS_2", "CKV_AWS_103"}
        assert "never leaves the VPC" in skips["CKV_AWS_2"]
        assert "only the API's VPC link security group" in skips["CKV_AWS_2"]


def test_a_public_http_listener_is_not_excused(variants):
    stack, service, template = variants["PublicHttp"]
    resource = template.to_json()["Resources"][_id(stack, service.listener)]
    assert "Metadata" not in resource or "checkov" not in resource["Metadata"]


# ------------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("kwargs", "prop", "match"),
    [
        ({}, "domain_name", r"required with certificate= on an internal load balancer"),
        (
            {"with_certificate": False, "domain_name": NAME},
            "domain_name",
            r"only with certificate=",
        ),
        ({"domain_name": "*.internal.example.com"}, "domain_name", r"without a wildcard"),
        ({"domain_name": "catalog"}, "domain_name", r"two or more labels"),
        ({"domain_name": "bad_name.example.com"}, "domain_name", r"DNS host name"),
    ],
)
def test_bad_input(kwargs, prop, match):
    stack = cdk.Stack(app_for_tests(), "Service", env=ENV)
    with pytest.raises(InvalidPropError, match=match) as raised:
        catalog(stack, api=False, **kwargs)  # props are checked before the platform is read
    assert raised.value.prop == prop


def test_a_route_to_a_certified_service_without_a_name_is_rejected():
    stack = cdk.Stack(app_for_tests(), "Service", env=ENV)
    service = catalog(stack, api=False, public=True)
    api = ApiFrontDoor(stack, "Api")
    with pytest.raises(InvalidPropError, match=r"with domain_name= when it has a certificate") as (
        raised
    ):
        api.add_route("/catalog", Route.service(service))
    assert raised.value.prop == "target"
    assert not api.routes
