"""ServicePipeline: stage order, gates, keys, notifications, the bad input it rejects, a snapshot.

Two pipelines are synthesized once each (a pipeline synth is the heaviest thing in the suite):
a cross-account one attached to a platform environment, and a single-account standalone one
from an S3 source with the production approval waived.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_ssm as ssm
from aws_cdk import pipelines
from aws_cdk.assertions import Annotations, Match, Template

from modern_app_constructs import (
    DeploymentStage,
    InvalidPropError,
    InvalidPropTypeError,
    PlatformEnvironment,
    Profile,
    ServicePipeline,
)
from modern_app_constructs.service_pipeline import _with_fields
from modern_app_constructs.testing import assert_compliant, cdk_json_context
from tests.cdk_support import CDK_JSON, make_app

TOOLING = "111111111111"
DEV_ACCOUNT = "222222222222"
PROD_ACCOUNT = "333333333333"
REGION = "eu-west-1"
CONNECTION = (
    f"arn:aws:codeconnections:{REGION}:{TOOLING}:connection/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
)
TOOLING_PLATFORM = "shop-tooling"
WAIVER = "Prod is a load-test environment that nobody serves traffic from"


def env(account: str | None = TOOLING, region: str | None = REGION) -> cdk.Environment:
    return cdk.Environment(account=account, region=region)


@dataclass
class ServiceBuilder:
    """A stage function: one stack with a container image, a file asset and an URL output."""

    asset_dir: Path
    profiles: dict[str, str]

    def __call__(self, stage: cdk.Stage, spec: DeploymentStage) -> dict[str, cdk.CfnOutput]:
        stack = cdk.Stack(stage, "Service")
        self.profiles[spec.name] = Profile.from_context(stack).name
        image = ecr_assets.DockerImageAsset(stack, "Image", directory=str(self.asset_dir))
        bundle = s3_assets.Asset(stack, "Bundle", path=str(self.asset_dir / "Dockerfile"))
        ssm.StringParameter(
            stack, "Release", string_value=cdk.Fn.join(" ", [image.image_uri, bundle.s3_object_url])
        )
        url = cdk.CfnOutput(stack, "ApiUrl", value=f"https://{spec.name.lower()}.example.com/")
        return {"API_URL": url}


@pytest.fixture(scope="module")
def asset_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("service")
    (directory / "Dockerfile").write_text("FROM public.ecr.aws/docker/library/python:3.13-slim\n")
    return directory


@dataclass(frozen=True)
class Synthesized:
    """One pipeline app synthesized behind the compliance gates."""

    pipeline: ServicePipeline
    template: Template
    raw: dict[str, Any]
    platform_template: Template | None
    platform: PlatformEnvironment | None
    profiles: dict[str, str]


@pytest.fixture(scope="module")
def cross_account(asset_dir: Path) -> Synthesized:
    """Tooling account pipeline -> Dev account (verified) -> approval -> Prod account.

    The platform team's stack publishes the tooling account's environment; the pipeline's stack
    attaches to it by name only, as a service repository would.
    """
    app = make_app()
    platform_stack = cdk.Stack(app, "Tooling", env=env())
    platform = PlatformEnvironment(
        platform_stack,
        "Platform",
        team="orders",
        application="orders",
        profile="dev",
        name=TOOLING_PLATFORM,
    )
    stack = cdk.Stack(app, "Delivery", env=env())
    attached = PlatformEnvironment.from_published(stack, "Platform", name=TOOLING_PLATFORM)
    profiles: dict[str, str] = {}
    pipeline = ServicePipeline(
        stack,
        "Pipeline",
        connection_arn=CONNECTION,
        repository="acme/orders",
        stages=[
            DeploymentStage(
                "Dev",
                env(DEV_ACCOUNT),
                "dev",
                verify_commands=('curl -fsS "$API_URL/health"',),
            ),
            DeploymentStage("Prod", env(PROD_ACCOUNT), "prod"),
        ],
        build_stage=ServiceBuilder(asset_dir, profiles),
        platform=attached,
    )
    templates = assert_compliant(app)
    return Synthesized(
        pipeline=pipeline,
        template=Template.from_json(templates["Delivery"]),
        raw=templates["Delivery"],
        platform_template=Template.from_json(templates["Tooling"]),
        platform=platform,
        profiles=profiles,
    )


@pytest.fixture(scope="module")
def single_account(asset_dir: Path) -> Synthesized:
    """Standalone, account-agnostic (one account, whichever deploys it), an S3 source, its own
    test command, the prod approval waived."""
    app = make_app()
    stack = cdk.Stack(app, "Delivery", env=env(account=None))
    bucket = s3.Bucket.from_bucket_name(stack, "Sources", "acme-sources")
    profiles: dict[str, str] = {}
    pipeline = ServicePipeline(
        stack,
        "Pipeline",
        source=pipelines.CodePipelineSource.s3(bucket, "orders.zip"),
        test_command="pytest -q",
        install_commands=("pip install -r requirements.txt", "npm ci"),
        stages=[
            DeploymentStage("Dev", env(account=None), "dev"),
            DeploymentStage(
                "Prod", env(account=None), "prod", approval=False, approval_waiver_reason=WAIVER
            ),
        ],
        build_stage=ServiceBuilder(asset_dir, profiles),
    )
    templates = assert_compliant(app)
    return Synthesized(
        pipeline=pipeline,
        template=Template.from_json(templates["Delivery"]),
        raw=templates["Delivery"],
        platform_template=None,
        platform=None,
        profiles=profiles,
    )


def pipeline_stages(synthesized: Synthesized) -> list[dict[str, Any]]:
    (pipeline,) = synthesized.template.find_resources("AWS::CodePipeline::Pipeline").values()
    return list(pipeline["Properties"]["Stages"])


def stage_actions(synthesized: Synthesized, name: str) -> list[dict[str, Any]]:
    (stage,) = [s for s in pipeline_stages(synthesized) if s["Name"] == name]
    return sorted(stage["Actions"], key=lambda action: action["RunOrder"])


def published(synthesized: Synthesized, key: str) -> dict[str, str]:
    """The reference to the template parameter reading one published contract value."""
    parameters = synthesized.template.to_json()["Parameters"]
    path = f"/modern-app-constructs/platform/{TOOLING_PLATFORM}/{key}"
    (name,) = [name for name, p in parameters.items() if p.get("Default") == path]
    return {"Ref": name}


def logical_id(construct: Any) -> str:
    cfn = construct.node.default_child
    return str(cdk.Stack.of(cfn).resolve(cfn.logical_id))


# ------------------------------------------------------------------------------ stage order


def test_stages_run_in_order(cross_account):
    assert [stage["Name"] for stage in pipeline_stages(cross_account)] == [
        "Source",
        "Build",
        "UpdatePipeline",
        "Assets",
        "Dev",
        "Prod",
    ]


def test_dev_deploys_then_verifies(cross_account):
    actions = stage_actions(cross_account, "Dev")
    assert [(action["Name"], action["RunOrder"]) for action in actions] == [
        ("Review", 1),
        ("Service.Prepare", 2),
        ("Service.Deploy", 3),
        ("Verify", 4),
    ]
    assert actions[1]["Configuration"]["StackName"] == "Dev-Service"
    verify = actions[3]
    assert verify["ActionTypeId"]["Provider"] == "CodeBuild"
    # the stage function's output reaches the verification commands
    assert verify["Configuration"]["EnvironmentVariables"] == (
        '[{"name":"API_URL","type":"PLAINTEXT","value":"#{DeliveryPipelineDevService5381B988.ApiUrl}"}]'
    )
    cross_account.template.has_resource_properties(
        "AWS::CodeBuild::Project",
        {
            "Source": {
                "BuildSpec": Match.serialized_json(
                    Match.object_like(
                        {"phases": {"build": {"commands": ['curl -fsS "$API_URL/health"']}}}
                    )
                )
            }
        },
    )


def test_manual_approval_before_the_prod_deployment(cross_account):
    actions = stage_actions(cross_account, "Prod")
    assert [(action["Name"], action["RunOrder"]) for action in actions] == [
        ("Review", 1),
        ("Approve", 2),
        ("Service.Prepare", 3),
        ("Service.Deploy", 4),
    ]
    actions = actions[
        1:
    ]  # the approval waits for the review (tests/sample/test_sample_pipeline.py)
    assert actions[0]["ActionTypeId"] == {
        "Category": "Approval",
        "Owner": "AWS",
        "Provider": "Manual",
        "Version": "1",
    }
    comment = actions[0]["Configuration"]["CustomData"]["Fn::Join"][1]
    assert comment[0].startswith(
        f"Deploy this change to Prod ({PROD_ACCOUNT}, {REGION})? Read its change review first"
    )
    assert comment[2].startswith("/reviews/Prod/change-review.md")
    # dev has no approval
    assert all(
        a["ActionTypeId"]["Category"] != "Approval" for a in stage_actions(cross_account, "Dev")
    )


def test_stage_profiles_reach_the_constructs_inside(cross_account):
    assert cross_account.profiles == {"Dev": "dev", "Prod": "prod"}


def test_synth_runs_the_tests_then_cdk_synth(cross_account):
    cross_account.template.has_resource_properties(
        "AWS::CodeBuild::Project",
        {
            "Environment": Match.object_like({"PrivilegedMode": False}),
            "Source": {
                "BuildSpec": Match.serialized_json(
                    {
                        "version": "0.2",
                        "phases": {
                            "install": {"commands": ["npm ci"]},
                            "build": {"commands": ["make test", "npx cdk synth --output cdk.out"]},
                        },
                        "artifacts": {"base-directory": "cdk.out", "files": "**/*"},
                    }
                ),
                "Type": "CODEPIPELINE",
            },
        },
    )


def test_test_command_and_install_commands_are_overridable(single_account):
    single_account.template.has_resource_properties(
        "AWS::CodeBuild::Project",
        {
            "Source": Match.object_like(
                {
                    "BuildSpec": Match.serialized_json(
                        Match.object_like(
                            {
                                "phases": {
                                    "install": {
                                        "commands": ["pip install -r requirements.txt", "npm ci"]
                                    },
                                    "build": {
                                        "commands": ["pytest -q", "npx cdk synth --output cdk.out"]
                                    },
                                }
                            }
                        )
                    )
                }
            )
        },
    )


def test_source_is_the_connection(cross_account):
    (source,) = stage_actions(cross_account, "Source")
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"] == {
        "ConnectionArn": CONNECTION,
        "FullRepositoryId": "acme/orders",
        "BranchName": "main",
        "DetectChanges": True,
    }


def test_s3_source(single_account):
    (source,) = stage_actions(single_account, "Source")
    assert source["ActionTypeId"]["Provider"] == "S3"
    assert source["Configuration"]["S3Bucket"] == "acme-sources"
    assert source["Configuration"]["S3ObjectKey"] == "orders.zip"


def test_self_mutation_is_on(cross_account):
    assert [a["Name"] for a in stage_actions(cross_account, "UpdatePipeline")] == ["SelfMutate"]


# ------------------------------------------------------------------------------- docker


def privileged_projects(synthesized: Synthesized) -> dict[str, bool]:
    projects = synthesized.template.find_resources("AWS::CodeBuild::Project")
    return {
        lid: bool(project["Properties"]["Environment"].get("PrivilegedMode"))
        for lid, project in projects.items()
    }


def test_assets_are_published_on_arm64_hosts(cross_account):
    projects = cross_account.template.find_resources("AWS::CodeBuild::Project")
    environments = {
        lid: (
            project["Properties"]["Environment"]["Type"],
            project["Properties"]["Environment"]["Image"],
        )
        for lid, project in projects.items()
    }
    arm = ("ARM_CONTAINER", "aws/codebuild/amazonlinux-aarch64-standard:3.0")
    assert {lid for lid, environment in environments.items() if environment == arm} == {
        "PipelineCodePipelineAssetsDockerAsset1E8F90081",
        "PipelineCodePipelineAssetsFileAsset1FC6225D0",
    }


def test_only_container_image_publishing_runs_privileged(cross_account):
    privileged = privileged_projects(cross_account)
    assert {lid for lid, on in privileged.items() if on} == {
        "PipelineCodePipelineAssetsDockerAsset1E8F90081"
    }
    assert len(privileged) == 7  # synth, self-mutation, 2 reviews, verify, image, file


# ------------------------------------------------------------------------- keys and logs


def test_artifacts_encrypted_with_a_customer_managed_key_with_rotation(cross_account):
    key_id = logical_id(cross_account.pipeline.artifact_key)
    cross_account.template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    (pipeline,) = cross_account.template.find_resources("AWS::CodePipeline::Pipeline").values()
    assert pipeline["Properties"]["ArtifactStore"]["EncryptionKey"] == {
        "Id": {"Fn::GetAtt": [key_id, "Arn"]},
        "Type": "KMS",
    }
    cross_account.template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                            "SSEAlgorithm": "aws:kms",
                        }
                    }
                ]
            }
        },
    )


def test_artifact_key_grants_only_for_aws_resources_and_artifacts_expire(cross_account):
    key_id = logical_id(cross_account.pipeline.artifact_key)
    key = cross_account.raw["Resources"][key_id]
    (deny,) = [
        statement
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if statement.get("Sid") == "DenyGrantsNotForAwsResources"
    ]
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == "kms:CreateGrant"
    assert deny["Condition"] == {
        "BoolIfExists": {
            "kms:GrantIsForAWSResource": "false",
            "aws:PrincipalIsAWSService": "false",
        }
    }
    bucket_id = logical_id(cross_account.pipeline.artifact_bucket)
    rules = cross_account.raw["Resources"][bucket_id]["Properties"]["LifecycleConfiguration"]
    assert rules == {
        "Rules": [
            {
                "Id": "ExpireArtifacts",
                "Status": "Enabled",
                "ExpirationInDays": 30,
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
            }
        ]
    }


def deploy_role(account: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{REGION}",
            ],
        ]
    }


def artifact_key_readers(synthesized: Synthesized) -> Any:
    key_id = logical_id(synthesized.pipeline.artifact_key)
    key = synthesized.template.to_json()["Resources"][key_id]
    (readers,) = [
        statement["Principal"]["AWS"]
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if statement["Action"] == ["kms:Decrypt", "kms:DescribeKey"]
    ]
    return readers


def test_cross_account_stages_get_the_artifact_key(cross_account):
    assert cross_account.pipeline.cross_account
    assert artifact_key_readers(cross_account) == [
        deploy_role(DEV_ACCOUNT),
        deploy_role(PROD_ACCOUNT),
    ]
    # each stage's change set runs with that account's bootstrap execution role
    (prepare,) = [a for a in stage_actions(cross_account, "Prod") if a["Name"].endswith("Prepare")]
    assert prepare["Configuration"]["RoleArn"] == {
        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::{PROD_ACCOUNT}:role/"
        f"cdk-hnb659fds-cfn-exec-role-{PROD_ACCOUNT}-{REGION}"
    }


def test_single_account_stages_deploy_to_the_pipeline_account(single_account):
    assert not single_account.pipeline.cross_account
    this_account = {"Ref": "AWS::AccountId"}
    assert artifact_key_readers(single_account) == {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                ":iam::",
                this_account,
                ":role/cdk-hnb659fds-deploy-role-",
                this_account,
                f"-{REGION}",
            ],
        ]
    }
    assert single_account.pipeline.stages["Prod"].account is None


def test_env_agnostic_account_with_stages_in_the_pipeline_account():
    pipeline = build(
        stack_env=cdk.Environment(region=REGION), stages=[DeploymentStage("Dev", env(None), "dev")]
    )
    assert not pipeline.cross_account
    assert pipeline.stages["Dev"].account is None  # its stacks deploy to the pipeline's account


def test_build_logs_kept_per_profile_and_encrypted_with_the_platform_key(cross_account):
    log_group_id = logical_id(cross_account.pipeline.build_log_group)
    cross_account.template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"RetentionInDays": 30, "KmsKeyId": published(cross_account, "key-arn")},
    )
    projects = cross_account.template.find_resources("AWS::CodeBuild::Project")
    assert {json_key(project["Properties"]["LogsConfig"]) for project in projects.values()} == {
        json_key({"CloudWatchLogs": {"GroupName": {"Ref": log_group_id}, "Status": "ENABLED"}})
    }


def json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


# -------------------------------------------------------------------------- notifications


def test_failures_notify_the_platform_alarm_topic(cross_account):
    cross_account.template.has_resource_properties(
        "AWS::CodeStarNotifications::NotificationRule",
        {
            "DetailType": "FULL",
            "EventTypeIds": ["codepipeline-pipeline-pipeline-execution-failed"],
            "Resource": {
                "Fn::Join": [
                    "",
                    [
                        f"arn:aws:codepipeline:{REGION}:{TOOLING}:",
                        {"Ref": logical_id(cross_account.pipeline.code_pipeline)},
                    ],
                ]
            },
            "Targets": [
                {
                    "TargetType": "SNS",
                    "TargetAddress": published(cross_account, "alarm-topic-arn"),
                }
            ],
        },
    )


def test_the_platform_lets_codestar_notifications_deliver(cross_account):
    platform_template = cross_account.platform_template
    assert platform_template is not None
    assert cross_account.platform is not None
    platform_template.has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "AllowCodeStarNotifications",
                            "Effect": "Allow",
                            "Principal": {"Service": "codestar-notifications.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": logical_id(cross_account.platform.alarm_topic)},
                            "Condition": {"StringEquals": {"aws:SourceAccount": TOOLING}},
                        }
                    ]
                )
            }
        },
    )
    platform_template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "AllowCodeStarNotificationsToEncryptedTopics",
                            "Effect": "Allow",
                            "Principal": {"Service": "codestar-notifications.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                            "Condition": {
                                "StringEquals": {"kms:ViaService": f"sns.{REGION}.amazonaws.com"}
                            },
                        }
                    ]
                )
            }
        },
    )


def test_standalone_pipeline_has_no_notification_rule(single_account):
    single_account.template.resource_count_is("AWS::CodeStarNotifications::NotificationRule", 0)
    assert single_account.pipeline.notification_rule is None
    warnings = Annotations.from_stack(single_account.pipeline.node.scope).find_warning(
        "*", Match.string_like_regexp("Pipeline failures notify nobody")
    )
    assert [warning.id for warning in warnings] == ["/Delivery/Pipeline"]


# ------------------------------------------------------------------------------ approvals


def test_waived_prod_approval_is_recorded(single_account):
    assert [a["Name"] for a in stage_actions(single_account, "Prod")] == [
        "Review",
        "Service.Prepare",
        "Service.Deploy",
    ]
    (pipeline,) = single_account.template.find_resources("AWS::CodePipeline::Pipeline").values()
    assert pipeline["Metadata"] == {"modern-app-constructs:approvalWaivers": {"Prod": WAIVER}}


def test_approval_can_be_added_to_any_stage():
    staging = DeploymentStage("Staging", env(), "dev", approval=True)
    assert staging.requires_approval
    assert not DeploymentStage("Dev", env(), "dev").requires_approval
    assert DeploymentStage("Prod", env(), Profile.PROD).requires_approval


def custom_profile(name: str, **kwargs: Any) -> Profile:
    """A platform team's own profile, written out field by field (no built-in profile copied)."""
    return Profile(
        name=name,
        nat_gateways=2,
        log_retention=logs.RetentionDays.SIX_MONTHS,
        removal_policy=cdk.RemovalPolicy.RETAIN,
        lambda_deployment="Linear10PercentEvery1Minute",
        desired_count=2,
        deletion_protection=True,
        **kwargs,
    )


