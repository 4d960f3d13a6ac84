"""FargateService: private ARM64 service behind an ALB, hardened, scaled, self-rolling-back."""

from __future__ import annotations

import json
from dataclasses import dataclass

import aws_cdk as cdk
import pytest
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk.assertions import Match, Template

from modern_app_constructs import (
    DeploymentStrategy,
    FargateService,
    InvalidPropError,
    ServiceScaling,
)
from tests.cdk_support import (
    ENV,
    ServiceApp,
    get_att,
    logical_id,
    ref,
    scenarios,
    service_app,
)

IMAGE = "public.ecr.aws/docker/library/python:3.13-slim"
CERT = "arn:aws:acm:eu-west-1:111122223333:certificate/0f1e2d3c"


@dataclass(frozen=True)
class Built:
    """A FargateService ``Catalog`` in the service stack (``eu-west-1``) of a ServiceApp."""

    built: ServiceApp
    service: FargateService

    @property
    def stack(self) -> cdk.Stack:
        return self.built.stack


def catalog(stack: cdk.Stack, **kwargs) -> FargateService:
    """The ``Catalog`` service in ``stack`` (``with_certificate=True``: an imported certificate)."""
    if kwargs.pop("with_certificate", False):
        kwargs["certificate"] = acm.Certificate.from_certificate_arn(stack, "Cert", CERT)
    kwargs.setdefault("image", ecs.ContainerImage.from_registry(IMAGE))
    return FargateService(stack, "Catalog", **kwargs)


def build(profile="dev", *, platform=True, cfn_lint=False, **kwargs) -> Built:
    built = service_app(profile, env=ENV, platform=platform, cfn_lint=cfn_lint)
    return Built(built, catalog(built.stack, **kwargs))


@dataclass(frozen=True)
class Synthesized:
    """A built FargateService and its service template, from one synthesis behind the gates."""

    built: Built
    template: Template

    @property
    def service(self) -> FargateService:
        return self.built.service

    @property
    def stack(self) -> cdk.Stack:
        return self.built.stack


def gated(profile="dev", **kwargs) -> Synthesized:
    """Build, then synthesize once through ``assert_compliant`` (cdk-nag + cfn-lint)."""
    built = build(profile, cfn_lint=True, **kwargs)
    templates = built.built.gate()
    return Synthesized(built, Template.from_json(templates["Service"]))


COMPLIANCE = {
    "PublicWithEnvironment": {
        "public": True,
        "with_certificate": True,
        "environment": {"LOG_LEVEL": "info"},
    },
    "CanaryWithExec": {"deployment": "Canary10Percent5Minutes", "enable_execute_command": True},
}
#: The dev services synthesized together behind the gates: the defaults (``Service``), the
#: snapshotted public HTTPS and blue/green ones, and two more variants gated only.
GATED_DEV = {
    "Service": {},
    "PublicHttps": {"public": True, "with_certificate": True},
    "BlueGreen": {"deployment": DeploymentStrategy.blue_green(10)},
    **COMPLIANCE,
}


@pytest.fixture(scope="module")
def gated_dev() -> dict[str, Synthesized]:
    """Every ``GATED_DEV`` service beside one platform, in one synthesis behind the gates."""

    def service(kwargs):
        return lambda stack: catalog(stack, **kwargs)

    built = scenarios(
        {name: service(kwargs) for name, kwargs in GATED_DEV.items()}, env=ENV, gated=True
    )
    return {
        name: Synthesized(
            Built(built.service_app(name), built[name]),
            built.templates[name],
        )
        for name in GATED_DEV
    }


@pytest.fixture(scope="module")
def dev(gated_dev) -> Synthesized:
    return gated_dev["Service"]


@pytest.fixture(scope="module")
def prod() -> Synthesized:
    return gated("prod")


def test_private_subnets_no_public_ip_arm64(dev):
    template = dev.template
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
    template = dev.template
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
    template = dev.template
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
    template = dev.template
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
        "AWS::Logs::LogGroup", {"RetentionInDays": 30, "KmsKeyId": dev.built.built.key_arn_ref()}
    )


