"""DeploymentStage: one environment a ServicePipeline deploys to, and the stage function's type."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk

from ._typecheck import check_field_types
from ._validation import InvalidPropError
from .profiles import Profile

__all__ = ["DeploymentStage", "StageBuilder", "StageOutputs"]

_STAGE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,63}$")
_ACCOUNT = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
#: Names CDK Pipelines gives its own pipeline stages, and ids of the pipeline's children.
_RESERVED_STAGE_NAMES = frozenset({"source", "build", "updatepipeline", "assets", "codepipeline"})
_MIN_WAIVER_REASON = 20


@dataclass(frozen=True)
class DeploymentStage:
    """One environment the pipeline deploys the service to, in the order given.

    A stage whose profile requires approval (:attr:`Profile.requires_approval`: ``"prod"``, and
    a custom :class:`Profile` unless it says otherwise) waits for a manual approval before it
    deploys. Turning that off takes ``approval=False`` *and* an ``approval_waiver_reason``: a
    bare off switch is rejected, and the reason is written into the pipeline template's
    metadata for whoever audits it.

    Attributes:
        name: the stage's name: a letter, then letters, digits and hyphens (at most 64). It
            names the pipeline stage and prefixes the stage's stack names (``Dev-Orders``).
        env: the account and region the stage deploys to. The region is required and is the
            pipeline's own (one pipeline per region). The account may be left out only when
            every stage deploys to the pipeline's own account.
        profile: ``"dev"``, ``"prod"`` or a custom :class:`Profile`. Its name becomes the
            ``profile`` context value inside the stage, so constructs there deploy the way the
            profile says (dev all at once, prod by canary), and its ``requires_approval``
            decides the approval default.
            Constructs without a platform environment read only the built-in ``dev`` and
            ``prod`` from the context: a custom profile reaches them through their platform.
        verify_commands: shell commands run after the stage deployed (a CodeBuild step in the
            pipeline's account); the outputs the stage function returns are in their
            environment, e.g. ``('curl -fsS "$API_URL/health"',)``. A failing command stops the
            pipeline before the next stage. Default: no verification.
        approval: a manual approval before the stage deploys. Default: the profile's
            ``requires_approval`` (on for ``prod``, off for ``dev``); ``True`` adds one to any
            stage.
        approval_waiver_reason: why a stage whose profile requires approval deploys without
            one; required with ``approval=False`` on such a stage (at least 20 characters),
            rejected anywhere else. Default: none.
    """

    name: str
    env: cdk.Environment
    profile: str | Profile
    verify_commands: Sequence[str] = ()
    approval: bool | None = None
    approval_waiver_reason: str | None = None

    def __post_init__(self) -> None:
        check_field_types(self)
        owner = f"DeploymentStage {self.name!r}"
        if not _STAGE_NAME.match(self.name):
            raise InvalidPropError(
                owner,
                "name",
                self.name,
                "allowed: a letter, then letters, digits and hyphens (at most 64 characters)",
            )
        if self.name.lower() in _RESERVED_STAGE_NAMES:
            raise InvalidPropError(
                owner,
                "name",
                self.name,
                "allowed: any name but Source, Build, UpdatePipeline, Assets and CodePipeline "
                "(CDK Pipelines uses them)",
            )
        region = self.env.region
        if region is None or cdk.Token.is_unresolved(region) or not _REGION.match(region):
            raise InvalidPropError(
                owner,
                "env.region",
                region,
                "allowed: a region name such as 'eu-west-1' (a pipeline deploys each stage to a "
                "known region)",
            )
        account = self.env.account
        if account is not None and (
            cdk.Token.is_unresolved(account) or not _ACCOUNT.match(account)
        ):
            raise InvalidPropError(
                owner,
                "env.account",
                account,
                "allowed: a 12-digit account id, or None for the pipeline's own account",
            )
        if isinstance(self.profile, str) and self.profile not in ("dev", "prod"):
            raise InvalidPropError(
                owner, "profile", self.profile, "allowed: 'dev', 'prod' or a Profile instance"
            )
        if not all(command.strip() for command in self.verify_commands):
            raise InvalidPropError(
                owner,
                "verify_commands",
                self.verify_commands,
                "allowed: a sequence of non-empty shell commands",
            )
        self._check_approval(owner)

    def _check_approval(self, owner: str) -> None:
        reason = self.approval_waiver_reason
        if self.approval_waived:
            if not isinstance(reason, str) or len(reason.strip()) < _MIN_WAIVER_REASON:
                raise InvalidPropError(
                    owner,
                    "approval",
                    False,
                    f"profile {self.resolved_profile.name!r} requires a manual approval before "
                    "the stage deploys; to turn it off, say why in approval_waiver_reason (at "
                    f"least {_MIN_WAIVER_REASON} characters)",
                )
        elif reason is not None:
            raise InvalidPropError(
                owner,
                "approval_waiver_reason",
                reason,
                "allowed only with approval=False on a stage whose profile requires approval "
                "(it waives nothing here)",
            )

    @property
    def resolved_profile(self) -> Profile:
        """The stage's :class:`Profile` (a name resolved to the built-in profile)."""
        return self.profile if isinstance(self.profile, Profile) else Profile.named(self.profile)

    @property
    def approval_waived(self) -> bool:
        """Whether ``approval=False`` turns off the approval the stage's profile requires."""
        return self.approval is False and self.resolved_profile.requires_approval

    @property
    def requires_approval(self) -> bool:
        """Whether a manual approval runs before the stage deploys."""
        if self.approval is not None:
            return self.approval
        return self.resolved_profile.requires_approval


#: What a stage function returns: environment variable name -> stack output, for the stage's
#: verification commands.
StageOutputs = Mapping[str, cdk.CfnOutput]
#: The function that builds the service's stacks into a stage: ``(stage, spec) -> outputs``.
StageBuilder = Callable[[cdk.Stage, DeploymentStage], StageOutputs | None]