def test_the_profile_decides_the_approval_not_its_name():
    assert Profile.PROD.requires_approval
    assert not Profile.DEV.requires_approval
    production = DeploymentStage("Production", env(), custom_profile("production"))
    assert production.requires_approval  # a custom profile requires approval unless it says not
    staging = DeploymentStage("Staging", env(), custom_profile("staging", requires_approval=False))
    assert not staging.requires_approval
    # nothing to waive on staging; production needs a reason to go without
    with pytest.raises(InvalidPropError, match="waives nothing") as error:
        DeploymentStage(
            "Staging",
            env(),
            custom_profile("staging", requires_approval=False),
            approval=False,
            approval_waiver_reason=WAIVER,
        )
    assert error.value.prop == "approval_waiver_reason"
    with pytest.raises(InvalidPropError, match="'production' requires a manual approval") as error:
        DeploymentStage("Production", env(), custom_profile("production"), approval=False)
    assert error.value.prop == "approval"


def test_custom_profiles_reach_the_pipeline_approvals():
    pipeline = build(
        stages=[
            DeploymentStage("Staging", env(), custom_profile("staging", requires_approval=False)),
            DeploymentStage("Production", env(PROD_ACCOUNT), custom_profile("production")),
        ]
    )
    template = Template.from_stack(cdk.Stack.of(pipeline)).to_json()
    (resource,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::CodePipeline::Pipeline"
    ]
    categories = {
        stage["Name"]: [action["ActionTypeId"]["Category"] for action in stage["Actions"]]
        for stage in resource["Properties"]["Stages"]
    }
    assert categories["Staging"] == ["Build", "Deploy", "Deploy"]
    assert categories["Production"] == ["Build", "Approval", "Deploy", "Deploy"]