def test_access_logs_bucket_is_encrypted_and_tls_only(dev):
    template = dev.template
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
    template, service = dev.template, dev.service
    (ecs_service,) = template.find_resources("AWS::ECS::Service").values()
    config = ecs_service["Properties"]["DeploymentConfiguration"]
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    assert config["Alarms"]["Enable"] is True
    assert config["Alarms"]["Rollback"] is True
    assert len(config["Alarms"]["AlarmNames"]) == 3
    assert config["MinimumHealthyPercent"] == 100
    topic = dev.built.built.alarm_topic_ref()
    for metric in ("HTTPCode_Target_5XX_Count", "UnHealthyHostCount", "TargetResponseTime"):
        template.has_resource_properties(
            "AWS::CloudWatch::Alarm", {"MetricName": metric, "AlarmActions": [topic]}
        )
    assert len(service.alarms) == 3


def test_ecs_exec_off_and_no_managed_policies(dev):
    template = dev.template
    (ecs_service,) = template.find_resources("AWS::ECS::Service").values()
    assert ecs_service["Properties"].get("EnableExecuteCommand") in (None, False)
    for role in template.find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_scaling_policies(dev, prod):
    template = dev.template
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
    prod_template = prod.template
    prod_template.has_resource_properties("AWS::ECS::Service", {"DesiredCount": 2})
    prod_template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2, "MaxCapacity": 8}
    )


def test_prod_has_deletion_protection(prod):
    template = prod.template
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "LoadBalancerAttributes": Match.array_with(
                [{"Key": "deletion_protection.enabled", "Value": "true"}]
            )
        },
    )


SHIFTS = {
    "BlueGreen": DeploymentStrategy.blue_green(5),
    "Canary": "Canary10Percent5Minutes",
    "Linear": DeploymentStrategy.linear(20, 2),
}


def _unhardened(stack: cdk.Stack) -> FargateService:
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "Db", "catalog/db")
    return catalog(
        stack,
        container_port=3000,
        health_check_path="/ready",
        container_health_check=["CMD", "python", "-c", "print('ok')"],
        readonly_root_filesystem=False,
        user=None,
        enable_execute_command=True,
        environment={"LOG_LEVEL": "debug"},
        secrets={"DB_PASSWORD": ecs.Secret.from_secrets_manager(secret, "password")},
    )


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    """Services with one option each, beside one platform, synthesized once."""
    context = tmp_path_factory.mktemp("image")
    (context / "Dockerfile").write_text(f"FROM {IMAGE}\n")
    image = ecs.ContainerImage.from_asset(str(context), platform=ecr_assets.Platform.LINUX_ARM64)

    def shifted(deployment):
        return lambda stack: catalog(stack, deployment=deployment)

    return scenarios(
        {
            **{name: shifted(deployment) for name, deployment in SHIFTS.items()},
            "ImageAsset": lambda stack: catalog(stack, image=image),
            "ServiceOverrides": lambda stack: catalog(
                stack, service_overrides={"health_check_grace_period": cdk.Duration.seconds(120)}
            ),
            "Unhardened": _unhardened,
        },
        env=ENV,
    )


@pytest.fixture(scope="module")
def public_https(gated_dev) -> Template:
    return gated_dev["PublicHttps"].template


