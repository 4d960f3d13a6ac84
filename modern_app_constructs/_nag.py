"""Acknowledging cdk-nag findings next to the construct that causes them.

cdk-nag 3 reads acknowledgments recorded with ``Validations.of(construct).acknowledge``. Each
acknowledgment names one rule (optionally one granular finding of it) and carries the reason a
reviewer reads. :func:`acknowledge` is public (``modern_app_constructs.acknowledge``): the
library uses it for the findings its own constructs cause, users for theirs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from constructs import IConstruct

from ._validation import InvalidPropError

__all__ = ["acknowledge", "logical_id_ref"]

# cdk-nag rule ids: "<pack>-<rule>", e.g. AwsSolutions-IAM5, Serverless-LambdaDLQ,
# NIST.800.53.R5-IAMNoInlinePolicy, HIPAA.Security-LambdaConcurrency, PCI.DSS.321-S3...
_RULE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9.]*-[A-Za-z0-9]+$")
_OWNER = "acknowledge()"


def acknowledge(
    construct: IConstruct, rule: str, reason: str, *, findings: Sequence[str] = ()
) -> None:
    """Acknowledge a cdk-nag finding on ``construct`` (and everything beneath it), with a reason.

    Use it for a finding you have reviewed and accept; the reason is what a reviewer reads in
    the validation report. Acknowledge on the construct that causes the finding, as narrowly
    as you can (one granular finding rather than the whole rule where cdk-nag reports them).

    Example::

        acknowledge(
            service.load_balancer,
            "AwsSolutions-ELB2",
            "Access logs go to the organisation's central log account via a Firehose.",
        )

    Args:
        construct: the construct that owns the finding.
        rule: the rule id, e.g. ``AwsSolutions-IAM5`` or ``Serverless-LambdaDLQ``.
        reason: why the finding is acceptable; shown in the validation report.
        findings: granular finding ids of the rule, e.g. ``Resource::*``; when given, only
            those findings of the rule are acknowledged. Default: the whole rule.

    Raises:
        InvalidPropError: ``rule`` is not a cdk-nag rule id (``<pack>-<rule>``, without a
            ``[finding]`` suffix: pass that through ``findings``), ``reason`` is empty, or
            ``findings`` is not a sequence of non-empty finding ids.
    """
    _check(rule, reason, findings)
    ids = [f"{rule}[{finding}]" for finding in findings] if findings else [rule]
    validations = cdk.Validations.of(construct)
    for rule_id in ids:
        validations.acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def _check(rule: object, reason: object, findings: object) -> None:
    if not isinstance(rule, str) or not _RULE_ID.match(rule):
        hint = ""
        if isinstance(rule, str) and "[" in rule:
            hint = " (pass a granular finding such as 'Resource::*' through findings=)"
        raise InvalidPropError(
            _OWNER,
            "rule",
            rule,
            f"allowed: a cdk-nag rule id '<pack>-<rule>', e.g. 'AwsSolutions-IAM5'{hint}",
        )
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidPropError(
            _OWNER, "reason", reason, "allowed: a non-empty reason a reviewer can read"
        )
    if isinstance(findings, str) or not isinstance(findings, Sequence):
        raise InvalidPropError(
            _OWNER,
            "findings",
            findings,
            "allowed: a sequence of finding ids, e.g. ['Resource::*'] (not a single string)",
        )
    bad = [f for f in findings if not isinstance(f, str) or not f.strip() or "]" in f]
    if bad:
        raise InvalidPropError(
            _OWNER,
            "findings",
            list(findings),
            f"allowed: non-empty finding ids such as 'Resource::*'; rejected: {bad!r}",
        )


def logical_id_ref(resource: cdk.CfnElement, attribute: str = "Arn") -> str:
    """The ``<LogicalId.Attribute>`` form cdk-nag uses for a resource in granular findings."""
    stack = cdk.Stack.of(resource)
    logical_id = stack.resolve(stack.get_logical_id(resource))
    return f"<{logical_id}.{attribute}>"
