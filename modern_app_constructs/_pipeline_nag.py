"""The cdk-nag and checkov analysis of a ServicePipeline's CDK Pipelines resources.

CDK Pipelines adds its own grants and an artifact bucket that AwsSolutions and checkov report.
Each finding is acknowledged with its cause here, and only where the cause is one of CDK
Pipelines' own grants; anything else is left for the gates to report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import IConstruct

from ._checkov import skip_checkov
from ._nag import acknowledge

__all__ = ["acknowledge_pipeline_findings"]


def acknowledge_pipeline_findings(
    pipeline: pipelines.CodePipeline, bucket: s3.IBucket, key: kms.IKey
) -> None:
    """Acknowledge the findings on a built CDK Pipelines ``pipeline``, each with its cause.

    Args:
        pipeline: the built ``pipelines.CodePipeline``.
        bucket: its artifact bucket.
        key: the customer-managed key that encrypts the bucket.
    """
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, cdk.CfnResource)
    acknowledge(
        cfn_bucket,
        "AwsSolutions-S1",
        "The artifact bucket holds only the pipeline's transient artifacts, written and read "
        "by the pipeline's own roles (TLS only, public access blocked, KMS-encrypted); "
        "CloudTrail data events record access where the account enables them, and a "
        "server-access-log bucket would need this acknowledgment itself.",
    )
    skip_checkov(
        cfn_bucket,
        "CKV_AWS_18",
        "The artifact bucket holds only the pipeline's transient artifacts, read and written "
        "by the pipeline's own roles; a server-access-log bucket would need this skip itself.",
    )
    skip_checkov(
        cfn_bucket,
        "CKV_AWS_21",
        "The artifact bucket holds transient artifacts that each pipeline execution writes "
        "anew under new keys; old versions would keep nothing anyone reads.",
    )
    for policy in pipeline.node.find_all():
        if isinstance(policy, iam.CfnPolicy) and "/Assets/" in policy.node.path:
            skip_checkov(policy, "CKV_AWS_111", _GRANT_REASONS["asset-projects"])
    # CDK Pipelines adds its grants up to synthesis: the IAM5 findings are worked out from
    # the final policies, each one matched to the grant that causes it.
    cdk.Aspects.of(pipeline).add(
        _AcknowledgePipelineGrants(bucket, key), priority=cdk.AspectPriority.READONLY
    )


_SEGMENT = r"(?:<[^>]*>|[^:<>/]*)"
_GRANT_REASONS = {
    "artifacts": "CDK Pipelines' grant on the pipeline's own artifact bucket (its ARN and its "
    "objects): the wildcards are aws-cdk-lib's S3 read/write action groups, for artifacts of "
    "pipeline executions.",
    "artifact-key": "CDK Pipelines' grant on the artifact key, that one key's ARN: "
    "kms:GenerateDataKey* and kms:ReEncrypt* are aws-cdk-lib's encrypt/decrypt action groups.",
    "project-logs": "CodeBuild's default log group and report groups of this one project, named "
    "after it (aws-cdk-lib adds them to every project's role); build logs go to the pipeline's "
    "log group.",
    "asset-projects": "CDK Pipelines' asset-publishing role serves every asset project of the "
    "pipeline, which it cannot name in advance: their builds, CodeBuild log groups and report "
    "groups.",
    "bootstrap-roles": "Self-mutation assumes the CDK bootstrap roles (deploy, file and image "
    "publishing) of the pipeline's account, selected by their aws-cdk:bootstrap-role tag; their "
    "names carry the bootstrap qualifier.",
    "source-read": "aws-cdk-lib's S3 read action groups, granted to the source action on the "
    "source bucket and the source object it names (no resource wildcard).",
    "self-mutation-lookups": "The CDK CLI looks up the pipeline's stack "
    "(cloudformation:DescribeStacks) and the bootstrap bucket (s3:ListBucket) before it updates "
    "the pipeline; the update itself goes through the bootstrap deploy role.",
}
_PROJECT_LOGS = re.compile(
    rf"^arn:{_SEGMENT}:(logs:{_SEGMENT}:{_SEGMENT}:log-group:/aws/codebuild/<\w+>(:\*)?"
    rf"|codebuild:{_SEGMENT}:{_SEGMENT}:report-group/<\w+>-\*)$"
)
_ASSET_PROJECTS = re.compile(
    rf"^arn:{_SEGMENT}:(logs:{_SEGMENT}:{_SEGMENT}:log-group:/aws/codebuild/\*"
    rf"|codebuild:{_SEGMENT}:{_SEGMENT}:report-group/\*)$"
)
_BOOTSTRAP_ROLES = re.compile(rf"^arn:\*:iam::{_SEGMENT}:role/\*$")
_CODEBUILD_RUN = frozenset(
    {"codebuild:BatchGetBuilds", "codebuild:StartBuild", "codebuild:StopBuild"}
)
_S3_READ = frozenset({"s3:GetBucket*", "s3:GetObject*", "s3:List*"})
_SELF_MUTATION_LOOKUPS = frozenset({"cloudformation:DescribeStacks", "s3:ListBucket"})


def _flatten(node: object) -> str:
    """A CloudFormation value as cdk-nag writes it in a granular finding."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
        if "Fn::Sub" in node:
            return _flatten(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
    return repr(node)


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


@jsii.implements(cdk.IAspect)
class _AcknowledgePipelineGrants:
    """Acknowledges each cdk-nag IAM5 finding of a CDK Pipelines policy with its cause.

    A finding is acknowledged only when every statement that produces it is one of CDK
    Pipelines' own grants (``_GRANT_REASONS``); anything else is left for the gate to report.
    """

    def __init__(self, bucket: s3.IBucket, key: kms.IKey) -> None:
        self._bucket = bucket
        self._key = key

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, iam.CfnPolicy):
            return
        stack = cdk.Stack.of(node)
        bucket_arn = _flatten(stack.resolve(self._bucket.bucket_arn))
        key_arn = _flatten(stack.resolve(self._key.key_arn))
        source_action = "/Pipeline/Source/" in node.node.path
        causes: dict[str, set[str | None]] = {}
        for statement in stack.resolve(node.policy_document).get("Statement", []):
            if statement.get("Effect") != "Allow":
                continue
            actions = [str(action) for action in _as_list(statement.get("Action"))]
            resources = [_flatten(resource) for resource in _as_list(statement.get("Resource"))]
            cause = self._cause(statement, actions, resources, bucket_arn, key_arn)
            if cause is None and source_action and self._reads_source(actions, resources):
                cause = "source-read"
            findings = [f"Action::{action}" for action in actions if "*" in action] + [
                f"Resource::{resource}" for resource in resources if "*" in resource
            ]
            for finding in findings:
                causes.setdefault(finding, set()).add(cause)
        for finding, found in sorted(causes.items()):
            if None in found:
                continue
            reason = " ".join(_GRANT_REASONS[cause] for cause in sorted(c for c in found if c))
            acknowledge(node, "AwsSolutions-IAM5", reason, findings=[finding])

    @staticmethod
    def _reads_source(actions: list[str], resources: list[str]) -> bool:
        return set(actions) <= _S3_READ and not any("*" in resource for resource in resources)

    @staticmethod
    def _cause(
        statement: Mapping[str, object],
        actions: list[str],
        resources: list[str],
        bucket_arn: str,
        key_arn: str,
    ) -> str | None:
        if all(resource in (bucket_arn, f"{bucket_arn}/*") for resource in resources):
            return "artifacts"
        if all(resource == key_arn for resource in resources) and all(
            action.startswith("kms:") for action in actions
        ):
            return "artifact-key"
        if all(_PROJECT_LOGS.match(resource) for resource in resources):
            return "project-logs"
        if all(_ASSET_PROJECTS.match(resource) for resource in resources) or (
            resources == ["*"] and set(actions) <= _CODEBUILD_RUN
        ):
            return "asset-projects"
        if (
            actions == ["sts:AssumeRole"]
            and all(_BOOTSTRAP_ROLES.match(resource) for resource in resources)
            and "aws-cdk:bootstrap-role" in str(statement.get("Condition"))
        ):
            return "bootstrap-roles"
        if resources == ["*"] and set(actions) <= _SELF_MUTATION_LOOKUPS:
            return "self-mutation-lookups"
        return None