def test_public_with_certificate_redirects_to_https(public_https):
    template = public_https
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internet-facing"}
    )
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener",
        {
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": CERT}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
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
    ("scenario", "strategy", "extra"),
    [
        ("BlueGreen", "BLUE_GREEN", {"BakeTimeInMinutes": 5}),
        (
            "Canary",
            "CANARY",
            {"CanaryConfiguration": {"CanaryBakeTimeInMinutes": 5, "CanaryPercent": 10}},
        ),
        (
            "Linear",
            "LINEAR",
            {"LinearConfiguration": {"StepBakeTimeInMinutes": 2, "StepPercent": 20}},
        ),
    ],
)
def test_ecs_native_traffic_shifting(variants, scenario, strategy, extra):
    service = variants[scenario]
    template = variants.templates[scenario]
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": Match.object_like({"Strategy": strategy, **extra}),
            "LoadBalancers": [
                Match.object_like(
                    {
                        "AdvancedConfiguration": Match.object_like(
                            {
                                "AlternateTargetGroupArn": ref(service.green_target_group),
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
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::Listener", {"Port": 9000, "Protocol": "HTTP"}
    )
    assert isinstance(service.green_target_group, elbv2.ApplicationTargetGroup)
    (test_listener,) = template.find_resources(
        "AWS::ElasticLoadBalancingV2::Listener", {"Properties": {"Port": 9000}}
    )
    assert logical_id(service.test_listener) == test_listener


def test_image_asset_synthesizes_without_docker(variants):
    template = variants.templates["ImageAsset"]
    (task,) = template.find_resources("AWS::ECS::TaskDefinition").values()
    image = str(task["Properties"]["ContainerDefinitions"][0]["Image"])
    assert "container-assets" in image


@pytest.mark.parametrize(
    ("kwargs", "prop", "value"),
    [
        ({"cpu": 300}, "cpu", 300),
        ({"cpu": 256, "memory_limit_mib": 4096}, "memory_limit_mib", 4096),
        ({"cpu": 1024, "memory_limit_mib": 1024}, "memory_limit_mib", 1024),
        ({"container_port": 0}, "container_port", 0),
        ({"container_port": 70000}, "container_port", 70000),
        ({"health_check_path": "health"}, "health_check_path", "health"),
        ({"scaling": ServiceScaling(min_capacity=5, max_capacity=2)}, "scaling.min_capacity", 5),
        ({"scaling": ServiceScaling(min_capacity=0)}, "scaling.min_capacity", 0),
        ({"scaling": ServiceScaling(max_capacity=1001)}, "scaling.max_capacity", 1001),
        (
            {"desired_count": 9, "scaling": ServiceScaling(min_capacity=1, max_capacity=4)},
            "desired_count",
            9,
        ),
        ({"with_certificate": True}, "domain_name", None),
        ({"deployment": "AllAtOnce"}, "deployment", "AllAtOnce"),
        (
            {"deployment": DeploymentStrategy.linear(2, 1)},
            "deployment",
            "Linear2PercentEvery1Minute",
        ),
        (
            {"deployment": "Linear10PercentEvery77Minutes"},
            "deployment",
            "Linear10PercentEvery77Minutes",
        ),
        ({"scaling": ServiceScaling(cpu_target_percent=95)}, "scaling.cpu_target_percent", 95),
        (
            {"scaling": ServiceScaling(requests_per_target=0)},
            "scaling.requests_per_target",
            0,
        ),
        ({"user": "root; rm"}, "user", "root; rm"),
    ],
)
def test_bad_input(kwargs, prop, value):
    with pytest.raises(InvalidPropError) as error:
        build(platform=False, **kwargs)  # props are checked before anything reads the platform
    assert (error.value.prop, error.value.value) == (prop, value)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"cpu": 1024, "memory_limit_mib": 1024},
            r"FargateService 'Catalog': invalid memory_limit_mib=1024; allowed with cpu=1024: "
            r"2048 to 8192 in steps of 1024",
        ),
        (
            {"deployment": "AllAtOnce"},
            r"invalid deployment='AllAtOnce'; allowed for ECS: rolling, blue_green",
        ),
    ],
)
def test_bad_input_messages(kwargs, match):
    with pytest.raises(InvalidPropError, match=match):
        build(platform=False, **kwargs)


def test_compliance(gated_dev):
    """Two more variants pass the gates, synthesized with the gated dev fixtures.

    The gated fixtures cover dev, prod, public HTTPS, blue/green and standalone.
    """
    public = gated_dev["PublicWithEnvironment"].template
    public.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer", {"Scheme": "internet-facing"}
    )
    (task,) = public.find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert {"Name": "LOG_LEVEL", "Value": "info"} in container["Environment"]
    gated_dev["CanaryWithExec"].template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "EnableExecuteCommand": True,
            "DeploymentConfiguration": Match.object_like({"Strategy": "CANARY"}),
        },
    )


def test_snapshot(dev, template_snapshot):
    assert dev.template == template_snapshot


def test_snapshot_public_https(public_https, template_snapshot):
    assert public_https == template_snapshot


def test_snapshot_blue_green(blue_green, template_snapshot):
    assert blue_green.template == template_snapshot


def test_service_overrides(variants):
    variants.templates["ServiceOverrides"].has_resource_properties(
        "AWS::ECS::Service", {"HealthCheckGracePeriodSeconds": 120}
    )
    with pytest.raises(
        InvalidPropError, match=r"\['assign_public_ip', 'circuit_breaker'\]"
    ) as error:
        build(platform=False, service_overrides={"assign_public_ip": True, "circuit_breaker": None})
    assert error.value.prop == "service_overrides"


def test_tasks_spread_over_two_azs(dev):
    """The service's two private subnets are the platform's, one per AZ."""
    template = dev.template
    (service,) = template.find_resources("AWS::ECS::Service").values()
    subnets = service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["Subnets"]
    platform = dev.built.built.platform_stack_template().to_json()
    azs = set()
    for subnet in subnets:
        output = platform["Outputs"][subnet["Fn::GetStackOutput"]["OutputName"]]
        resource = platform["Resources"][output["Value"]["Ref"]]
        assert resource["Type"] == "AWS::EC2::Subnet"
        assert resource["Properties"]["MapPublicIpOnLaunch"] is False
        azs.add(json.dumps(resource["Properties"]["AvailabilityZone"], sort_keys=True))
    assert len(azs) == 2


