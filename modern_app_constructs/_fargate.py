"""The Fargate building block shared by FargateService and DecoupledWorker's container consumer.

ARM64 Linux tasks, one application container logging to the construct's log group, a read-only
root filesystem by default, and a service in private subnets without public IPs that rolls back
a failed deployment by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_logs as logs
from constructs import Construct

from ._environment import plain, secret_like, secret_like_names
from ._nag import acknowledge
from ._validation import InvalidPropError

__all__ = [
    "FARGATE_CAPACITY_PROVIDERS",
    "FARGATE_MEMORY",
    "ContainerSpec",
    "associate_fargate_capacity",
    "build_fargate_service",
    "build_task",
    "check_fargate_size",
]

#: The capacity providers every cluster the library creates has associated.
FARGATE_CAPACITY_PROVIDERS = ("FARGATE", "FARGATE_SPOT")
_ASSOCIATION_ID = "FargateCapacityProviders"

#: The cpu -> memory (MiB) combinations Fargate offers.
FARGATE_MEMORY: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


def check_fargate_size(owner: str, cpu: int, memory_limit_mib: int, *, prefix: str = "") -> None:
    """Reject a cpu/memory pair Fargate does not offer (props named ``<prefix>cpu``, ...).

    Raises:
        InvalidPropError: naming ``cpu`` or ``memory_limit_mib`` and what Fargate offers.
    """
    if cpu not in FARGATE_MEMORY:
        raise InvalidPropError(
            owner, f"{prefix}cpu", cpu, f"allowed: one of {sorted(FARGATE_MEMORY)}"
        )
    offered = FARGATE_MEMORY[cpu]
    if memory_limit_mib not in offered:
        raise InvalidPropError(
            owner,
            f"{prefix}memory_limit_mib",
            memory_limit_mib,
            f"allowed with cpu={cpu}: {offered[0]} to {offered[-1]} in steps of "
            f"{offered[1] - offered[0]}",
        )


@dataclass(frozen=True)
class ContainerSpec:
    """What the shared builder needs to know about the one application container.

    Attributes:
        image: the container image.
        cpu: Fargate CPU units of the task.
        memory_limit_mib: memory of the task.
        stream_prefix: the log stream prefix.
        environment: plain environment variables (never secrets).
        secrets: ``ecs.Secret`` values, resolved by ECS at start.
        readonly_root_filesystem: mount the root filesystem read-only.
        writable_tmp: with a read-only root, mount a writable ``/tmp`` volume.
        user: ``uid``, ``uid:gid`` or a user name; ``None`` keeps the image's.
        port: the container port (mapping named ``http``), if the container listens.
        health_check: the container health check, if any.
    """

    image: ecs.ContainerImage
    cpu: int
    memory_limit_mib: int
    stream_prefix: str
    environment: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, ecs.Secret] = field(default_factory=dict)
    readonly_root_filesystem: bool = True
    writable_tmp: bool = True
    user: str | None = None
    port: int | None = None
    health_check: ecs.HealthCheck | None = None


def build_task(
    scope: Construct,
    task_id: str,
    container_id: str,
    spec: ContainerSpec,
    log_group: logs.ILogGroup,
) -> tuple[ecs.FargateTaskDefinition, ecs.ContainerDefinition]:
    """An ARM64 Fargate task definition with the one application container."""
    task = ecs.FargateTaskDefinition(
        scope,
        task_id,
        cpu=spec.cpu,
        memory_limit_mib=spec.memory_limit_mib,
        runtime_platform=ecs.RuntimePlatform(
            cpu_architecture=ecs.CpuArchitecture.ARM64,
            operating_system_family=ecs.OperatingSystemFamily.LINUX,
        ),
    )
    container = task.add_container(
        container_id,
        image=spec.image,
        port_mappings=(
            [ecs.PortMapping(container_port=spec.port, name="http")]
            if spec.port is not None
            else None
        ),
        logging=ecs.LogDrivers.aws_logs(stream_prefix=spec.stream_prefix, log_group=log_group),
        environment=plain(spec.environment),
        secrets=dict(spec.secrets),
        readonly_root_filesystem=spec.readonly_root_filesystem,
        user=spec.user,
        health_check=spec.health_check,
    )
    if spec.readonly_root_filesystem and spec.writable_tmp:
        task.add_volume(name="tmp")
        container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="tmp", read_only=False)
        )
    _acknowledge_plain_environment(task, spec.environment)
    return task, container


def _acknowledge_plain_environment(
    task: ecs.FargateTaskDefinition, environment: Mapping[str, str]
) -> None:
    """Acknowledge AwsSolutions-ECS2 only when no variable is named like a secret."""
    if not environment or secret_like_names(environment):
        return
    acknowledged = sorted(name for name, value in environment.items() if secret_like(name))
    reason = (
        "Checked at synth: no variable of this environment is named like a secret (PASSWORD, "
        "SECRET, TOKEN, API_KEY, PRIVATE_KEY, CREDENTIALS, ...); the construct refuses such "
        "names and takes secrets as ecs.Secret (Secrets Manager or SSM SecureString), which "
        "ECS injects at start without putting their values in the template."
    )
    if acknowledged:
        reason += (
            f" Named like secrets but acknowledged by the author as not secret: "
            f"{', '.join(acknowledged)}."
        )
    acknowledge(task, "AwsSolutions-ECS2", reason)


def associate_fargate_capacity(cluster: ecs.Cluster) -> ecs.CfnClusterCapacityProviderAssociations:
    """Associate FARGATE and FARGATE_SPOT with ``cluster``, with no default strategy.

    A service's ``capacity_provider_strategies`` (Fargate Spot, say) can only name providers
    associated with its cluster. aws-cdk-lib's ``enable_fargate_capacity_providers`` creates the
    association in an aspect, at synthesis, where nothing can depend on it; this one exists at
    once, so a service of the same stack is created after it and deleted before it
    (:func:`build_fargate_service`). Services without a strategy keep the FARGATE launch type.
    """
    return ecs.CfnClusterCapacityProviderAssociations(
        cluster,
        _ASSOCIATION_ID,
        cluster=cluster.cluster_name,
        capacity_providers=list(FARGATE_CAPACITY_PROVIDERS),
        default_capacity_provider_strategy=[],
    )


def build_fargate_service(
    scope: Construct,
    construct_id: str,
    *,
    cluster: ecs.ICluster,
    task_definition: ecs.FargateTaskDefinition,
    desired_count: int,
    **props: Any,
) -> ecs.FargateService:
    """A service in private subnets, without public IPs, that rolls back failed deployments.

    On a cluster the library created in this app, the service depends on the cluster's capacity
    provider association (:func:`associate_fargate_capacity`), which a capacity provider
    strategy needs at creation and must outlive at deletion.
    """
    service = ecs.FargateService(
        scope,
        construct_id,
        cluster=cluster,
        task_definition=task_definition,
        desired_count=desired_count,
        assign_public_ip=False,
        vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
        **props,
    )
    association = cluster.node.try_find_child(_ASSOCIATION_ID)
    if isinstance(association, ecs.CfnClusterCapacityProviderAssociations):
        service.node.add_dependency(association)
    return service