def test_tags_stay_out_of_the_stages(cross_account):
    stage = cross_account.pipeline.stages["Dev"]
    (stack,) = [child for child in stage.node.children if isinstance(child, cdk.Stack)]
    template = Template.from_stack(stack)
    for resource in template.to_json()["Resources"].values():
        assert "Tags" not in resource["Properties"]


# ----------------------------------------------------------------------------- snapshot


def test_snapshot(cross_account, template_snapshot):
    assert cross_account.raw == template_snapshot


# ---------------------------------------------------------------------------- bad input


def one_stack(stage: cdk.Stage, spec: DeploymentStage) -> None:
    stack = cdk.Stack(stage, "Service")
    ssm.StringParameter(stack, "Release", string_value=spec.name)


def build(stack_env: cdk.Environment | None = None, **overrides: Any) -> ServicePipeline:
    """A pipeline with valid props, except ``overrides``; raises before anything synthesizes."""
    stack = cdk.Stack(make_app(), "Delivery", env=stack_env if stack_env else env())
    props: dict[str, Any] = {
        "connection_arn": CONNECTION,
        "repository": "acme/orders",
        "stages": [DeploymentStage("Dev", env(), "dev")],
        "build_stage": one_stack,
    }
    props.update(overrides)
    return ServicePipeline(stack, "Pipeline", **props)