def test_security_groups_reference_each_other(dev):
    template, service = dev.template, dev.service
    (lb_group,) = service.load_balancer.connections.security_groups
    (service_group,) = service.connections.security_groups
    assert logical_id(service_group).startswith("CatalogServiceSecurityGroup")
    template.has_resource_properties(
        "AWS::EC2::SecurityGroupIngress",
        {
            "FromPort": 8080,
            "ToPort": 8080,
            "IpProtocol": "tcp",
            "SourceSecurityGroupId": get_att(lb_group, "GroupId"),
            "GroupId": get_att(service_group, "GroupId"),
        },
    )
    for rule in template.find_resources("AWS::EC2::SecurityGroupIngress").values():
        assert "CidrIp" not in rule["Properties"]
    # internal and not opened: only what the app allows (e.g. an API front door's VPC link)
    groups = template.find_resources("AWS::EC2::SecurityGroup")
    assert "SecurityGroupIngress" not in groups[logical_id(lb_group)]["Properties"]


def test_deployment_alarms_are_the_generated_alarms(dev):
    template, service, stack = dev.template, dev.service, dev.stack
    (ecs_service,) = template.find_resources("AWS::ECS::Service").values()
    names = ecs_service["Properties"]["DeploymentConfiguration"]["Alarms"]["AlarmNames"]
    alarm_ids = set(template.find_resources("AWS::CloudWatch::Alarm"))
    assert {name["Ref"] for name in names} == alarm_ids
    assert [stack.resolve(alarm.alarm_name) for alarm in service.alarms] == names


def test_exposes_children_and_metrics(dev):
    service = dev.service
    assert isinstance(service.load_balancer, elbv2.ApplicationLoadBalancer)
    assert isinstance(service.listener, elbv2.ApplicationListener)
    assert isinstance(service.target_group, elbv2.ApplicationTargetGroup)
    assert isinstance(service.service, ecs.FargateService)
    assert service.container.container_port == 8080
    assert isinstance(service.access_logs_bucket, s3.Bucket)
    dev.template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        {
            "LoadBalancerAttributes": Match.array_with(
                [{"Key": "access_logs.s3.bucket", "Value": ref(service.access_logs_bucket)}]
            )
        },
    )
    assert service.green_target_group is None
    assert service.test_listener is None
    assert service.deployment == DeploymentStrategy.rolling()
    for metric, name, statistic in (
        (service.metric_cpu(), "CPUUtilization", "Average"),
        (service.metric_memory(), "MemoryUtilization", "Average"),
        (service.metric_target_5xx(), "HTTPCode_Target_5XX_Count", "Sum"),
        (service.metric_healthy_hosts(), "HealthyHostCount", "Minimum"),
        (service.metric_unhealthy_hosts(), "UnHealthyHostCount", "Maximum"),
        (service.metric_response_time(), "TargetResponseTime", "p99"),
    ):
        assert (metric.metric_name, metric.statistic) == (name, statistic)
        assert metric.period.to_seconds() == 60
    assert service.metric_cpu(statistic="Maximum").statistic == "Maximum"


def test_options_turn_hardening_off_only_when_asked(variants):
    template = variants.templates["Unhardened"]
    (task,) = template.find_resources("AWS::ECS::TaskDefinition").values()
    (container,) = task["Properties"]["ContainerDefinitions"]
    assert container["HealthCheck"]["Command"] == ["CMD", "python", "-c", "print('ok')"]
    assert container["ReadonlyRootFilesystem"] is False
    assert "MountPoints" not in container
    assert "Volumes" not in task["Properties"]
    assert "User" not in container
    assert container["PortMappings"] == [{"ContainerPort": 3000, "Name": "http", "Protocol": "tcp"}]
    assert container["Environment"] == [{"Name": "LOG_LEVEL", "Value": "debug"}]
    (secret_ref,) = container["Secrets"]
    assert secret_ref["Name"] == "DB_PASSWORD"
    assert "catalog/db" in json.dumps(secret_ref["ValueFrom"])
    assert "password" in json.dumps(secret_ref["ValueFrom"])
    template.has_resource_properties("AWS::ECS::Service", {"EnableExecuteCommand": True})
    template.has_resource_properties(
        "AWS::ElasticLoadBalancingV2::TargetGroup", {"HealthCheckPath": "/ready", "Port": 3000}
    )


