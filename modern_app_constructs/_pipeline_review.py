"""The change review a ServicePipeline runs before each stage, and what the approver is shown.

The step reads the stage's deployed templates with the stage's CDK bootstrap lookup role (read
only; the only role it may assume), reviews the synthesized stage against them
(``review --base-templates``; a stack that does not exist yet reviews against nothing), prices
the stage (``cost``), writes both as one markdown file to the artifact bucket at a fixed key
per stage (one execution at a time is in a stage) and fails on a blocking change not accepted,
which stops the pipeline before the stage deploys.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import pipelines

__all__ = ["REVIEW_FILE", "lazy", "review_key", "review_step", "review_url"]

#: What the step writes and uploads: the review, then the stage's cost.
REVIEW_FILE = "change-review.md"
_PROFILE = "stage-lookup"


@jsii.implements(cdk.IStableStringProducer)
class _Producer:
    def __init__(self, produce: Callable[[], str]) -> None:
        self._produce = produce

    def produce(self) -> str:
        return self._produce()


def lazy(produce: Callable[[], str]) -> str:
    """A string token resolved at synthesis (for what CDK Pipelines creates later)."""
    return cdk.Lazy.string(_Producer(produce))


def review_key(stage_name: str) -> str:
    """The artifact bucket key of the stage's review."""
    return f"reviews/{stage_name}/{REVIEW_FILE}"


def review_url(bucket_name: str, region: str, stage_name: str) -> str:
    """The S3 console page of the stage's review (the approval's review link)."""
    return (
        f"https://console.aws.amazon.com/s3/object/{bucket_name}"
        f"?region={region}&prefix={review_key(stage_name)}"
    )


def review_step(
    *,
    stage_name: str,
    stage: cdk.Stage,
    account: str | None,
    source: pipelines.IFileSetProducer,
    synth: pipelines.ShellStep,
    install_commands: Sequence[str],
    accept_file: str | None,
    bucket_arn: str,
    bucket_name: str,
    key_arn: str,
) -> pipelines.CodeBuildStep:
    """The CodeBuild step reviewing ``stage``'s stacks against what is deployed there."""
    region = stage.region
    qualifier = cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    where = account or "${AWS::AccountId}"
    lookup_role_arn = cdk.Fn.sub(
        f"arn:${{AWS::Partition}}:iam::{where}:role/cdk-{qualifier}-lookup-role-{where}-{region}"
    )
    assembly = f"cdk.out/{stage.artifact_id}"
    stacks = sorted(
        (child for child in stage.node.find_all() if isinstance(child, cdk.Stack)),
        key=lambda stack: stack.artifact_id,
    )
    commands = [
        "mkdir -p deployed",
        f'aws configure set profile.{_PROFILE}.role_arn "$LOOKUP_ROLE_ARN"',
        f"aws configure set profile.{_PROFILE}.credential_source EcsContainer",
    ]
    for stack in stacks:
        target = f"deployed/{stack.artifact_id}.template.json"
        commands.append(
            f"aws cloudformation get-template --profile {_PROFILE} --region {region} "
            f"--stack-name {stack.stack_name} --template-stage Original --query TemplateBody "
            f"--output json > {target} 2> deployed/error.txt "
            f'|| {{ grep -q "does not exist" deployed/error.txt && rm {target}; }}'
        )
    accept = f" --accept {accept_file}" if accept_file else ""
    commands += [
        f"python -m modern_app_constructs review --base-templates deployed {assembly}{accept} "
        "> review.md || echo $? > review.exit",
        f"python -m modern_app_constructs cost {assembly} --format markdown > cost.md",
        f'printf "%s\\n\\n" "## Change review: {stage_name}" > {REVIEW_FILE}',
        f'cat review.md >> {REVIEW_FILE} && printf "\\n%s\\n\\n" "## Cost of {stage_name} '
        f'after the change" >> {REVIEW_FILE} && cat cost.md >> {REVIEW_FILE}',
        f"cat {REVIEW_FILE}",
        f'aws s3 cp {REVIEW_FILE} "s3://$REVIEW_BUCKET/{review_key(stage_name)}" '
        "--content-type text/markdown",
        'test ! -s review.exit || exit "$(cat review.exit)"',
    ]
    return pipelines.CodeBuildStep(
        "Review",
        input=source,
        additional_inputs={"cdk.out": synth},
        install_commands=list(install_commands),
        commands=commands,
        env={"LOOKUP_ROLE_ARN": lookup_role_arn, "REVIEW_BUCKET": bucket_name},
        role_policy_statements=[
            iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[lookup_role_arn]),
            iam.PolicyStatement(
                actions=["s3:PutObject"],
                resources=[f"{bucket_arn}/{review_key(stage_name)}"],
            ),
            iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[key_arn]),
        ],
    )