def test_no_stages():
    with pytest.raises(InvalidPropError, match="non-empty sequence") as error:
        build(stages=[])
    assert error.value.prop == "stages"


def test_duplicate_stage_names():
    with pytest.raises(InvalidPropError, match="unique") as error:
        build(stages=[DeploymentStage("Dev", env(), "dev"), DeploymentStage("dev", env(), "dev")])
    assert error.value.prop == "stages[1].name"


def test_stage_that_is_not_a_deployment_stage():
    with pytest.raises(InvalidPropTypeError, match="DeploymentStage") as error:
        build(stages=[{"name": "Dev"}])
    assert error.value.prop == "stages"


def test_stage_field_of_the_wrong_type():
    with pytest.raises(InvalidPropTypeError, match=r"cdk\.Environment") as error:
        DeploymentStage("Dev", {"region": REGION}, "dev")  # type: ignore[arg-type]
    assert error.value.prop == "env"


@pytest.mark.parametrize("reason", [None, "", "because"])
def test_prod_approval_off_needs_a_reason(reason):
    with pytest.raises(InvalidPropError, match="approval_waiver_reason") as error:
        DeploymentStage("Prod", env(), "prod", approval=False, approval_waiver_reason=reason)
    assert error.value.prop == "approval"


def test_waiver_reason_where_nothing_is_waived():
    with pytest.raises(InvalidPropError, match="waives nothing") as error:
        DeploymentStage("Dev", env(), "dev", approval=False, approval_waiver_reason=WAIVER)
    assert error.value.prop == "approval_waiver_reason"


