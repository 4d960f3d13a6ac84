"""The library's Lambda defaults: runtime, architecture, logging, tracing, Powertools.

Handler code reaches Lambda with AWS Lambda Powertools through the public Powertools layer
(published by AWS in every commercial region), so synthesis needs neither Docker bundling nor
network access.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NewType

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from ._checkov import skip_checkov
from ._environment import plain
from ._logs import create_log_group
from ._nag import acknowledge
from ._overrides import merge_overrides
from ._platform import IPlatformEnvironment, is_standalone, vpc_with_egress
from ._validation import InvalidPropError

__all__ = [
    "ASSET_EXCLUDES",
    "DEFAULT_ARCHITECTURE",
    "DEFAULT_RUNTIME",
    "POWERTOOLS_LAYER_VERSION",
    "DeadLetterWaiver",
    "FunctionOverrides",
    "FunctionSettings",
    "asset_code",
    "check_function_overrides",
    "check_handler_in_asset",
    "check_in_vpc",
    "create_function",
    "powertools_environment",
    "powertools_layer",
]

#: The newest Python runtime the pinned aws-cdk-lib offers.
DEFAULT_RUNTIME = lambda_.Runtime.PYTHON_3_14
#: Graviton: cheaper per millisecond and faster for most Python workloads.
DEFAULT_ARCHITECTURE = lambda_.Architecture.ARM_64
#: The account AWS publishes the Powertools for AWS Lambda (Python) layers from.
POWERTOOLS_LAYER_ACCOUNT = "017000801446"
#: The Powertools v3 layer version the library is tested against.
POWERTOOLS_LAYER_VERSION = 27
#: ``-c modern-app-constructs:powertoolsLayerVersion=N`` (or cdk.json) moves every function to
#: another published layer version without a library release.
POWERTOOLS_VERSION_CONTEXT_KEY = "modern-app-constructs:powertoolsLayerVersion"
#: Function props the construct owns, with the reason (overriding them is rejected).
_PROTECTED_FUNCTION_PROPS = {
    "role": "a dedicated least-privilege role; extend it with function.add_to_role_policy",
    "log_group": "retention and key come from the platform",
    "log_retention": "retention comes from the platform",
    "logging_format": "JSON logs",
    "tracing": "active X-Ray tracing",
    "code": "a construct argument",
    "handler": "a construct argument",
    "runtime": "a construct argument",
    "architecture": "ARM64 matches the Powertools layer",
    "memory_size": "a construct argument",
    "timeout": "a construct argument, checked against the queue's visibility timeout",
    "environment": "a construct argument",
    "environment_encryption": "the platform's key (standalone: the AWS-managed key)",
}
#: Function props ``in_vpc=True`` owns, with the reason.
_VPC_FUNCTION_PROPS = dict.fromkeys(
    (
        "vpc",
        "vpc_subnets",
        "security_groups",
        "allow_all_outbound",
        "allow_all_ipv6_outbound",
        "allow_public_subnet",
        "ipv6_allowed_for_dual_stack",
    ),
    "in_vpc=True places the function (the platform's private subnets, its own security group; "
    "open more with function.connections)",
)
#: What Lambda needs to manage a VPC function's network interfaces (the actions of the
#: AWS-managed AWSLambdaVPCAccessExecutionRole, without its CloudWatch Logs wildcards).
_ENI_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
#: Why a function without in_vpc=True stays outside the VPC (checkov CKV_AWS_117).
_OUTSIDE_THE_VPC = (
    "Opt-in (in_vpc=True): the function calls AWS APIs only, which Lambda's own network reaches; "
    "nothing in the VPC can reach it either way, and a VPC would add network interfaces, NAT "
    "traffic and cold-start time for no isolation gained."
)
#: Why no concurrency is reserved unless asked for (checkov CKV_AWS_115).
_UNRESERVED_CONCURRENCY = (
    "Opt-in (reserved_concurrent_executions= or function_overrides): reserving concurrency takes "
    "it from the account's shared pool and throttles at a guessed limit; a DecoupledWorker bounds "
    "its consumer with the event source's max_concurrency, and the API stage is throttled."
)
#: Function props that give it a dead-letter queue of its own (asynchronous invocations).
_DEAD_LETTER_PROPS = {"dead_letter_queue", "dead_letter_queue_enabled", "dead_letter_topic"}
#: Files that must never reach a Lambda asset: they would change its hash on every machine.
ASSET_EXCLUDES = ("__pycache__", "*.pyc", "*.pyo", ".pytest_cache", ".mypy_cache", "tests")

#: ``lambda_.Function`` props a user asked for, checked against the ones safety owns.
FunctionOverrides = NewType("FunctionOverrides", dict[str, Any])


def check_function_overrides(
    owner: str,
    overrides: Mapping[str, Any] | None,
    prop: str = "function_overrides",
    *,
    in_vpc: bool = False,
) -> FunctionOverrides:
    """Validate ``overrides`` before anything is created (every problem reported at once).

    With ``in_vpc``, the VPC props belong to the construct too.

    Raises:
        InvalidPropError: keys ``lambda_.Function`` does not take, or keys safety owns.
    """
    protected = {**_PROTECTED_FUNCTION_PROPS, **(_VPC_FUNCTION_PROPS if in_vpc else {})}
    return FunctionOverrides(
        merge_overrides(owner, prop, lambda_.Function.__init__, {}, overrides, protected)
    )


def check_in_vpc(
    owner: str, in_vpc: bool, platform: IPlatformEnvironment, prop: str = "in_vpc"
) -> None:
    """Reject ``in_vpc=True`` without a platform environment, or in one without egress.

    Raises:
        InvalidPropError: ``in_vpc`` standalone, or in an environment with ``Nat.none()``.
    """
    if in_vpc and is_standalone(platform):
        raise InvalidPropError(
            owner,
            prop,
            in_vpc,
            "allowed only with a platform environment (the function goes into its private "
            "subnets); standalone, pass function_overrides={'vpc': ..., 'vpc_subnets': ...}",
        )
    if in_vpc:
        vpc_with_egress(platform, owner, prop, "the function calls AWS APIs through the NAT")


def asset_code(path: str | Path) -> lambda_.Code:
    """Lambda code from a local directory, with byte-code caches left out (stable hashes)."""
    return lambda_.Code.from_asset(str(path), exclude=list(ASSET_EXCLUDES))


def check_handler_in_asset(owner: str, prop: str, code: lambda_.Code, handler: str) -> None:
    """Reject a Python handler whose module is not in the code's asset directory.

    Only a local directory (``asset_code``/``Code.from_asset``) can be looked into; other
    code (inline, S3, a zip file, an image) passes.

    Raises:
        InvalidPropError: naming ``prop``, the handler and the file that would hold it.
    """
    path = getattr(code, "path", None) if isinstance(code, lambda_.AssetCode) else None
    if not isinstance(path, str) or not Path(path).is_dir() or not isinstance(handler, str):
        return
    module, _, function = handler.rpartition(".")
    if not module or not function:
        raise InvalidPropError(
            owner, prop, handler, "allowed: '<module>.<function>', e.g. 'app.handler'"
        )
    relative = Path(*module.split("."))
    root = Path(path)
    if (
        not (root / relative.with_suffix(".py")).is_file()
        and not (root / relative / "__init__.py").is_file()
    ):
        raise InvalidPropError(
            owner,
            prop,
            handler,
            f"allowed: a handler whose module is in the asset: {relative.with_suffix('.py')} "
            f"is not in {path}",
        )


def powertools_layer(
    scope: Construct,
    runtime: lambda_.Runtime = DEFAULT_RUNTIME,
    architecture: lambda_.Architecture = DEFAULT_ARCHITECTURE,
    version: int | None = None,
) -> lambda_.ILayerVersion:
    """The public Powertools layer for ``runtime``/``architecture`` in the stack's region.

    The version is ``version``, else the ``modern-app-constructs:powertoolsLayerVersion``
    context value, else :data:`POWERTOOLS_LAYER_VERSION`.

    One ``ILayerVersion`` per stack and flavour; the ARN is built with the deploy-time region
    and partition, so stacks stay environment-agnostic.
    """
    stack = cdk.Stack.of(scope)
    if version is None:
        configured = scope.node.try_get_context(POWERTOOLS_VERSION_CONTEXT_KEY)
        version = POWERTOOLS_LAYER_VERSION if configured is None else int(configured)
    flavour = runtime.name.replace(".", "")  # python3.14 -> python314
    arch = "arm64" if architecture.name == lambda_.Architecture.ARM_64.name else "x86_64"
    layer_id = f"PowertoolsLayer-{flavour}-{arch}-{version}"
    existing = stack.node.try_find_child(layer_id)
    if existing is not None:
        return existing  # type: ignore[return-value]
    arn = cdk.Fn.sub(
        "arn:${AWS::Partition}:lambda:${AWS::Region}:"
        f"{POWERTOOLS_LAYER_ACCOUNT}:layer:AWSLambdaPowertoolsPythonV3-{flavour}-{arch}:{version}"
    )
    return lambda_.LayerVersion.from_layer_version_arn(stack, layer_id, arn)


class DeadLetterWaiver(enum.Enum):
    """Why one of the library's functions needs no Lambda dead-letter queue: how it is invoked.

    A Lambda dead-letter queue only catches asynchronous invocations; each member names a
    synchronous caller, and its value is the reason the rule sets' findings are acknowledged with.
    """

    SQS_EVENT_SOURCE = (
        "Invoked synchronously by the worker's SQS event source mapping: "
        "messages it fails on return to the queue and, after max_receive_count "
        "receives, move to the worker's dead-letter queue (alarmed on). A Lambda "
        "dead-letter queue only catches asynchronous invocations."
    )
    CANARY_FUNCTION = (
        "A Lambda dead-letter queue only catches asynchronous invocations. The library "
        "invokes a CanaryFunction synchronously (ApiFrontDoor routes, a DecoupledWorker's "
        "SQS event source, whose failures go to the queue's own dead-letter queue); a "
        "caller that invokes it asynchronously adds function_overrides="
        "{'dead_letter_queue_enabled': True}."
    )
    TRAFFIC_HOOK = (
        "CodeDeploy invokes this pre-traffic hook and waits for the status it reports; "
        "a hook that fails without reporting fails the deployment at CodeDeploy's hook "
        "timeout, which rolls back. A dead-letter queue would only keep the event."
    )
    CLOUDFORMATION_CUSTOM_RESOURCE = (
        "CloudFormation invokes this custom resource handler and waits for the answer it "
        "sends; one that never answers fails the stack operation at the resource's service "
        "timeout. A dead-letter queue would only keep the event."
    )

    @property
    def reason(self) -> str:
        """The acknowledgment's reason."""
        return str(self.value)


