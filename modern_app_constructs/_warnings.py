"""Warnings where a user is about to hurt themselves: CDK annotations, not errors.

They show in ``cdk synth`` output and fail ``cdk synth --strict``; each has an id
(``modern-app-constructs:<topic>``) that ``cdk.Annotations.of(construct).acknowledge_warning``
accepts once the choice is deliberate.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import aws_cdk as cdk
from constructs import IConstruct

__all__ = [
    "FLAG_LAMBDA_LAYER_VERSION",
    "FLAG_RESTRICT_DEFAULT_SG",
    "FLAG_WEAK_REFERENCES",
    "warn",
    "warn_missing_flags",
]

#: Warnings already given, per construct, so a construct says each thing once.
_GIVEN: weakref.WeakKeyDictionary[IConstruct, set[str]] = weakref.WeakKeyDictionary()


def warn(scope: IConstruct, topic: str, message: str) -> None:
    """Annotate ``scope`` with a warning (once per construct and topic)."""
    given = _GIVEN.setdefault(scope, set())
    if topic in given:
        return
    given.add(topic)
    cdk.Annotations.of(scope).add_warning_v2(f"modern-app-constructs:{topic}", message)


@dataclass(frozen=True)
class _Flag:
    """A feature flag the library's templates rely on, and what changes without it."""

    name: str
    value: bool | str
    without: str


FLAG_LAMBDA_LAYER_VERSION = _Flag(
    "@aws-cdk/aws-lambda:recognizeLayerVersion",
    True,
    "a new Powertools layer version does not publish a new function version, so it reaches "
    "the alias without a canary deployment",
)
FLAG_RESTRICT_DEFAULT_SG = _Flag(
    "@aws-cdk/aws-ec2:restrictDefaultSecurityGroup",
    True,
    "the VPC's default security group keeps its allow-all rules",
)
FLAG_WEAK_REFERENCES = _Flag(
    "@aws-cdk/core:defaultCrossStackReferences",
    "weak",
    "references to the platform stack become CloudFormation exports that block the platform "
    "stack from changing them while a service imports them (attach by name with "
    "PlatformEnvironment.from_published to avoid cross-stack references altogether)",
)


def warn_missing_flags(scope: IConstruct, *flags: _Flag) -> None:
    """Warn on ``scope`` for each of ``flags`` the app's context does not set as relied on."""
    for flag in flags:
        if isinstance(flag.value, bool):
            effective: object = cdk.FeatureFlags.of(scope).is_enabled(flag.name)
        else:
            effective = scope.node.try_get_context(flag.name)
        if effective != flag.value:
            warn(
                cdk.Stack.of(scope),
                f"feature-flag:{flag.name}",
                f"cdk.json does not set the feature flag {flag.name}={flag.value!r} that "
                f"modern-app-constructs relies on: without it, {flag.without}. Add it to the "
                "context of cdk.json (cdk init writes it for new apps).",
            )