def test_stage_env_without_region():
    with pytest.raises(InvalidPropError, match="region name") as error:
        DeploymentStage("Dev", env(region=None), "dev")
    assert error.value.prop == "env.region"


@pytest.mark.parametrize("account", ["12345", cdk.Aws.ACCOUNT_ID], ids=["short", "token"])
def test_stage_env_with_a_bad_account(account):
    with pytest.raises(InvalidPropError, match="12-digit") as error:
        DeploymentStage("Dev", env(account=account), "dev")
    assert error.value.prop == "env.account"


def test_stage_without_account_when_stages_span_accounts():
    stages = [
        DeploymentStage("Dev", env(DEV_ACCOUNT), "dev"),
        DeploymentStage("Prod", env(account=None), "prod"),
    ]
    with pytest.raises(InvalidPropError, match="span accounts") as error:
        build(stages=stages)
    assert error.value.prop == "stages[1].env.account"


def test_stage_account_needs_a_pipeline_account():
    stages = [DeploymentStage("Dev", env(DEV_ACCOUNT), "dev")]
    with pytest.raises(InvalidPropError, match="pipeline's stack in a named account") as error:
        build(stack_env=cdk.Environment(region=REGION), stages=stages)
    assert error.value.prop == "stages[0].env.account"


def test_pipeline_stack_needs_a_region():
    with pytest.raises(InvalidPropError, match="concrete region") as error:
        build(stack_env=cdk.Environment(), stages=[DeploymentStage("Dev", env(None), "dev")])
    assert error.value.prop == "scope"


