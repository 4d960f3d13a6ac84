"""FargateService: private ARM64 service behind an ALB, hardened, scaled, self-rolling-back."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk.assertions import Match, Template

from modern_app_constructs import DeploymentStrategy, FargateService, PlatformEnvironment
from tests.cdk_support import make_app, normalize, synth_compliant

ENV = cdk.Environment(region="eu-west-1")
IMAGE = "public.ecr.aws/docker/library/python:3.13-slim"
CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c"


def build(profile="dev", *, platform=True, **kwargs):
    app = make_app(profile=profile)
    if platform:
        PlatformEnvironment(
            cdk.Stack(app, "Platform", env=ENV), "Platform", team="t", application="a"
        )
    stack = cdk.Stack(app, "Service", env=ENV)
    if kwargs.pop("with_certificate", False):
        kwargs["certificate"] = acm.Certificate.from_certificate_arn(stack, "Cert", CERT)
    service = FargateService(
        stack, "Catalog", image=ecs.ContainerImage.from_registry(IMAGE), **kwargs
    )
    return app, stack, service


@pytest.fixture(scope="module")
def dev():
    app, stack, service = build()
    return Template.from_stack(stack), service, stack


@pytest.fixture(scope="module")
def prod():
    app, stack, service = build("prod")
    return Template.from_stack(stack), service


def test_private_subnets_no_public_ip_arm64(dev):
    template, _, _ = dev
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "LaunchType": "FARGATE",
            "NetworkConfiguration": {
                "AwsvpcConfiguration": Match.object_like(
                    {"AssignPublicIp": "DISABLED", "Subnets": Match.any_value()}
                )
            },
        },
    )
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {"RuntimePlatform": {"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}},
    )
    (service,) = template.find_resources("AWS::ECS::Service").values()
    subnets = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    assert len(subnets) == 2


def test_internal_load_balancer_by_default(dev):
    template, _, _ = dev
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internal"}
    )
    for key, value in (
        ("routing.http.drop_invalid_header_fields.enabled", "true"),
        ("deletion_protection.enabled", "false"),
        ("access_logs.s3.enabled", "true"),
    ):
        template.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::LoadBalancer",
            {"LoadBalancerAttributes": Match.array_with([{"Key": key, "Value": value}])},
        )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener", {"Port": 80, "Protocol": "HTTP"}
    )


def test_health_checks_on_target_group_and_container(dev):
    template, _, _ = dev
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        {"HealthCheckPath": "/health", "TargetType": "ip", "Port": 8080},
    )
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "HealthCheck": Match.object_like(
                            {
                                "Command": [
                                    "CMD-SHELL",
                                    "curl -fsS http://localhost:8080/health || exit 1",
                                ]
                            }
                        )
                    }
                )
            ]
        },
    )


def test_read_only_root_with_writable_tmp_and_logs(dev):
    template, _, _ = dev
    template.has_resource_properties(
        "AWS::ECS::TaskDefinition",
        {
            "ContainerDefinitions": [
                Match.object_like(
                    {
                        "ReadonlyRootFilesystem": True,
                        "User": "1000",
                        "MountPoints": [
                            {"ContainerPath": "/tmp", "ReadOnly": False, "SourceVolume": "tmp"}
                        ],
                        "LogConfiguration": Match.object_like({"LogDriver": "awslogs"}),
                    }
                )
            ],
            "Volumes": [{"Name": "tmp"}],
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup", {"RetentionInDays": 30, "KmsKeyId": Match.any_value()}
    )


def test_access_logs_bucket_is_encrypted_and_tls_only(dev):
    template, _, _ = dev
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            "PublicAccessBlockConfiguration": Match.object_like({"BlockPublicAcls": True}),
        },
    )
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


def test_circuit_breaker_and_alarm_rollback(dev):
    template, service, stack = dev
    (ecs_service,) = template.find_resources("AWS::ECS::Service").values()
    config = ecs_service["Properties"]["DeploymentConfiguration"]
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert config["Alarms"]["Enable"] is True
    assert config["Alarms"]["Rollback"] is True
    assert len(config["Alarms"]["AlarmNames"]) == 3
    assert config["MinimumHealthyPercent"] == 100
    for metric in ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm", {"MetricName": metric, "AlarmActions": [Match.any_value()]}
        )
    assert len(service.alarms) == 3


def test_ecs_exec_off_and_no_managed_policies(dev):
    template, _, _ = dev
    (ecs_service,) = template.find_resources("AWS::ECS::Service").values()
    assert ecs_service["Properties"].get("EnableExecuteCommand") in (None, False)
    for role in template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_scaling_policies(dev, prod):
    template, _, _ = dev
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 1, "MaxCapacity": 4}
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": {
                        "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
                    },
                    "TargetValue": 60,
                }
            )
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "TargetTrackingScalingPolicyConfiguration": Match.object_like(
                {
                    "PredefinedMetricSpecification": Match.object_like(
                        {"PredefinedMetricType": "ALBRequestCountPerTarget"}
                    )
                }
            )
        },
    )
    prod_template, _ = prod
    prod_template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 2})
    prod_template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 8}
    )


def test_prod_has_deletion_protection(prod):
    template, _ = prod
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "LoadBalancerAttributes": Match.array_with(
                [{"Key": "deletion_protection.enabled", "Value": "true"}]
            )
        },
    )


def test_public_with_certificate_redirects_to_https():
    _, stack, _ = build(public=True, with_certificate=True)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internet-facing"}
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": CERT}],
            "SslPolicy": Match.any_value(),
        },
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 80,
            "DefaultActions": [
                Match.object_like(
                    {
                        "Type": "redirect",
                        "RedirectConfig": Match.object_like({"Protocol": "HTTPS", "Port": "443"}),
                    }
                )
            ],
        },
    )


@pytest.mark.parametrize(
    ("deployment", "strategy", "extra"),
    [
        (DeploymentStrategy.blue_green(5), "BLUE_GREEN", {"BakeTimeInMinutes": 5}),
        (
            "Canary10Percent5Minutes",
            "CANARY",
            {"CanaryConfiguration": {"CanaryBakeTimeInMinutes": 5, "CanaryPercent": 10}},
        ),
        (
            DeploymentStrategy.linear(20, 2),
            "LINEAR",
            {"LinearConfiguration": {"StepBakeTimeInMinutes": 2, "StepPercent": 20}},
        ),
    ],
)
def test_ecs_native_traffic_shifting(deployment, strategy, extra):
    _, stack, service = build(deployment=deployment)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": Match.object_like({"Strategy": strategy, **extra}),
            "LoadBalancers": [
                Match.object_like(
                    {
                        "AdvancedConfiguration": Match.object_like(
                            {
                                "AlternateTargetGroupArn": Match.any_value(),
                                "ProductionListenerRule": Match.any_value(),
                                "TestListenerRule": Match.any_value(),
                            }
                        )
                    }
                )
            ],
        },
    )
    template.resource_count_is("AWS::ElasticLoadBalancingV2::TargetGroup", 2)
    assert service.green_target_group is not None
    assert service.test_listener is not None


def test_image_asset_synthesizes_without_docker(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.13-slim\n")
    app = make_app()
    PlatformEnvironment(cdk.Stack(app, "Platform", env=ENV), "Platform", team="t", application="a")
    stack = cdk.Stack(app, "Service", env=ENV)
    FargateService(
        stack,
        "Asset",
        image=ecs.ContainerImage.from_asset(
            str(tmp_path), platform=ecr_assets.Platform.LINUX_ARM64
        ),
    )
    template = Template.from_stack(stack)
    (task,) = template.find_resources("AWS::ECS::TaskDefinition").values()
    image = str(task["Properties"]["ContainerDefinitions"][0]["Image"])
    assert "container-assets" in image


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cpu": 300}, r"invalid cpu=300; allowed: one of \[256, 512"),
        (
            {"cpu": 256, "memory_limit_mib": 4096},
            r"invalid memory_limit_mib=4096; allowed with cpu=256: 512 to 2048",
        ),
        (
            {"cpu": 1024, "memory_limit_mib": 1024},
            r"invalid memory_limit_mib=1024; allowed with cpu=1024: 2048 to 8192 in steps of 1024",
        ),
        ({"container_port": 0}, r"invalid container_port=0; allowed: an integer from 1 to 65535"),
        ({"container_port": 70000}, r"invalid container_port=70000"),
        (
            {"health_check_path": "health"},
            r"invalid health_check_path='health'; allowed: a URL path starting with '/'",
        ),
        (
            {"min_capacity": 5, "max_capacity": 2},
            r"invalid min_capacity=5; allowed: at most max_capacity \(2\)",
        ),
        (
            {"desired_count": 9, "min_capacity": 1, "max_capacity": 4},
            r"invalid desired_count=9; allowed: from 1 to 4",
        ),
        ({"with_certificate": True}, r"invalid certificate=.*allowed only with public=True"),
        (
            {"deployment": "AllAtOnce"},
            r"invalid deployment='AllAtOnce'; allowed for ECS: rolling, blue_green",
        ),
        (
            {"deployment": DeploymentStrategy.linear(2, 1)},
            r"allowed for ECS linear: 3 to 99 percent",
        ),
        (
            {"deployment": "Linear10PercentEvery77Minutes"},
            r"invalid deployment='Linear10PercentEvery77Minutes'",
        ),
        ({"cpu_target_percent": 95}, r"invalid cpu_target_percent=95"),
        ({"user": "root; rm"}, r"invalid user='root; rm'"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(**kwargs)


def test_access_logs_need_a_concrete_region():
    app = make_app()
    stack = cdk.Stack(app, "Agnostic")
    with pytest.raises(
        ValueError,
        match=r"invalid access_logs=True; allowed only in a stack with a concrete region",
    ):
        FargateService(stack, "S", image=ecs.ContainerImage.from_registry(IMAGE))


@pytest.mark.parametrize(
    ("profile", "kwargs"),
    [
        ("prod", {}),
        ("dev", {"public": True, "with_certificate": True, "environment": {"LOG_LEVEL": "info"}}),
        ("dev", {"deployment": DeploymentStrategy.blue_green()}),
        ("dev", {"platform": False}),
    ],
)
def test_compliance(profile, kwargs):
    platform = kwargs.pop("platform", True)
    app, _, _ = build(profile, platform=platform, **kwargs)
    synth_compliant(app)


def test_snapshot(dev, snapshot_json):
    template, _, _ = dev
    assert normalize(template.to_json()) == snapshot_json


def test_service_overrides():
    _, stack, _ = build(service_overrides={"health_check_grace_period": cdk.Duration.seconds(120)})
    Template.from_stack(stack).has_resource_properties(
        "AWS::ECS::Service", {"HealthCheckGracePeriodSeconds": 120}
    )
    with pytest.raises(
        ValueError, match=r"invalid service_overrides=.*\['assign_public_ip', 'circuit_breaker'\]"
    ):
        build(service_overrides={"assign_public_ip": True, "circuit_breaker": None})