@dataclass(frozen=True)
class FunctionSettings:
    """What a construct decides about one of its functions (the library decides the rest).

    Attributes:
        code: the function's code.
        handler: the handler.
        service_name: ``POWERTOOLS_SERVICE_NAME`` and metrics namespace.
        description: Default: none.
        runtime: Default: :data:`DEFAULT_RUNTIME`.
        memory_size: MiB. Default: 256.
        timeout: Default: 30 seconds.
        environment: more environment variables. Default: only the Powertools settings.
        reserved_concurrent_executions: Default: unreserved.
        in_vpc: the platform's private subnets, egress HTTPS only (checked first with
            :func:`check_in_vpc`). Default: False.
        overrides: any other ``lambda_.Function`` prop (checked first with
            :func:`check_function_overrides`). Default: none.
    """

    code: lambda_.Code
    handler: str
    service_name: str
    description: str | None = None
    runtime: lambda_.Runtime = DEFAULT_RUNTIME
    memory_size: int = 256
    timeout: cdk.Duration | None = None
    environment: Mapping[str, str] | None = None
    reserved_concurrent_executions: int | None = None
    in_vpc: bool = False
    overrides: FunctionOverrides | None = None


def powertools_environment(service_name: str) -> dict[str, str]:
    """The Powertools variables every library function gets (before the user's)."""
    return {
        "POWERTOOLS_SERVICE_NAME": service_name,
        "POWERTOOLS_METRICS_NAMESPACE": service_name,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }


def create_function(
    scope: Construct,
    construct_id: str,
    settings: FunctionSettings,
    *,
    platform: IPlatformEnvironment,
    dead_letter_waiver: DeadLetterWaiver,
    environment_key: kms.IKey | None = None,
) -> tuple[lambda_.Function, logs.LogGroup]:
    """Create a function with the library's defaults and return it with its log group.

    Defaults: ARM64, the newest Python runtime, active X-Ray tracing, JSON logs into a dedicated
    log group (platform retention and key), a dedicated role that may only write to that log
    group (no AWS-managed policy), the Powertools layer and its environment, the environment
    encrypted with ``environment_key`` (default: the platform's key; standalone without one,
    Lambda's AWS-managed key). With ``settings.in_vpc`` (checked first with
    :func:`check_in_vpc`), the function runs in the platform's private subnets with a security
    group of its own that allows outbound HTTPS only, and its role may manage the network
    interfaces Lambda creates. ``settings.overrides`` (checked first with
    :func:`check_function_overrides`) set any other ``lambda_.Function`` prop.
    ``dead_letter_waiver`` says why the function needs no Lambda dead-letter queue (how it is
    invoked); it acknowledges the rule sets' findings about it unless the overrides configure
    one.
    """
    overrides = settings.overrides
    in_vpc = settings.in_vpc
    log_group = create_log_group(scope, f"{construct_id}LogGroup", platform=platform)
    role = iam.Role(
        scope,
        f"{construct_id}ServiceRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"Execution role of {scope.node.path}/{construct_id}",
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_group.log_group_arn],
        )
    )
    env = powertools_environment(settings.service_name)
    env.update(plain(settings.environment))
    props = {
        "code": settings.code,
        "handler": settings.handler,
        "runtime": settings.runtime,
        "architecture": DEFAULT_ARCHITECTURE,
        "memory_size": settings.memory_size,
        "timeout": settings.timeout or cdk.Duration.seconds(30),
        "environment": env,
        "description": settings.description,
        "layers": [powertools_layer(scope, settings.runtime, DEFAULT_ARCHITECTURE)],
        "reserved_concurrent_executions": settings.reserved_concurrent_executions,
        **(overrides or {}),
    }
    # Lambda decrypts through a grant it creates for the function (an AWS resource grant); the
    # role needs no key permission
    key = environment_key if environment_key is not None else platform.key
    if in_vpc:
        props.update(_vpc_placement(scope, construct_id, platform, role))
    function = lambda_.Function(
        scope,
        construct_id,
        role=role,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        tracing=lambda_.Tracing.ACTIVE,
        environment_encryption=key,
        **props,
    )
    if key is None:
        skip_checkov(
            function,
            "CKV_AWS_173",
            "Standalone (no platform environment, hence no customer-managed key): the "
            "environment is encrypted with Lambda's AWS-managed key and holds configuration, "
            "never secrets; a key per function would cost USD 1 a month each.",
        )
    if not _DEAD_LETTER_PROPS & set(overrides or {}):
        acknowledge(function, "Serverless-LambdaDLQ", dead_letter_waiver.reason)
        skip_checkov(function, "CKV_AWS_116", dead_letter_waiver.reason)
    if not in_vpc and "vpc" not in (overrides or {}):
        skip_checkov(function, "CKV_AWS_117", _OUTSIDE_THE_VPC)
    if props.get("reserved_concurrent_executions") is None:
        skip_checkov(function, "CKV_AWS_115", _UNRESERVED_CONCURRENCY)
    acknowledge(
        role,
        "AwsSolutions-IAM5",
        "X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions; "
        "active tracing needs them on '*'."
        + (
            " In a VPC, Lambda manages the function's network interfaces with this role: "
            "ec2:DescribeNetworkInterfaces/DescribeSubnets work on '*' only, and the interfaces "
            "are created by Lambda, so their ids are unknown to the template."
            if in_vpc
            else ""
        ),
        findings=["Resource::*"],
    )
    return function, log_group


def _vpc_placement(
    scope: Construct, construct_id: str, platform: IPlatformEnvironment, role: iam.Role
) -> dict[str, Any]:
    """The function props of ``in_vpc=True``: private subnets, an egress-only security group."""
    vpc = platform.vpc  # check_in_vpc refused a standalone environment in the constructor
    security_group = ec2.SecurityGroup(
        scope,
        f"{construct_id}SecurityGroup",
        vpc=vpc,
        description=f"{scope.node.path}/{construct_id}: outbound HTTPS (AWS APIs) only",
        allow_all_outbound=False,
    )
    security_group.add_egress_rule(
        ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs (through the NAT gateways)"
    )
    role.add_to_policy(iam.PolicyStatement(actions=_ENI_ACTIONS, resources=["*"]))
    return {
        "vpc": vpc,
        "vpc_subnets": ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
        "security_groups": [security_group],
    }