def test_stage_in_another_region():
    with pytest.raises(InvalidPropError, match="one pipeline per region") as error:
        build(stages=[DeploymentStage("Dev", env(region="us-east-1"), "dev")])
    assert error.value.prop == "stages[0].env.region"


@pytest.mark.parametrize(
    ("name", "match"),
    [("Assets", "CDK Pipelines uses them"), ("dev stage", "letters, digits and hyphens")],
)
def test_bad_stage_names(name, match):
    with pytest.raises(InvalidPropError, match=match) as error:
        DeploymentStage(name, env(), "dev")
    assert error.value.prop == "name"


def test_unknown_profile_name():
    with pytest.raises(InvalidPropError, match="'dev', 'prod' or a Profile") as error:
        DeploymentStage("Dev", env(), "staging")
    assert error.value.prop == "profile"


@pytest.mark.parametrize(
    "arn",
    [
        "https://github.com/acme/orders",
        f"arn:aws:codecommit:{REGION}:{TOOLING}:orders",
        f"arn:aws:codeconnections:{REGION}:{TOOLING}:connection/",
        f"arn:aws:codeconnections:{REGION}:1111:connection/0f1e2d3c",
    ],
)
def test_invalid_connection_arn(arn):
    with pytest.raises(InvalidPropError, match="codeconnections") as error:
        build(connection_arn=arn)
    assert error.value.prop == "connection_arn"


