"""ServicePipeline: a service's delivery pipeline on CDK Pipelines.

source -> tests and synth (the repository's own gates) -> self-update -> assets -> each stage in
order (verified where asked, a manual approval where the profile requires one).
"""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping, Sequence
from typing import TypeVar

import aws_cdk as cdk
import jsii
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_codestarnotifications as notifications
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import pipelines
from constructs import Construct

from ._kms import deny_direct_grants
from ._logs import create_log_group
from ._pipeline_nag import acknowledge_pipeline_findings
from ._pipeline_review import lazy, review_key, review_step, review_url
from ._platform import IPlatformEnvironment, resolve_platform
from ._typecheck import check_prop_types
from ._validation import InvalidPropError, InvalidPropTypeError, implements
from ._version import __version__
from ._warnings import warn
from .deployment_stage import DeploymentStage, StageBuilder, StageOutputs
from .profiles import PROFILE_CONTEXT_KEY

__all__ = ["ServicePipeline"]

#: The directory ``npx cdk synth --output`` writes and the pipeline deploys from.
CLOUD_ASSEMBLY_DIR = "cdk.out"
#: Days after which the artifact bucket expires an execution's artifacts.
ARTIFACT_EXPIRY_DAYS = 30

_CONNECTION_ARN = re.compile(
    r"^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z]{2}(-[a-z]+)+-\d+:\d{12}:"
    r"connection/[A-Za-z0-9-]+$"
)
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){1,22}$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@jsii.implements(notifications.INotificationRuleTarget)
class _PlatformTopicTarget:
    """The platform's alarm topic as a notification target, leaving its policies alone.

    ``sns.Topic`` as a target would add its own publish statement to the topic's policy (in the
    platform's stack, unconditioned) and does nothing for an attached topic; the platform
    publishes the statements CodeStar Notifications needs instead.
    """

    def __init__(self, topic_arn: str) -> None:
        self._topic_arn = topic_arn

    def bind_as_notification_rule_target(
        self, _scope: Construct
    ) -> notifications.NotificationRuleTargetConfig:
        return notifications.NotificationRuleTargetConfig(
            target_type="SNS", target_address=self._topic_arn
        )


