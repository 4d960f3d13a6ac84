"""FargateService: a container service on Fargate, private by default, that rolls back itself."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ._access_logs import enable_access_logs
from ._alarms import create_alarm
from ._checkov import skip_checkov
from ._environment import check_no_plain_secrets
from ._fargate import (
    FARGATE_MEMORY,
    ContainerSpec,
    build_fargate_service,
    build_task,
    check_fargate_size,
)
from ._logs import create_log_group
from ._monitoring import PERIOD, MetricGraph
from ._nag import acknowledge
from ._overrides import merge_overrides
from ._platform import IPlatformEnvironment, resolve_platform, vpc_with_egress
from ._typecheck import check_field_types, check_prop_types
from ._validation import InvalidPropError, check_int_range, check_positive_duration, is_token
from .deployment import DeploymentStrategy

__all__ = ["FARGATE_MEMORY", "FargateService", "ServiceScaling"]
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$")
# a host name of at least two labels (no wildcard: a name the service is called by)
_DOMAIN_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$"
)
_TEST_LISTENER_PORT = 9000
_PLAINTEXT_INSIDE_VPC = (
    "Internal load balancer without certificate= (opt-in, see the README's TLS section): the "
    "HTTP hop never leaves the VPC and only the API's VPC link security group may reach the "
    "listener; give the service a certificate and domain_name for HTTPS only."
)
#: Service props the construct owns, with the reason (overriding them is rejected).
_PROTECTED_SERVICE_PROPS = {
    "cluster": "the platform's cluster",
    "task_definition": "built by the construct",
    "desired_count": "desired_count=",
    "assign_public_ip": "tasks never get public IPs",
    "vpc_subnets": "private subnets",
    "security_groups": "wired to the load balancer; use connections",
    "circuit_breaker": "rollback on failed deployments",
    "deployment_alarms": "rollback on the generated alarms",
    "deployment_strategy": "deployment=",
    "deployment_controller": "ECS-native strategies need the ECS controller",
    "bake_time": "deployment=DeploymentStrategy.blue_green(bake_minutes)",
    "canary_configuration": "deployment=",
    "linear_configuration": "deployment=",
    "enable_execute_command": "enable_execute_command=",
}


@dataclass(frozen=True)
class ServiceScaling:
    """How a :class:`FargateService` scales: its task-count bounds and target-tracking policies.

    Attributes:
        min_capacity: the floor, 1..1000. Default: the service's desired count.
        max_capacity: the ceiling, 1..1000. Default: ``max(4, 4 * desired count)``.
        cpu_target_percent: CPU utilisation target tracking, 10..90. Default: 60.
        requests_per_target: request-count target tracking per target and minute, 1..100000.
            Default: 500.
    """

    min_capacity: int | None = None
    max_capacity: int | None = None
    cpu_target_percent: int = 60
    requests_per_target: int = 500

    def __post_init__(self) -> None:
        check_field_types(self)


class FargateService(Construct):
    """A container service on Fargate (ARM64) behind an Application Load Balancer.

    Private by default: tasks in private subnets without public IPs behind an internal load
    balancer that an :class:`ApiFrontDoor` reaches through a VPC link. Deployments are safe by
    default: rolling with the ECS circuit breaker and rollback, plus rollback on the generated
    alarms; ECS-native canary, linear and blue/green deployments on request.

    Args:
        scope: the parent construct.
        construct_id: the construct id.
        image: the container image (``ecs.ContainerImage.from_asset`` builds it on deploy).
        container_port: 1..65535; 1024 or above unless ``user`` is root. Default: 8080.
        cpu: Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default: 256.
        memory_limit_mib: a size Fargate offers for ``cpu`` (MiB): 512, 1024 or 2048 with
            256; 1024..4096 with 512, 2048..8192 with 1024, 4096..16384 with 2048 and
            8192..30720 with 4096, in steps of 1024; 16384..61440 in steps of 4096 with
            8192; 32768..122880 in steps of 8192 with 16384. Default: 512.
        desired_count: 1..1000. Default: the profile's (dev 1, prod 2).
        health_check_path: path the load balancer and the container check. Default: ``/health``.
        container_health_check: the container health-check command. Default:
            ``curl -fsS http://localhost:<port><path>`` (images without curl pass their own).
        scaling: the autoscaling bounds and targets, a :class:`ServiceScaling`. Default:
            from ``desired_count`` to ``max(4, 4 * desired_count)`` tasks, tracking 60 % CPU
            and 500 requests per target and minute.
        public: an internet-facing load balancer instead of an internal one. Default: False.
        certificate: an ACM certificate: the load balancer listens on HTTPS (port 443, modern
            TLS policy) and, internal, on HTTPS only (no plaintext listener; the blue/green
            test listener too); public, port 80 redirects to HTTPS. Default: none: HTTP on
            port 80 (internal: reachable only from the API's VPC link).
        domain_name: the name on ``certificate`` the service is called by; an
            :class:`ApiFrontDoor` route calls ``https://<domain_name>`` and API Gateway checks
            the certificate against it. Required with a certificate on an internal load
            balancer; no DNS record is created (API Gateway reaches the load balancer through
            its VPC link, by ARN). Default: none.
        environment: container environment; a name that looks secret (``PASSWORD``,
            ``SECRET``, ``TOKEN``, ``API_KEY``, ...) is refused (pass it in ``secrets``) unless
            its value is wrapped in :class:`NotASecret`. Default: none.
        secrets: container secrets (``ecs.Secret``). Default: none.
        readonly_root_filesystem: with a writable ``/tmp`` volume. Default: True.
        user: the user (``uid`` or ``uid:gid``) the container runs as; ``None`` keeps the
            image's own. Default: ``"1000"`` (not root; listen on a port above 1023).
        enable_execute_command: ECS Exec. Default: False.
        access_logs: load-balancer access logs to an encrypted, TLS-only bucket; in an
            env-agnostic stack, who may deliver them (ELB's account or its log-delivery service
            principal, by region) is chosen at deploy time. Default: True.
        deployment: ``DeploymentStrategy.rolling()``, ``.blue_green()``, ``.canary()``,
            ``.linear()`` or a SAM preset name ECS can honour. Default: rolling.
        response_time_alarm_threshold: the p99 target response time (``metric_response_time``)
            that alarms and rolls a deployment back. Default: 2 seconds.
        service_overrides: other ``ecs.FargateService`` props (e.g. ``platform_version``,
            ``health_check_grace_period``, or ``capacity_provider_strategies`` for Fargate
            Spot: every cluster the library creates has FARGATE and FARGATE_SPOT associated,
            and ECS runs ARM64 tasks on Spot from platform version 1.4.0, the default LATEST);
            networking and deployment-safety props are owned by the construct and rejected.
            Default: none.
        platform: the :class:`IPlatformEnvironment` (VPC, cluster, key, alarm topic).
            Default: the app's platform environment; standalone it creates a
            VPC (flow logs on) and a cluster (Container Insights on).

    Attributes:
        service, task_definition, container, load_balancer, listener, target_group, vpc,
        connections (the service's), log_group, access_logs_bucket, certificate, domain_name,
        alarms (every alarm an ECS deployment rolls back on: the target alarms, then those of
        the API routes in front of the service, added as routes are),
        green_target_group / test_listener (canary, linear and blue/green only), deployment.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ecs.ContainerImage,
        container_port: int = 8080,
        cpu: int = 256,
        memory_limit_mib: int = 512,
        desired_count: int | None = None,
        health_check_path: str = "/health",
        container_health_check: Sequence[str] | None = None,
        scaling: ServiceScaling | None = None,
        public: bool = False,
        certificate: acm.ICertificate | None = None,
        domain_name: str | None = None,
        environment: Mapping[str, str] | None = None,
        secrets: Mapping[str, ecs.Secret] | None = None,
        readonly_root_filesystem: bool = True,
        user: str | None = "1000",
        enable_execute_command: bool = False,
        access_logs: bool = True,
        deployment: str | DeploymentStrategy | None = None,
        response_time_alarm_threshold: cdk.Duration | None = None,
        service_overrides: Mapping[str, Any] | None = None,
        platform: IPlatformEnvironment | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"FargateService '{construct_id}'"
        # validate
        self._validate(owner, cpu, memory_limit_mib, container_port, health_check_path)
        check_no_plain_secrets(owner, "environment", environment, container=True)
        check_int_range(owner, "desired_count", desired_count, 1, 1000)
        check_positive_duration(
            owner, "response_time_alarm_threshold", response_time_alarm_threshold
        )
        if user is not None and user.split(":")[0] not in ("0", "root") and container_port < 1024:
            raise InvalidPropError(
                owner,
                "container_port",
                container_port,
                f"allowed: 1024 or above for the non-root user={user!r} (a port below 1024 needs "
                "root); use a port such as 8080, or user='0' if the image must bind it",
            )
        self._check_domain_name(owner, certificate, domain_name, public)
        scaling = scaling or ServiceScaling()
        check_int_range(owner, "scaling.cpu_target_percent", scaling.cpu_target_percent, 10, 90)
        check_int_range(
            owner, "scaling.requests_per_target", scaling.requests_per_target, 1, 100_000
        )
        if user is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?", user):
            raise InvalidPropError(owner, "user", user, "allowed: 'uid', 'uid:gid' or a user name")
        self.deployment: DeploymentStrategy = (
            DeploymentStrategy.of(deployment, owner=owner).check_ecs(owner)
            if deployment is not None
            else DeploymentStrategy.rolling()
        )
        service_props = merge_overrides(
            owner,
            "service_overrides",
            ecs.FargateService.__init__,
            {
                "min_healthy_percent": 100,
                "max_healthy_percent": 200,
                "health_check_grace_period": cdk.Duration.seconds(60),
                "propagate_tags": ecs.PropagatedTagSource.SERVICE,
                "availability_zone_rebalancing": ecs.AvailabilityZoneRebalancing.ENABLED,
            },
            service_overrides,
            _PROTECTED_SERVICE_PROPS,
        )

        # resolve defaults (and check what depends on them)
        env = resolve_platform(self, platform)
        profile = env.profile
        desired = desired_count if desired_count is not None else profile.desired_count
        minimum = scaling.min_capacity if scaling.min_capacity is not None else desired
        maximum = scaling.max_capacity if scaling.max_capacity is not None else max(4, 4 * desired)
        check_int_range(owner, "scaling.min_capacity", minimum, 1, 1000)
        check_int_range(owner, "scaling.max_capacity", maximum, 1, 1000)
        if minimum > maximum:
            raise InvalidPropError(
                owner,
                "scaling.min_capacity",
                minimum,
                f"allowed: at most scaling.max_capacity ({maximum})",
            )
        if not minimum <= desired <= maximum:
            raise InvalidPropError(
                owner,
                "desired_count",
                desired,
                f"allowed: from {minimum} to {maximum} (the capacity bounds)",
            )
        # create children
        vpc, cluster = self._network(env, owner)
        self.vpc: ec2.IVpc = vpc
        self.log_group = create_log_group(self, "Logs", platform=env)
        self.task_definition, self.container = build_task(
            self,
            "Task",
            "App",
            ContainerSpec(
                image=image,
                cpu=cpu,
                memory_limit_mib=memory_limit_mib,
                stream_prefix="app",
                environment=dict(environment or {}),
                secrets=dict(secrets or {}),
                readonly_root_filesystem=readonly_root_filesystem,
                writable_tmp=True,
                user=user,
                port=container_port,
                health_check=ecs.HealthCheck(
                    command=list(
                        container_health_check
                        or [
                            "CMD-SHELL",
                            f"curl -fsS http://localhost:{container_port}{health_check_path}"
                            " || exit 1",
                        ]
                    ),
                    interval=cdk.Duration.seconds(15),
                    timeout=cdk.Duration.seconds(5),
                    retries=3,
                    start_period=cdk.Duration.seconds(30),
                ),
            ),
            self.log_group,
        )
        self.access_logs_bucket: s3.Bucket | None = (
            self._build_access_logs_bucket() if access_logs else None
        )
        self.load_balancer = elbv2.ApplicationLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            internet_facing=public,
            vpc_subnets=ec2.SubnetSelection(
                subnet_type=ec2.SubnetType.PUBLIC if public else ec2.SubnetType.PRIVATE_WITH_EGRESS
            ),
            drop_invalid_header_fields=True,
            deletion_protection=profile.deletion_protection,
        )
        if self.access_logs_bucket is not None:
            enable_access_logs(
                self, self.load_balancer, self.access_logs_bucket, construct_id.lower()
            )
        self.target_group = self._target_group(
            "TargetGroup", vpc, container_port, health_check_path
        )
        self.certificate: acm.ICertificate | None = certificate
        self.domain_name: str | None = domain_name
        self.listener = self._build_listener(public, certificate)
        self.green_target_group: elbv2.ApplicationTargetGroup | None = None
        self.test_listener: elbv2.ApplicationListener | None = None
        if self.deployment.shifts_traffic:
            self._build_traffic_shift_rules(vpc, container_port, health_check_path, certificate)
        self.alarms: list[cloudwatch.IAlarm] = self._build_alarms(
            response_time_alarm_threshold or cdk.Duration.seconds(2), env
        )
        self.service = self._build_service(
            cluster,
            desired,
            enable_execute_command,
            [alarm.alarm_name for alarm in self.alarms],
            service_props,
        )

        # wire
        self._attach(container_port)
        task_count = self.service.auto_scale_task_count(min_capacity=minimum, max_capacity=maximum)
        task_count.scale_on_cpu_utilization(
            "CpuScaling", target_utilization_percent=scaling.cpu_target_percent
        )
        task_count.scale_on_request_count(
            "RequestScaling",
            requests_per_target=scaling.requests_per_target,
            target_group=self.target_group,
        )
        self._acknowledge(public, enable_execute_command)

        # expose
        self.connections: ec2.Connections = self.service.connections
        env.apply_tags(self)

    def add_alarm(self, alarm: cloudwatch.IAlarm) -> None:
        """Roll a deployment back on one more alarm (the service's ECS deployment alarms)."""
        self.alarms.append(alarm)
        # aws-cdk-lib's enable_deployment_alarms does not add to alarms given at creation
        cfn = self.service.node.default_child
        assert isinstance(cfn, ecs.CfnService)
        cfn.add_property_override(
            "DeploymentConfiguration.Alarms.AlarmNames",
            [item.alarm_name for item in self.alarms],
        )

    # ---------------------------------------------------------------- metrics

    def metric_cpu(self, **props: Any) -> cloudwatch.Metric:
        """Service CPU utilisation (Average per minute unless overridden)."""
        return self.service.metric_cpu_utilization(**{"period": PERIOD, **props})

    def metric_memory(self, **props: Any) -> cloudwatch.Metric:
        """Service memory utilisation (Average per minute unless overridden)."""
        return self.service.metric_memory_utilization(**{"period": PERIOD, **props})

    def metric_target_5xx(self, **props: Any) -> cloudwatch.Metric:
        """HTTP 5XX responses from the targets (Sum per minute unless overridden)."""
        return self.target_group.metrics.http_code_target(
            elbv2.HttpCodeTarget.TARGET_5XX_COUNT,
            **{"period": PERIOD, "statistic": "Sum", **props},
        )

    def metric_healthy_hosts(self, **props: Any) -> cloudwatch.Metric:
        """Healthy targets (Minimum per minute unless overridden)."""
        return self.target_group.metrics.healthy_host_count(
            **{"period": PERIOD, "statistic": "Minimum", **props}
        )

    def metric_unhealthy_hosts(self, **props: Any) -> cloudwatch.Metric:
        """Unhealthy targets (Maximum per minute unless overridden)."""
        return self.target_group.metrics.unhealthy_host_count(
            **{"period": PERIOD, "statistic": "Maximum", **props}
        )

    def metric_response_time(self, **props: Any) -> cloudwatch.Metric:
        """Target response time (p99 per minute unless overridden)."""
        return self.target_group.metrics.target_response_time(
            **{"period": PERIOD, "statistic": "p99", **props}
        )

    # -------------------------------------------------------------- monitoring

    @property
    def dashboard_title(self) -> str:
        """``Service <id>``."""
        return f"Service {self.node.id}"

    def dashboard_graphs(self, period: cdk.Duration = PERIOD) -> list[MetricGraph]:
        """CPU and memory, target 5XX, healthy and unhealthy hosts."""
        return [
            MetricGraph("CPU %", [self.metric_cpu(period=period)]),
            MetricGraph("Memory %", [self.metric_memory(period=period)]),
            MetricGraph("Target 5XX", [self.metric_target_5xx(period=period)]),
            MetricGraph(
                "Healthy / unhealthy hosts",
                [self.metric_healthy_hosts(period=period)],
                [self.metric_unhealthy_hosts(period=period)],
            ),
        ]

    # ------------------------------------------------------------- validation

    @staticmethod
    def _validate(owner: str, cpu: int, memory: int, port: int, path: str) -> None:
        check_fargate_size(owner, cpu, memory)
        check_int_range(owner, "container_port", port, 1, 65535)
        if not isinstance(path, str) or not _HEALTH_PATH.match(path) or len(path) > 1024:
            raise InvalidPropError(
                owner, "health_check_path", path, "allowed: a URL path starting with '/'"
            )

    @staticmethod
    def _check_domain_name(
        owner: str, certificate: acm.ICertificate | None, domain_name: str | None, public: bool
    ) -> None:
        if domain_name is None:
            if certificate is not None and not public:
                raise InvalidPropError(
                    owner,
                    "domain_name",
                    None,
                    "allowed: the name on the certificate the service is called by (e.g. "
                    "'catalog.internal.example.com'); required with certificate= on an internal "
                    "load balancer, whose own DNS name no certificate can cover",
                )
            return
        if certificate is None:
            raise InvalidPropError(
                owner, "domain_name", domain_name, "allowed only with certificate="
            )
        if not is_token(domain_name) and (
            not isinstance(domain_name, str) or not _DOMAIN_NAME.match(domain_name)
        ):
            raise InvalidPropError(
                owner,
                "domain_name",
                domain_name,
                "allowed: a DNS host name of two or more labels (letters, digits, '-'), "
                "without a wildcard",
            )

    # ---------------------------------------------------------------- builders

    def _network(self, env: IPlatformEnvironment, owner: str) -> tuple[ec2.IVpc, ecs.ICluster]:
        # standalone, the environment creates a network beneath this service (Vpc, Cluster)
        vpc = vpc_with_egress(env, owner, "platform", "its tasks pull the image and ship logs")
        return vpc, env.cluster

    def _build_access_logs_bucket(self) -> s3.Bucket:
        # ALB access logs support SSE-S3 only. Audit data: retained whatever the profile.
        bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=cdk.Duration.days(90),
                    noncurrent_version_expiration=cdk.Duration.days(7),
                )
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        acknowledge(
            bucket,
            "AwsSolutions-S1",
            "This bucket only receives load-balancer access logs; logging access to the log "
            "bucket itself would need yet another bucket. It is private, TLS-only and versioned.",
        )
        skip_checkov(
            bucket,
            "CKV_AWS_18",
            "A log bucket: it only receives the load balancer's access logs, and logging access "
            "to it would need yet another bucket. It is private, TLS-only and versioned.",
        )
        return bucket

    def _target_group(
        self, construct_id: str, vpc: ec2.IVpc, port: int, path: str
    ) -> elbv2.ApplicationTargetGroup:
        return elbv2.ApplicationTargetGroup(
            self,
            construct_id,
            vpc=vpc,
            port=port,
            protocol=elbv2.ApplicationProtocol.HTTP,
            target_type=elbv2.TargetType.IP,
            deregistration_delay=cdk.Duration.seconds(30),
            health_check=elbv2.HealthCheck(
                path=path,
                interval=cdk.Duration.seconds(15),
                timeout=cdk.Duration.seconds(5),
                healthy_threshold_count=2,
                unhealthy_threshold_count=3,
                healthy_http_codes="200-299",
            ),
        )

    def _build_listener(
        self, public: bool, certificate: acm.ICertificate | None
    ) -> elbv2.ApplicationListener:
        if certificate is not None:
            listener = self.load_balancer.add_listener(
                "Https",
                port=443,
                protocol=elbv2.ApplicationProtocol.HTTPS,
                certificates=[elbv2.ListenerCertificate.from_certificate_manager(certificate)],
                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS,
                open=public,
            )
            if public:  # browsers type http://: redirect them; nothing internal needs port 80
                self.load_balancer.add_redirect(
                    source_port=80,
                    source_protocol=elbv2.ApplicationProtocol.HTTP,
                    target_port=443,
                    target_protocol=elbv2.ApplicationProtocol.HTTPS,
                )
                for group in self.load_balancer.connections.security_groups:
                    skip_checkov(
                        group,
                        "CKV_AWS_260",
                        "An internet-facing load balancer with a certificate: port 80 is open to "
                        "the internet only to answer every request with a redirect to HTTPS.",
                    )
        else:
            listener = self.load_balancer.add_listener(
                "Http", port=80, protocol=elbv2.ApplicationProtocol.HTTP, open=public
            )
            if not public:
                self._skip_plaintext_checks(listener)
        if not self.deployment.shifts_traffic:
            listener.add_target_groups("Default", target_groups=[self.target_group])
        else:
            listener.add_action(
                "Default",
                action=elbv2.ListenerAction.fixed_response(
                    404, content_type="application/json", message_body='{"message":"Not Found"}'
                ),
            )
        return listener

    def _build_service(
        self,
        cluster: ecs.ICluster,
        desired: int,
        execute_command: bool,
        alarm_names: list[str],
        props: Mapping[str, Any],
    ) -> ecs.FargateService:
        return build_fargate_service(
            self,
            "Service",
            cluster=cluster,
            task_definition=self.task_definition,
            desired_count=desired,
            deployment_alarms=ecs.DeploymentAlarmConfig(
                alarm_names=alarm_names, behavior=ecs.AlarmBehavior.ROLLBACK_ON_ALARM
            ),
            enable_execute_command=execute_command,
            **self.deployment.ecs_service_props(),
            **props,
        )

    def _build_traffic_shift_rules(
        self, vpc: ec2.IVpc, port: int, path: str, certificate: acm.ICertificate | None
    ) -> None:
        """Green target group, production rule and test listener for ECS-native shifting."""
        green = self._target_group("GreenTargetGroup", vpc, port, path)
        self._production_rule = elbv2.ApplicationListenerRule(
            self,
            "ProductionRule",
            listener=self.listener,
            priority=1,
            conditions=[elbv2.ListenerCondition.path_patterns(["/*"])],
            action=self._blue_green_forward(green),
        )
        self.test_listener = self.load_balancer.add_listener(
            "TestListener",
            port=_TEST_LISTENER_PORT,
            protocol=(
                elbv2.ApplicationProtocol.HTTPS
                if certificate is not None
                else elbv2.ApplicationProtocol.HTTP
            ),
            certificates=(
                [elbv2.ListenerCertificate.from_certificate_manager(certificate)]
                if certificate is not None
                else None
            ),
            ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS if certificate is not None else None,
            open=False,
            default_action=elbv2.ListenerAction.fixed_response(404),
        )
        if certificate is None:
            self._skip_plaintext_checks(self.test_listener)
        self._test_rule = elbv2.ApplicationListenerRule(
            self,
            "TestRule",
            listener=self.test_listener,
            priority=1,
            conditions=[elbv2.ListenerCondition.path_patterns(["/*"])],
            action=self._blue_green_forward(green),
        )
        self.green_target_group = green

    def _blue_green_forward(self, green: elbv2.ApplicationTargetGroup) -> elbv2.ListenerAction:
        return elbv2.ListenerAction.weighted_forward(
            [
                elbv2.WeightedTargetGroup(target_group=self.target_group, weight=100),
                elbv2.WeightedTargetGroup(target_group=green, weight=0),
            ]
        )

    def _attach(self, port: int) -> None:
        if self.green_target_group is None:
            self.service.attach_to_application_target_group(self.target_group)
            return
        target = self.service.load_balancer_target(
            container_name=self.container.container_name,
            container_port=port,
            alternate_target=ecs.AlternateTarget(
                "AlternateTarget",
                alternate_target_group=self.green_target_group,
                production_listener=ecs.ListenerRuleConfiguration.application_listener_rule(
                    self._production_rule
                ),
                test_listener=ecs.ListenerRuleConfiguration.application_listener_rule(
                    self._test_rule
                ),
            ),
        )
        target.attach_to_application_target_group(self.target_group)
        role = self.service.node.try_find_child("AlternateTargetRole")
        if role is not None:
            acknowledge(
                role,
                "AwsSolutions-IAM4",
                "ECS assumes this role (trusting ecs.amazonaws.com only) to move the listener "
                "rules between the blue and green target groups. It carries "
                "AmazonECSInfrastructureRolePolicyForLoadBalancers, which ECS documents for "
                "this role and AWS revises as ECS's needs change; its writes are limited to "
                "target registration and listener/rule changes.",
                findings=[
                    "Policy::arn:<AWS::Partition>:iam::aws:policy/"
                    "AmazonECSInfrastructureRolePolicyForLoadBalancers"
                ],
            )

    def _build_alarms(
        self, response_time: cdk.Duration, env: IPlatformEnvironment
    ) -> list[cloudwatch.IAlarm]:
        return [
            create_alarm(
                self,
                "Target5xx",
                metric=self.metric_target_5xx(),
                threshold=5,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                description="Targets answer with 5XX",
                platform=env,
            ),
            create_alarm(
                self,
                "UnhealthyHosts",
                metric=self.metric_unhealthy_hosts(),
                threshold=1,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                description="Unhealthy targets",
                platform=env,
            ),
            create_alarm(
                self,
                "ResponseTimeP99",
                metric=self.metric_response_time(),
                threshold=response_time.to_seconds(),
                evaluation_periods=3,
                datapoints_to_alarm=3,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                description=f"p99 response time above {response_time.to_human_string()}",
                platform=env,
            ),
        ]

    @staticmethod
    def _skip_plaintext_checks(listener: elbv2.ApplicationListener) -> None:
        skip_checkov(listener, "CKV_AWS_2", _PLAINTEXT_INSIDE_VPC)
        skip_checkov(
            listener,
            "CKV_AWS_103",
            "An HTTP listener has no TLS policy to check. " + _PLAINTEXT_INSIDE_VPC,
        )

    def _acknowledge(self, public: bool, execute_command: bool) -> None:
        execution_role = self.task_definition.execution_role
        if execution_role is not None:
            acknowledge(
                execution_role,
                "AwsSolutions-IAM5",
                "ecr:GetAuthorizationToken does not support resource-level permissions; image "
                "pulls themselves are scoped to the image's repository.",
                findings=["Resource::*"],
            )
        if execute_command:
            acknowledge(
                self.task_definition.task_role,
                "AwsSolutions-IAM5",
                "ECS Exec (asked for with enable_execute_command=True) needs the ssmmessages "
                "channel actions, which support no resource-level permissions.",
                findings=["Resource::*"],
            )
        if public:
            acknowledge(
                self.load_balancer,
                "AwsSolutions-EC23",
                "An internet-facing load balancer must accept its listener ports from anywhere; "
                "only the listener ports are open and tasks accept traffic from the ALB only.",
            )