def test_legacy_codestar_connections_arn_is_accepted():
    pipeline = build(
        connection_arn=f"arn:aws:codestar-connections:{REGION}:{TOOLING}:connection/0f1e2d3c"
    )
    assert pipeline.synth_step.id == "Synth"


@pytest.mark.parametrize("repository", ["orders", "acme/", "/orders", None])
def test_invalid_repository(repository):
    with pytest.raises(InvalidPropError, match="owner/repo") as error:
        build(repository=repository)
    assert error.value.prop == "repository"


def test_both_source_kinds():
    bucket_source = pipelines.CodePipelineSource.s3(
        s3.Bucket.from_bucket_name(cdk.Stack(), "Sources", "acme-sources"), "orders.zip"
    )
    with pytest.raises(InvalidPropError, match="not both") as error:
        build(source=bucket_source)
    assert error.value.prop == "source"


def test_neither_source_kind():
    with pytest.raises(InvalidPropError, match="a source is required") as error:
        build(connection_arn=None, repository=None)
    assert error.value.prop == "connection_arn"


def test_empty_test_command():
    with pytest.raises(InvalidPropError, match="non-empty shell command") as error:
        build(test_command=" ")
    assert error.value.prop == "test_command"


def test_build_stage_must_be_callable():
    with pytest.raises(InvalidPropTypeError, match="expected Callable") as error:
        build(build_stage="stacks")
    assert error.value.prop == "build_stage"


def test_build_stage_must_add_a_stack():
    with pytest.raises(InvalidPropError, match="adds the service's stacks") as error:
        build(build_stage=lambda stage, spec: None)
    assert error.value.prop == "build_stage"


def test_build_stage_outputs_must_be_stack_outputs():
    def bad_outputs(stage: cdk.Stage, spec: DeploymentStage) -> Any:
        one_stack(stage, spec)
        return {"API_URL": "https://example.com"}

    with pytest.raises(InvalidPropTypeError, match="CfnOutput"):
        build(build_stage=bad_outputs)


@pytest.mark.parametrize("prop", ["code_build_defaults", "asset_publishing_code_build_defaults"])
def test_build_logs_are_owned_by_the_construct(prop):
    options = pipelines.CodeBuildOptions(
        logging=codebuild.LoggingOptions(
            cloud_watch=codebuild.CloudWatchLoggingOptions(enabled=False)
        )
    )
    with pytest.raises(InvalidPropError, match="owned by the construct") as error:
        build(**{prop: options})
    assert error.value.prop == prop


# ------------------------------------------------------------------ CodeBuild options pass


class FutureCodeBuildOptions(pipelines.CodeBuildOptions):
    """CodeBuildOptions as a later aws-cdk-lib might have it: one field this version lacks."""

    def __init__(self, *, future_field: str | None = None, **fields: Any) -> None:
        super().__init__(**fields)
        if future_field is not None:
            self._values["future_field"] = future_field

    @property
    def future_field(self) -> str | None:
        return self._values.get("future_field")


def test_code_build_options_pass_through_whole():
    """The construct adds its build logs and keeps every field the user set, known or not."""
    given = FutureCodeBuildOptions(
        future_field="kept", timeout=cdk.Duration.minutes(20), role_policy=[]
    )
    logging = codebuild.LoggingOptions(s3=None)
    merged = _with_fields(given, logging=logging)
    assert isinstance(merged, FutureCodeBuildOptions)
    assert merged.future_field == "kept"
    assert merged.timeout is given.timeout
    assert merged.role_policy == []
    assert merged.logging is logging
    assert given.logging is None  # the user's options are left as they were


