"""The deletion guard of a published platform environment.

A custom resource in the platform stack that every other resource of the environment is a
dependency of. CloudFormation deletes resources in reverse dependency order, so the guard is
deleted first: its handler (``runtime/deletion_guard.py``) lists the registrations under the
environment's ``attachments/`` path and fails the deletion, naming the attached stacks, before
anything else is removed. Its properties carry the identities of what services rely on (VPC,
cluster, key, alarm topic, the environment's name), so a change that replaces one of them
updates the guard first, which fails the same way; CloudFormation only deletes the replaced
resource after the update succeeded.

A prod profile (``deletion_protection``) also turns on the stack's termination protection.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import region_info
from constructs import Construct

from ._lambda import ASSET_EXCLUDES, DeadLetterWaiver, FunctionSettings, create_function
from ._nag import acknowledge
from ._platform import IPlatformEnvironment
from ._registration import attachments_path
from ._typecheck import check_prop_types

__all__ = ["DeletionGuard"]

_HANDLER = "deletion_guard"
_RUNTIME_DIR = Path(__file__).parent / "runtime"
#: How long CloudFormation waits for the guard's answer before failing the operation.
SERVICE_TIMEOUT = cdk.Duration.minutes(5)


class DeletionGuard(Construct):
    """Refuses to delete or replace a published environment while services are attached.

    Created by :class:`PlatformEnvironment` when it publishes its contract, as the last child;
    it depends on every sibling created before it.

    Args:
        scope: the platform environment construct.
        construct_id: the construct id.
        name: the environment's published name.
        platform: the environment (its VPC, cluster, key, topic and profile).

    Attributes:
        function: the guard's handler.
        resource: the custom resource (``Custom::PlatformDeletionGuard``).
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        name: str,
        platform: IPlatformEnvironment,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        path = attachments_path(name)
        self.function: lambda_.Function
        self.function, _ = create_function(
            self,
            "Handler",
            FunctionSettings(
                code=lambda_.Code.from_asset(
                    str(_RUNTIME_DIR),
                    exclude=["*", f"!{_HANDLER}.py", *ASSET_EXCLUDES],
                ),
                handler=f"{_HANDLER}.handler",
                service_name=f"{name}-deletion-guard",
                description=(
                    f"Refuses to delete or replace the platform environment '{name}' while "
                    "service stacks are registered with it"
                ),
                memory_size=128,
                timeout=cdk.Duration.seconds(60),
            ),
            platform=platform,
            dead_letter_waiver=DeadLetterWaiver.CLOUDFORMATION_CUSTOM_RESOURCE,
        )
        parameter_arn = stack.format_arn(
            service="ssm", resource="parameter", resource_name=path.lstrip("/")
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["ssm:GetParametersByPath"],
                resources=[parameter_arn, f"{parameter_arn}/*"],
            )
        )
        self.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cloudformation:DescribeStacks"], resources=[stack.stack_id]
            )
        )
        acknowledge(
            self,
            "AwsSolutions-IAM5",
            "The guard lists the registrations under its environment's attachments path: "
            "ssm:GetParametersByPath authorizes on the path and the parameters beneath it.",
            findings=[f"Resource::{_nag_arn(stack)}:parameter{path}/*"],
        )
        vpc = platform.vpc
        self.resource = cdk.CustomResource(
            self,
            "Resource",
            service_token=self.function.function_arn,
            resource_type="Custom::PlatformDeletionGuard",
            service_timeout=SERVICE_TIMEOUT,
            properties={
                "Environment": name,
                "AttachmentsPath": path,
                "Protected": {
                    "VpcId": vpc.vpc_id,
                    "ClusterArn": platform.cluster.cluster_arn,
                    **({"KeyArn": platform.key.key_arn} if platform.key is not None else {}),
                    **(
                        {"AlarmTopicArn": platform.alarm_topic.topic_arn}
                        if platform.alarm_topic is not None
                        else {}
                    ),
                },
            },
        )
        # deleted first: everything of the environment created before the guard is a dependency
        parent = self.node.scope
        if parent is not None:
            for sibling in parent.node.children:
                if sibling is not self:
                    self.resource.node.add_dependency(sibling)
        if platform.profile.deletion_protection:
            stack.termination_protection = True


def _nag_arn(stack: cdk.Stack) -> str:
    """``arn:<partition>:ssm:<region>:<account>`` as cdk-nag renders it in a finding."""
    if cdk.Token.is_unresolved(stack.region):
        partition, region = "<AWS::Partition>", "<AWS::Region>"
    else:
        region = stack.region
        partition = region_info.RegionInfo.get(region).partition or "<AWS::Partition>"
    account = "<AWS::AccountId>" if cdk.Token.is_unresolved(stack.account) else stack.account
    return f"arn:{partition}:ssm:{region}:{account}"