class ServicePipeline(Construct):
    """A service's delivery pipeline: tests and gates, then each stage in order, on CDK Pipelines.

    Every change goes the same way: the source (a CodeConnections repository, or any
    ``pipelines.CodePipelineSource``) -> **Build** runs the repository's test command and then
    ``npx cdk synth`` with the CDK CLI the repository pins (so snapshot, cdk-nag and cfn-lint
    gates stop a bad change before anything deploys) -> **UpdatePipeline** (the pipeline updates
    itself first) -> **Assets** (Lambda code and container images are published, on ARM64 build
    hosts like the library's tasks; the CodeBuild projects that build container images run
    privileged, CDK Pipelines does that on its own)
    -> each :class:`DeploymentStage` in order, with its verification commands after it and a
    manual approval before any stage whose profile requires one
    (:attr:`Profile.requires_approval`).

    The service's stacks are built into each stage by ``build_stage(stage, spec)``, a function
    of the app: it gets the ``cdk.Stage`` (the stage's account, region and ``profile`` context
    are already set) and the :class:`DeploymentStage`, adds the service's stacks to the stage,
    and returns the stack outputs its verification commands need, as environment variable name
    -> ``cdk.CfnOutput`` (or ``None``).

    Artifacts are encrypted with a customer-managed KMS key with rotation, in every case: CDK
    Pipelines' ``cross_account_keys`` is what creates that key, so it is always on; when stages
    are in other accounts, the key and bucket policies grant those accounts' deployment roles.
    Only AWS services may create grants on the key (CT.KMS.PR.3), and artifacts expire after
    30 days. Build logs go to a log group with the platform's retention and key. Pipeline failures
    notify the platform's alarm topic through a CodeStar Notifications rule; the platform
    publishes the topic and key policy statements that lets CodeStar Notifications deliver
    (``PlatformEnvironment`` does). Standalone (no platform environment) there is no rule.

    The pipeline is built in the constructor (``pipeline.build_pipeline()``): add stages
    through ``stages=``, not ``pipeline.add_stage`` afterwards.

    Each account a stage deploys to must be bootstrapped to trust the pipeline's account
    (``cdk bootstrap --trust <pipeline account> ...``); see docs/operations.md, "Shipping a
    service".

    Args:
        scope: the parent construct, in the pipeline's stack: a stack with a concrete region
            (and account, for stages in other accounts), in the tooling account.
        construct_id: the construct id.
        stages: the stages, deployed in this order. At least one, names unique
            (case-insensitively).
        build_stage: builds the service's stacks into a stage (see above).
        connection_arn: the CodeConnections (or CodeStar Connections) connection ARN, e.g.
            ``arn:aws:codeconnections:eu-west-1:111111111111:connection/<id>``. Together with
            ``repository``; exactly one of this and ``source``.
        repository: ``owner/repo`` (GitLab: ``group/subgroup/repo``) of the connection.
        branch: the branch whose pushes start the pipeline. Default: ``main``.
        source: any other source, e.g. ``pipelines.CodePipelineSource.s3(bucket, key)`` or
            ``.code_commit(repository, branch)``. Exactly one of this and ``connection_arn``.
        test_command: the repository's test command, run before synthesis; a failure stops
            the pipeline. Default: ``make test``.
        install_commands: run before the tests: install the toolchain the tests and
            ``npx cdk`` need. Default: ``npm ci`` (the CDK CLI the repository's
            ``package.json`` pins).
        docker_enabled_for_synth: run the Build step privileged, for apps whose synthesis
            bundles assets in Docker (e.g. ``aws_lambda_nodejs``). Container *images* do not
            need it: they are built when assets are published. Default: ``False``.
        notification_events: the pipeline events sent to the alarm topic. Default: a failed
            pipeline execution.
        pipeline_name: the CodePipeline pipeline's name. Default: generated.
        code_build_defaults: options for every CodeBuild project (build image, VPC, timeout);
            ``logging`` is owned by the construct and rejected. Default: CDK Pipelines'.
        asset_publishing_code_build_defaults: options for the projects that publish assets
            (``logging`` rejected). Default: an ARM64 build image (Amazon Linux 2023), so the
            ARM64 images of ``FargateService`` and ``WorkerConsumer.container`` build natively;
            pass an x86 ``build_environment`` for x86 images.
        platform: the :class:`IPlatformEnvironment` of the pipeline's own account and region
            (alarm topic, key, log retention, tags). Default: the app's platform environment,
            looked up before the stages are built; standalone otherwise. Pass it explicitly
            when the app holds several (e.g. ``PlatformEnvironment.from_published(...)`` in the
            pipeline's stack).
        review_install_commands: install the library with its ``review`` extra in each stage's
            Review step. Default: ``pip install 'modern-app-constructs[review]==<the version
            that synthesized the pipeline>'``.
        review_accept_file: the accept file of deliberate changes (a path in the repository,
            e.g. ``review-accept.toml``) the Review steps pass to ``review --accept``.
            Default: none (every blocking change stops the pipeline).

    Before each stage a **Review** step (CodeBuild, in the pipeline's account) reads the
    templates deployed in the stage with the stage's CDK bootstrap lookup role
    (``cdk-hnb659fds-lookup-role-<account>-<region>``, read-only; the only role the step may
    assume), runs ``python -m modern_app_constructs review`` of the synthesized stage against
    them (a stack not deployed yet reviews against nothing) and ``cost`` of the stage, writes
    both as markdown to the artifact bucket (``reviews/<stage>/change-review.md``) and its build
    log, and fails on a blocking change the accept file does not name: the stage does not
    deploy. A stage's manual approval waits for its review and links to it (review URL and
    comment).

    Attributes:
        pipeline: the CDK Pipelines ``CodePipeline`` (built).
        code_pipeline: the underlying ``codepipeline.Pipeline``.
        synth_step: the Build step (tests, then ``npx cdk synth``).
        stages: the ``cdk.Stage`` of each stage, by name, in order.
        deployments: the ``pipelines.StageDeployment`` of each stage, by name.
        review_steps: the Review step of each stage, by name.
        artifact_bucket: the artifact bucket.
        artifact_key: the customer-managed key (rotation on) that encrypts it.
        build_log_group: the log group of every CodeBuild project of the pipeline.
        notification_rule: the rule sending failures to the alarm topic; ``None`` standalone.
        cross_account: whether a stage deploys to an account other than the pipeline's.
    """

    @check_prop_types
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stages: Sequence[DeploymentStage],
        build_stage: StageBuilder,
        connection_arn: str | None = None,
        repository: str | None = None,
        branch: str = "main",
        source: pipelines.CodePipelineSource | None = None,
        test_command: str = "make test",
        install_commands: Sequence[str] = ("npm ci",),
        docker_enabled_for_synth: bool = False,
        notification_events: Sequence[codepipeline.PipelineNotificationEvents] = (
            codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
        ),
        pipeline_name: str | None = None,
        code_build_defaults: pipelines.CodeBuildOptions | None = None,
        asset_publishing_code_build_defaults: pipelines.CodeBuildOptions | None = None,
        platform: IPlatformEnvironment | None = None,
        review_install_commands: Sequence[str] | None = None,
        review_accept_file: str | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        owner = f"ServicePipeline '{construct_id}'"
        # validate
        self._check_stages(owner, stages)
        self._check_source(owner, connection_arn, repository, branch, source)
        self._check_commands(owner, test_command, install_commands)
        self._review_install_commands: tuple[str, ...] = tuple(
            review_install_commands
            if review_install_commands is not None
            else (f"python -m pip install --quiet 'modern-app-constructs[review]=={__version__}'",)
        )
        if not self._review_install_commands or not all(
            command.strip() for command in self._review_install_commands
        ):
            raise InvalidPropError(
                owner,
                "review_install_commands",
                review_install_commands,
                "allowed: a non-empty sequence of non-empty shell commands that install the "
                "library with its review extra",
            )
        if review_accept_file is not None and (
            not review_accept_file.strip() or review_accept_file.startswith("/")
        ):
            raise InvalidPropError(
                owner,
                "review_accept_file",
                review_accept_file,
                "allowed: a path relative to the repository root (e.g. 'review-accept.toml')",
            )
        self._review_accept_file = review_accept_file
        if not notification_events:
            raise InvalidPropError(
                owner, "notification_events", notification_events, "allowed: at least one event"
            )
        for prop, options in (
            ("code_build_defaults", code_build_defaults),
            ("asset_publishing_code_build_defaults", asset_publishing_code_build_defaults),
        ):
            self._check_code_build_options(owner, prop, options)
        self._check_regions(owner, stages)
        pipeline_account = cdk.Stack.of(self).account
        accounts = self._resolve_accounts(owner, stages, pipeline_account)
        self._check_order_and_targets(owner, stages)
        self.cross_account: bool = any(
            account not in (None, pipeline_account) for account in accounts
        )

        # resolve defaults (before the stages exist, so their environments are not candidates)
        env = resolve_platform(self, platform)

        # create children
        self.build_log_group: logs.LogGroup = create_log_group(self, "BuildLogs", platform=env)
        self._source_files = self._source(connection_arn, repository, branch, source)
        self.synth_step: pipelines.ShellStep = pipelines.ShellStep(
            "Synth",
            input=self._source_files,
            install_commands=list(install_commands),
            commands=[test_command, f"npx cdk synth --output {CLOUD_ASSEMBLY_DIR}"],
            primary_output_directory=CLOUD_ASSEMBLY_DIR,
        )
        self.pipeline: pipelines.CodePipeline = pipelines.CodePipeline(
            self,
            "CodePipeline",
            synth=self.synth_step,
            pipeline_name=pipeline_name,
            self_mutation=True,
            cross_account_keys=True,
            enable_key_rotation=True,
            docker_enabled_for_synth=docker_enabled_for_synth,
            docker_enabled_for_self_mutation=False,
            code_build_defaults=self._code_build_defaults(code_build_defaults),
            asset_publishing_code_build_defaults=(
                asset_publishing_code_build_defaults or _native_arm64_image_builds()
            ),
        )
        self.stages: dict[str, cdk.Stage] = {}
        self.deployments: dict[str, pipelines.StageDeployment] = {}
        self.review_steps: dict[str, pipelines.CodeBuildStep] = {}
        for spec, account in zip(stages, accounts, strict=True):
            self._add_stage(owner, spec, account, build_stage)
        self.pipeline.build_pipeline()

        # wire
        self.code_pipeline: codepipeline.Pipeline = self.pipeline.pipeline
        self.artifact_bucket: s3.IBucket = self.code_pipeline.artifact_bucket
        key = self.artifact_bucket.encryption_key
        assert key is not None  # cross_account_keys=True creates it
        self.artifact_key: kms.IKey = key
        self._harden_artifact_store()
        self._record_waivers(stages)
        self._render_execution_roles_as_sub()
        self.notification_rule: notifications.INotificationRule | None = None
        if env.alarm_topic is None:
            warn(
                self,
                "alarms-without-actions",
                "Pipeline failures notify nobody: no platform environment was given or found, so "
                "there is no alarm topic. Pass platform= (PlatformEnvironment or from_published), "
                "or add a notification rule yourself (code_pipeline.notify_on).",
            )
        else:
            self.notification_rule = self.code_pipeline.notify_on(
                "FailureNotifications",
                _PlatformTopicTarget(env.alarm_topic.topic_arn),
                events=list(notification_events),
                detail_type=notifications.DetailType.FULL,
            )
            # the topic policy must exist before the rule is validated against it
            self.notification_rule.node.add_dependency(env.alarm_topic)

        # expose
        acknowledge_pipeline_findings(self.pipeline, self.artifact_bucket, self.artifact_key)
        env.apply_tags(self)  # tags do not cross into the stages: their stacks have their own

    def _harden_artifact_store(self) -> None:
        """Grants on the artifact key for AWS resources only; artifacts expire after 30 days.

        The key is used by CodePipeline, CodeBuild and the stages' deployment roles through the
        key policy (encrypt/decrypt); none creates a grant, so a direct ``kms:CreateGrant`` is
        denied as on the platform key (CT.KMS.PR.3). Every execution writes its artifacts under
        new keys and reads only its own: an artifact older than the approval timeout (7 days)
        can no longer be used, so they expire after 30 days (incomplete uploads after one).
        """
        deny_direct_grants(self.artifact_key)
        bucket = self.artifact_bucket.node.default_child
        assert isinstance(bucket, s3.CfnBucket)
        bucket.lifecycle_configuration = s3.CfnBucket.LifecycleConfigurationProperty(
            rules=[
                s3.CfnBucket.RuleProperty(
                    id="ExpireArtifacts",
                    status="Enabled",
                    expiration_in_days=ARTIFACT_EXPIRY_DAYS,
                    abort_incomplete_multipart_upload=s3.CfnBucket.AbortIncompleteMultipartUploadProperty(
                        days_after_initiation=1
                    ),
                )
            ]
        )

    # -------------------------------------------------------------- validation

    @staticmethod
    def _check_stages(owner: str, stages: Sequence[DeploymentStage]) -> None:
        if not stages:
            raise InvalidPropError(
                owner, "stages", stages, "allowed: a non-empty sequence of DeploymentStage"
            )
        seen: dict[str, str] = {}
        for index, spec in enumerate(stages):
            folded = spec.name.lower()
            if folded in seen:
                raise InvalidPropError(
                    owner,
                    f"stages[{index}].name",
                    spec.name,
                    f"stage names must be unique (case-insensitively); {seen[folded]!r} is "
                    "already a stage",
                )
            seen[folded] = spec.name

    @staticmethod
    def _check_source(
        owner: str,
        connection_arn: str | None,
        repository: str | None,
        branch: str,
        source: pipelines.CodePipelineSource | None,
    ) -> None:
        if source is not None:
            if connection_arn is not None or repository is not None:
                raise InvalidPropError(
                    owner,
                    "source",
                    source,
                    "give either source= or connection_arn= with repository=, not both",
                )
            return
        if connection_arn is None:
            raise InvalidPropError(
                owner,
                "connection_arn",
                None,
                "a source is required: connection_arn= with repository= (GitHub, GitLab, "
                "Bitbucket through CodeConnections), or source= (S3, CodeCommit)",
            )
        if not cdk.Token.is_unresolved(connection_arn) and not _CONNECTION_ARN.match(
            connection_arn
        ):
            raise InvalidPropError(
                owner,
                "connection_arn",
                connection_arn,
                "allowed: arn:<partition>:codeconnections|codestar-connections:<region>:"
                "<account>:connection/<id>",
            )
        if not isinstance(repository, str) or not _REPOSITORY.match(repository):
            raise InvalidPropError(
                owner,
                "repository",
                repository,
                "allowed: 'owner/repo' (GitLab groups: 'group/subgroup/repo') with connection_arn",
            )
        if not branch.strip() or cdk.Token.is_unresolved(branch):
            raise InvalidPropError(owner, "branch", branch, "allowed: a branch name")

    @staticmethod
    def _check_commands(owner: str, test_command: str, install_commands: Sequence[str]) -> None:
        if not test_command.strip():
            raise InvalidPropError(
                owner, "test_command", test_command, "allowed: a non-empty shell command"
            )
        if not all(command.strip() for command in install_commands):
            raise InvalidPropError(
                owner,
                "install_commands",
                install_commands,
                "allowed: a sequence of non-empty shell commands",
            )

    def _check_regions(self, owner: str, stages: Sequence[DeploymentStage]) -> None:
        stack = cdk.Stack.of(self)
        region = stack.region
        if cdk.Token.is_unresolved(region):
            raise InvalidPropError(
                owner,
                "scope",
                f"stack {stack.node.path!r} without a region",
                "allowed: a stack with a concrete region (cdk.Stack(..., env=cdk.Environment("
                "account=..., region=...))): CDK Pipelines deploys the stages from a known region",
            )
        for index, spec in enumerate(stages):
            if spec.env.region != region:
                raise InvalidPropError(
                    owner,
                    f"stages[{index}].env.region",
                    spec.env.region,
                    f"allowed: {region!r}, the pipeline's region (one pipeline per region: "
                    "CDK Pipelines' cross-region replication stacks are not supported)",
                )

    @staticmethod
    def _check_code_build_options(
        owner: str, prop: str, options: pipelines.CodeBuildOptions | None
    ) -> None:
        if options is None:
            return
        if options.logging is not None:
            raise InvalidPropError(
                owner,
                prop,
                "logging=...",
                "logging is owned by the construct (the platform's retention and key)",
            )

    @staticmethod
    def _check_order_and_targets(owner: str, stages: Sequence[DeploymentStage]) -> None:
        """Production after every pre-production stage; one stage per named account and region.

        Stages that leave the account out all deploy to the pipeline's own account (an
        account-agnostic, single-account pipeline): that mode is deliberate and stays allowed.
        """
        first_production: DeploymentStage | None = None
        targets: dict[tuple[str, str | None], str] = {}
        for index, spec in enumerate(stages):
            production = spec.resolved_profile.requires_approval
            if production and first_production is None:
                first_production = spec
            elif not production and first_production is not None:
                raise InvalidPropError(
                    owner,
                    f"stages[{index}]",
                    spec.name,
                    f"allowed: every pre-production stage before the production ones; "
                    f"{spec.name!r} (profile {spec.resolved_profile.name!r}) comes after "
                    f"{first_production.name!r} (profile "
                    f"{first_production.resolved_profile.name!r}), so a change would reach "
                    "production before it was verified",
                )
            if spec.env.account is None:
                continue
            target = (spec.env.account, spec.env.region)
            if target in targets:
                where = f"{spec.env.account}, {spec.env.region}"
                raise InvalidPropError(
                    owner,
                    f"stages[{index}].env",
                    where,
                    f"allowed: one stage per account and region; {targets[target]!r} already "
                    f"deploys to {where} (each stage is an isolation boundary: a "
                    "pre-production stage in the same account shares production's quotas, "
                    "permissions and blast radius)",
                )
            targets[target] = spec.name

    @staticmethod
    def _check_stage_environments(owner: str, spec: DeploymentStage, stage: cdk.Stage) -> None:
        """A stage's profile matches every platform environment built or attached in it."""
        expected = spec.resolved_profile.name
        for construct in stage.node.find_all():
            if not implements(construct, IPlatformEnvironment):
                continue
            found = typing.cast(IPlatformEnvironment, construct).profile.name
            if found != expected:
                raise InvalidPropError(
                    owner,
                    f"stages[{spec.name!r}].profile",
                    expected,
                    f"allowed: {found!r}, the profile of the platform environment "
                    f"{construct.node.path} that the stage attaches to (a {expected} stage on a "
                    f"{found} environment would deploy the service the wrong way)",
                )

    @staticmethod
    def _resolve_accounts(
        owner: str, stages: Sequence[DeploymentStage], pipeline_account: str
    ) -> list[str | None]:
        """Each stage's account; ``None`` is the pipeline's own, when that is not known."""
        named = [spec.env.account for spec in stages]
        if cdk.Token.is_unresolved(pipeline_account):
            for index, account in enumerate(named):
                if account is not None:
                    raise InvalidPropError(
                        owner,
                        f"stages[{index}].env.account",
                        account,
                        "a stage in a named account needs the pipeline's stack in a named "
                        "account too (Stack(env=cdk.Environment(account=..., region=...))); "
                        "leave the account out to deploy to the pipeline's own account",
                    )
            return [None] * len(stages)
        if any(account not in (None, pipeline_account) for account in named):
            for index, account in enumerate(named):
                if account is None:
                    raise InvalidPropError(
                        owner,
                        f"stages[{index}].env.account",
                        None,
                        "the stages span accounts, so each names its account (a stage without "
                        f"one would deploy to the pipeline's account, {pipeline_account})",
                    )
        return [account or pipeline_account for account in named]

    # ---------------------------------------------------------------- builders

    @staticmethod
    def _source(
        connection_arn: str | None,
        repository: str | None,
        branch: str,
        source: pipelines.CodePipelineSource | None,
    ) -> pipelines.CodePipelineSource:
        if source is not None:
            return source
        assert connection_arn is not None  # _check_source
        assert repository is not None
        return pipelines.CodePipelineSource.connection(
            repository, branch, connection_arn=connection_arn, trigger_on_push=True
        )

    def _code_build_defaults(
        self, given: pipelines.CodeBuildOptions | None
    ) -> pipelines.CodeBuildOptions:
        logging = codebuild.LoggingOptions(
            cloud_watch=codebuild.CloudWatchLoggingOptions(log_group=self.build_log_group)
        )
        return _with_fields(given or pipelines.CodeBuildOptions(), logging=logging)

    def _add_stage(
        self, owner: str, spec: DeploymentStage, account: str | None, build_stage: StageBuilder
    ) -> None:
        stage = cdk.Stage(
            self, spec.name, env=cdk.Environment(account=account, region=spec.env.region)
        )
        # before any child exists: every construct in the stage reads its profile from here
        stage.node.set_context(PROFILE_CONTEXT_KEY, spec.resolved_profile.name)
        outputs = build_stage(stage, spec)
        self._check_outputs(owner, spec, stage, outputs)
        self._check_stage_environments(owner, spec, stage)
        # CDK Pipelines creates the bucket in build_pipeline(), before the steps' projects
        bucket_name = lazy(lambda: self._artifact_bucket().bucket_name)
        review = review_step(
            stage_name=spec.name,
            stage=stage,
            account=account,
            source=self._source_files,
            synth=self.synth_step,
            install_commands=self._review_install_commands,
            accept_file=self._review_accept_file,
            bucket_arn=lazy(lambda: self._artifact_bucket().bucket_arn),
            bucket_name=bucket_name,
            key_arn=lazy(lambda: self._artifact_key().key_arn),
        )
        self.review_steps[spec.name] = review
        pre: list[pipelines.Step] = [review]
        if spec.requires_approval:
            approve = pipelines.ManualApprovalStep(
                "Approve",
                comment=f"Deploy this change to {spec.name} "
                f"({account or 'the pipeline account'}, {spec.env.region})? Read its change "
                "review first (what it replaces, deletes, widens and costs; an unaccepted "
                f"blocking change stops the pipeline before this approval): "
                f"s3://{bucket_name}/{review_key(spec.name)}, also in the Review action's log.",
                review_url=review_url(bucket_name, spec.env.region or "", spec.name),
            )
            approve.add_step_dependency(review)
            pre.append(approve)
        post: list[pipelines.Step] = []
        if spec.verify_commands:
            post.append(
                pipelines.ShellStep(
                    "Verify",
                    env_from_cfn_outputs=dict(outputs or {}),
                    commands=list(spec.verify_commands),
                )
            )
        self.stages[spec.name] = stage
        self.deployments[spec.name] = self.pipeline.add_stage(stage, pre=pre, post=post)

    def _artifact_bucket(self) -> s3.IBucket:
        return self.pipeline.pipeline.artifact_bucket

    def _artifact_key(self) -> kms.IKey:
        key = self._artifact_bucket().encryption_key
        assert key is not None  # cross_account_keys=True creates it
        return key

    @staticmethod
    def _check_outputs(
        owner: str, spec: DeploymentStage, stage: cdk.Stage, outputs: StageOutputs | None
    ) -> None:
        if not any(isinstance(child, cdk.Stack) for child in stage.node.find_all()):
            raise InvalidPropError(
                owner,
                "build_stage",
                f"stage {spec.name!r} without stacks",
                "allowed: a function that adds the service's stacks to the stage it is given",
            )
        if outputs is None:
            return
        if not isinstance(outputs, Mapping):
            raise InvalidPropTypeError(
                owner,
                "build_stage",
                outputs,
                "expected it to return None or a mapping of environment variable name -> "
                f"cdk.CfnOutput, got {type(outputs).__name__}",
            )
        for name, output in outputs.items():
            if not isinstance(name, str) or not _ENV_VAR.match(name):
                raise InvalidPropError(
                    owner,
                    f"build_stage() outputs of stage {spec.name!r}",
                    name,
                    "allowed: environment variable names (letters, digits, _)",
                )
            if not isinstance(output, cdk.CfnOutput):
                raise InvalidPropTypeError(
                    owner,
                    f"build_stage() outputs[{name!r}] of stage {spec.name!r}",
                    output,
                    f"expected a cdk.CfnOutput of a stack in the stage, got "
                    f"{type(output).__name__}",
                )

    def _record_waivers(self, stages: Sequence[DeploymentStage]) -> None:
        waivers = {
            spec.name: spec.approval_waiver_reason for spec in stages if spec.approval_waived
        }
        if waivers:
            cfn = self.code_pipeline.node.default_child
            assert isinstance(cfn, cdk.CfnResource)
            cfn.add_metadata("modern-app-constructs:approvalWaivers", waivers)

    def _render_execution_roles_as_sub(self) -> None:
        """Write each CloudFormation action's execution role ARN with ``Fn::Sub``.

        CDK Pipelines renders the bootstrap execution role's ARN as an ``Fn::Join`` over the
        partition; cfn-lint (1.x, rule E3703) reports that as an error (it relabels its I1022
        style hint, "prefer Fn::Sub"). The ``Fn::Sub`` form is the same ARN.
        """
        cfn = self.code_pipeline.node.default_child
        assert isinstance(cfn, codepipeline.CfnPipeline)
        stages = cdk.Stack.of(cfn).resolve(cfn.stages)
        for stage_index, stage in enumerate(stages):
            for action_index, action in enumerate(stage.get("actions", [])):
                role_arn = (action.get("configuration") or {}).get("RoleArn")
                template = _join_as_sub(role_arn)
                if template is not None:
                    # Edited by position because no CDK API reaches this value (aws-cdk-lib
                    # 2.275): CodePipeline.build_pipeline() creates the CloudFormation actions
                    # and imports their roles from the cloud assembly's placeholder ARN with
                    # Aws.PARTITION in a private method (roleFromPlaceholderArn); neither
                    # CodePipelineProps nor StageDeployment takes the execution role or how it
                    # is rendered, and no API returns an action's L1 configuration. The
                    # positions come from the rendered stages just above, so they are current.
                    cfn.add_property_override(
                        f"Stages.{stage_index}.Actions.{action_index}.Configuration.RoleArn",
                        {"Fn::Sub": template},
                    )