def test_code_build_defaults_reach_every_project():
    image = codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5
    pipeline = build(
        code_build_defaults=pipelines.CodeBuildOptions(
            timeout=cdk.Duration.minutes(20),
            build_environment=codebuild.BuildEnvironment(
                build_image=image, compute_type=codebuild.ComputeType.MEDIUM
            ),
        )
    )
    template = Template.from_stack(cdk.Stack.of(pipeline))
    projects = template.find_resources("AWS::CodeBuild::Project")
    log_group = {"Ref": logical_id(pipeline.build_log_group)}
    assert len(projects) == 3  # synth, self-mutation, the stage's review (no assets)
    for project in projects.values():
        properties = project["Properties"]
        assert properties["TimeoutInMinutes"] == 20
        assert properties["Environment"]["ComputeType"] == "BUILD_GENERAL1_MEDIUM"
        assert properties["LogsConfig"]["CloudWatchLogs"]["GroupName"] == log_group


# ------------------------------------------------------------------------ stable logical ids

ACCOUNTS = {"Dev": DEV_ACCOUNT, "QA": "444444444444", "Prod": PROD_ACCOUNT}
STAGE_ORDERS = {
    "base": ("Dev", "Prod"),
    "added": ("Dev", "QA", "Prod"),
    "added first": ("QA", "Dev", "Prod"),
    "removed": ("Prod",),
}


@pytest.fixture(scope="module")
def stage_variants(asset_dir: Path) -> dict[str, dict[str, Any]]:
    """The pipeline stack's resources for each stage list (every stage verified, the same
    service in each); one app each, without aws-cdk-lib's template validation: only ids and
    asset publishing are compared."""
    variants = {}
    for variant, names in STAGE_ORDERS.items():
        app = cdk.App(context=cdk_json_context(CDK_JSON), builtin_cloud_formation_validation=False)
        stack = cdk.Stack(app, "Delivery", env=env())
        ServicePipeline(
            stack,
            "Pipeline",
            connection_arn=CONNECTION,
            repository="acme/orders",
            stages=[
                DeploymentStage(
                    name,
                    env(ACCOUNTS[name]),
                    "prod" if name == "Prod" else "dev",
                    verify_commands=('curl -fsS "$API_URL/health"',),
                )
                for name in names
            ],
            build_stage=ServiceBuilder(asset_dir, {}),
        )
        variants[variant] = Template.from_stack(stack).to_json()["Resources"]
    return variants


def published_assets(resources: dict[str, Any]) -> dict[str, set[str]]:
    """The asset hashes each asset-publishing project publishes, by its logical id."""
    published: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::CodeBuild::Project" and "Assets" in logical_id:
            spec = json.loads(resource["Properties"]["Source"]["BuildSpec"])
            published[logical_id] = {
                command.rsplit(" ", 1)[-1].strip('"').split(":")[0]
                for command in spec["phases"]["build"]["commands"]
            }
    return published


def test_logical_ids_stay_when_a_stage_is_added_or_removed(stage_variants):
    """Every resource of a stage is named after the stage (and its step); adding a stage, first
    or in the middle, or removing one leaves every other logical id, and each asset project
    keeps publishing the same assets."""

    def ids(resources: dict[str, Any], stage: str) -> dict[str, str]:
        own = f"PipelineCodePipeline{stage}"
        return {k: r["Type"] for k, r in resources.items() if not k.startswith(own)}

    base = stage_variants["base"]
    assert {k for k in base if k.startswith("PipelineCodePipelineDev")} == {
        "PipelineCodePipelineDevReview5FAF5468",
        "PipelineCodePipelineDevReviewRole09C7DF29",
        "PipelineCodePipelineDevReviewRoleDefaultPolicyAC644692",
        "PipelineCodePipelineDevVerify8E2842C1",
        "PipelineCodePipelineDevVerifyRole78B2907B",
        "PipelineCodePipelineDevVerifyRoleDefaultPolicy05037561",
    }
    assert [len(hashes) for hashes in published_assets(base).values()] == [1, 1]  # image, file
    for variant, stage in [("added", "QA"), ("added first", "QA"), ("removed", "Dev")]:
        resources = stage_variants[variant]
        assert any(k.startswith(f"PipelineCodePipeline{stage}") for k in {*resources, *base})
        assert ids(resources, stage) == ids(base, stage), variant
        assert published_assets(resources) == published_assets(base), variant
