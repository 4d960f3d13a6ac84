"""Acknowledging cdk-nag findings next to the construct that causes them.

cdk-nag 3 reads acknowledgments recorded with ``Validations.of(construct).acknowledge``. Each
acknowledgment names one rule (optionally one granular finding of it) and carries the reason a
reviewer reads.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from constructs import IConstruct

__all__ = ["acknowledge", "logical_id_ref"]


def acknowledge(
    construct: IConstruct, rule: str, reason: str, *, findings: Sequence[str] = ()
) -> None:
    """Acknowledge a cdk-nag rule on ``construct`` (and everything beneath it).

    Args:
        construct: the construct that owns the finding.
        rule: the rule id, e.g. ``AwsSolutions-IAM5``.
        reason: why the finding is acceptable; shown in cdk-nag reports.
        findings: granular finding ids, e.g. ``Resource::*``; when given, only those findings
            of the rule are acknowledged. Default: the whole rule.
    """
    ids = [f"{rule}[{finding}]" for finding in findings] if findings else [rule]
    validations = cdk.Validations.of(construct)
    for rule_id in ids:
        validations.acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


def logical_id_ref(resource: cdk.CfnElement, attribute: str = "Arn") -> str:
    """The ``<LogicalId.Attribute>`` form cdk-nag uses for a resource in granular findings."""
    stack = cdk.Stack.of(resource)
    logical_id = stack.resolve(stack.get_logical_id(resource))
    return f"<{logical_id}.{attribute}>"