def _native_arm64_image_builds() -> pipelines.CodeBuildOptions:
    """Asset publishing on ARM64 hosts.

    The library's container tasks are ARM64; building their images on x86 would need emulation
    for every ``RUN`` step of a Dockerfile.
    """
    return pipelines.CodeBuildOptions(
        build_environment=codebuild.BuildEnvironment(
            build_image=codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0
        )
    )


_Struct = TypeVar("_Struct")


def _with_fields(struct: _Struct, **fields: object) -> _Struct:
    """A copy of the jsii struct ``struct`` with ``fields`` set and every other field as given.

    A jsii struct keeps the fields that were set in ``_values`` (what jsii serialises, compares
    and prints); copying that mapping whole keeps a field a later aws-cdk-lib adds, which
    naming the fields one by one would drop without a word.
    """
    values: dict[str, object] = dict(struct._values)  # type: ignore[attr-defined]
    return type(struct)(**{**values, **fields})


def _join_as_sub(value: object) -> str | None:
    """An ``Fn::Join`` of strings and pseudo parameters as an ``Fn::Sub`` template, else None."""
    if not isinstance(value, dict) or set(value) != {"Fn::Join"}:
        return None
    delimiter, parts = value["Fn::Join"]
    rendered: list[str] = []
    for part in parts:
        if isinstance(part, str):
            rendered.append(part.replace("${", "${!"))
        elif (
            isinstance(part, dict) and set(part) == {"Ref"} and str(part["Ref"]).startswith("AWS::")
        ):
            rendered.append(f"${{{part['Ref']}}}")
        else:
            return None
    return str(delimiter).join(rendered)