def test_standalone_creates_its_own_compliant_network():
    template = gated(platform=False).template
    template.resource_count_is("AWS::EC2::VPC", 1)
    template.has_resource_properties("AWS::EC2::FlowLog", {"TrafficType": "ALL"})
    template.has_resource_properties(
        "AWS::ECS::Cluster",
        {"ClusterSettings": [{"Name": "containerInsights", "Value": "enabled"}]},
    )
    for alarm in template.find_resources("AWS::CloudWatch::Alarm").values():
        assert "AlarmActions" not in alarm["Properties"]


@pytest.fixture(scope="module")
def blue_green(gated_dev) -> Synthesized:
    return gated_dev["BlueGreen"]


def test_blue_green_builds_green_group_production_rule_and_test_listener(blue_green):
    template, service = blue_green.template, blue_green.service
    weighted = {
        "Type": "forward",
        "ForwardConfig": {
            "TargetGroups": [
                {
                    "TargetGroupArn": {"Ref": Match.string_like_regexp("CatalogTargetGroup")},
                    "Weight": 100,
                },
                {
                    "TargetGroupArn": {"Ref": Match.string_like_regexp("CatalogGreenTargetGroup")},
                    "Weight": 0,
                },
            ]
        },
    }
    for listener in ("CatalogLoadBalancerHttp", "CatalogLoadBalancerTestListener"):
        template.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::ListenerRule",
            {
                "ListenerArn": {"Ref": Match.string_like_regexp(listener)},
                "Priority": 1,
                "Conditions": [{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/*"]}}],
                "Actions": [weighted],
            },
        )
    # production and test listeners answer 404 outside the rule ECS moves
    for port in (80, 9000):
        template.has_resource_properties(
            "AWS::ElasticLoadBalancingV2::Listener",
            {"Port": port, "DefaultActions": [Match.object_like({"Type": "fixed-response"})]},
        )
    template.has_resource_properties(
        "AWS::ECS::Service",
        {
            "DeploymentConfiguration": Match.object_like(
                {
                    "Strategy": "BLUE_GREEN",
                    "BakeTimeInMinutes": 10,
                    "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
                    "Alarms": Match.object_like({"Enable": True, "Rollback": True}),
                }
            ),
            # absent means ECS, the controller ECS-native strategies need (no CodeDeploy)
            "DeploymentController": Match.absent(),
        },
    )
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "ecs.amazonaws.com"}})]}
            )
        },
    )
    assert service.deployment.kind == "blue_green"


# ------------------------------------------------------------------ capacity providers

SPOT = {
    "capacity_provider_strategies": [
        ecs.CapacityProviderStrategy(capacity_provider="FARGATE_SPOT", weight=1)
    ]
}


def _associations(template: Template) -> dict:
    return template.find_resources("AWS::ECS::ClusterCapacityProviderAssociations")


@pytest.mark.parametrize("platform", [True, False], ids=["platform", "standalone"])
def test_a_spot_strategy_in_the_overrides_names_providers_its_cluster_has(platform):
    """The library's clusters have FARGATE and FARGATE_SPOT associated (none by default)."""
    built = build(platform=platform, service_overrides=SPOT)
    assembly = built.built.app.synth()
    service_template = Template.from_json(assembly.get_stack_by_name("Service").template)
    cluster_template = (
        Template.from_json(assembly.get_stack_by_name("Platform").template)
        if platform
        else service_template
    )
    ((association_id, association),) = _associations(cluster_template).items()
    (cluster_id,) = cluster_template.find_resources("AWS::ECS::Cluster")
    assert association["Properties"] == {
        "Cluster": {"Ref": cluster_id},
        "CapacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "DefaultCapacityProviderStrategy": [],
    }
    ((_, service),) = service_template.find_resources("AWS::ECS::Service").items()
    assert service["Properties"]["CapacityProviderStrategy"] == [
        {"CapacityProvider": "FARGATE_SPOT", "Weight": 1}
    ]
    assert "LaunchType" not in service["Properties"]
    if not platform:
        # created after the association, deleted before it (same stack)
        assert association_id in service["DependsOn"]


def test_without_a_strategy_the_service_keeps_the_fargate_launch_type():
    built = build(platform=False)
    template = Template.from_stack(built.stack)
    template.has_resource_properties("AWS::ECS::Service", {"LaunchType": "FARGATE"})
    assert len(_associations(template)) == 1
