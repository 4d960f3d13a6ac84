"""``python -m modern_app_constructs review``: what a change replaces, deletes, widens — offline.

The core is plain functions on data: two cloud assemblies (directories ``cdk synth`` wrote)
in, a :class:`Review` out. Stacks are matched by artifact id, nested assemblies (CDK Pipelines
stages) included. Per stack every resource change is classified as added, removed, replaced,
may replace or updated, where *replaced* covers a changed logical ID of the same resource (same
type and construct path) and a change to a property CloudFormation cannot update in place —
read from the resource provider schemas cfn-lint ships (``createOnlyProperties``), never from a
hand-written list. Findings (stateful resources lost, permissions or network exposure widened,
protections switched off, the platform contract changed) carry a rule name; a *blocking*
finding makes the command exit 1 unless an accept file names it with a reason.

Rendering (markdown for a pull-request comment, JSON for other tooling) happens at the edge.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, TextIO

from . import _cost
from ._assembly import AssemblyError, AssemblyStack, read_stacks
from ._contract import PARAMETER_ROOT
from ._exit_codes import EXIT_FINDING, EXIT_UNUSABLE

__all__ = [
    "RULES",
    "STATEFUL_TYPES",
    "Acceptance",
    "BreakingChangesError",
    "Finding",
    "ResourceChange",
    "Review",
    "ReviewInputError",
    "StackArtifact",
    "StackReview",
    "add_parser",
    "check_against_baseline",
    "cost_estimator",
    "read_accept_file",
    "read_assembly",
    "read_deployed_templates",
    "record_baseline",
    "render_json",
    "render_markdown",
    "review_assemblies",
    "review_stacks",
    "run",
    "synthesize_ref",
]

JsonDict = dict[str, Any]

#: Every rule a finding can carry, and whether it blocks (exit 1) unless accepted.
RULES: Mapping[str, tuple[bool, str]] = {
    "stateful-replaced": (True, "a stateful resource is (or may be) replaced without retention"),
    "stateful-removed": (True, "a stateful resource is removed without retention"),
    "stateful-retained": (False, "a stateful resource replaced or removed is orphaned/snapshotted"),
    "iam-widened": (True, "an IAM statement grants a new action or resource"),
    "iam-wildcard": (True, "an IAM statement introduces '*' in actions, resources or principals"),
    "iam-principal-added": (True, "a trust or resource policy admits a new principal"),
    "iam-condition-removed": (True, "an IAM statement lost (some of) its conditions"),
    "iam-deny-removed": (True, "a Deny statement is gone"),
    "tls-removed": (True, "an enforce-TLS (aws:SecureTransport) deny statement is gone"),
    "network-world": (True, "a security-group rule opens to 0.0.0.0/0 or ::/0"),
    "network-widened": (True, "a security-group rule is added"),
    "encryption-removed": (True, "encryption at rest switched off or its key removed"),
    "logging-disabled": (True, "access or execution logging switched off"),
    "tracing-disabled": (True, "X-Ray tracing switched off"),
    "public-access": (True, "an S3 public access block setting switched off"),
    "deletion-protection-removed": (True, "deletion or termination protection switched off"),
    "contract-changed": (False, "a published platform parameter changes value"),
    "contract-structural": (True, "a structural platform parameter changes (services re-synth)"),
    "contract-removed": (True, "a published platform parameter is removed or renamed"),
}

#: Resource types whose replacement or removal loses data or state (topics only when they have
#: subscriptions). Data, not code: extend it here.
STATEFUL_TYPES: frozenset[str] = frozenset(
    {
        "AWS::SQS::Queue",
        "AWS::SNS::Topic",
        "AWS::Logs::LogGroup",
        "AWS::KMS::Key",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::SecretsManager::Secret",
        "AWS::SSM::Parameter",
        "AWS::EFS::FileSystem",
        "AWS::FSx::FileSystem",
        "AWS::RDS::DBCluster",
        "AWS::RDS::DBInstance",
        "AWS::DocDB::DBCluster",
        "AWS::Neptune::DBCluster",
        "AWS::ElastiCache::ReplicationGroup",
        "AWS::ElastiCache::CacheCluster",
        "AWS::Kinesis::Stream",
        "AWS::ECR::Repository",
        "AWS::Cognito::UserPool",
        "AWS::OpenSearchService::Domain",
        "AWS::Backup::BackupVault",
        "AWS::Events::Archive",
        "AWS::Timestream::Table",
        "AWS::MSK::Cluster",
    }
)
# CloudFormation's DeletionPolicy when none is written (AWS docs: DeletionPolicy attribute)
_DEFAULT_DELETION_POLICY = {"AWS::RDS::DBCluster": "Snapshot"}
_RETAINED = {"Retain": "orphaned", "RetainExceptOnCreate": "orphaned", "Snapshot": "snapshotted"}

#: Contract parameters an attached service reads at synth time: a change reshapes its stacks.
_STRUCTURAL_PARAMETERS = frozenset({"profile", "az-count", "contract-major"})
_CONTRACT_PREFIX = PARAMETER_ROOT + "/"

_KINDS = ("removed", "replaced", "may replace", "updated", "added")
_HASH_SUFFIX = re.compile(r"[0-9A-F]{8}$")
_INTRINSIC = re.compile(r"^(Ref|Fn::\w+)$")
_WORLD = frozenset({"0.0.0.0/0", "::/0"})


class ReviewInputError(ValueError):
    """An assembly, a template or an accept file cannot be used (exit 2); the message says why."""


#: One stack of a cloud assembly (the shared reader's): ``name`` is its construct path.
StackArtifact = AssemblyStack


# ---------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Finding:
    """Something a reviewer must see: a rule, where, why; blocking unless accepted.

    Attributes:
        stack: the stack's artifact id.
        logical_id: the resource's logical id (``""`` for the stack itself).
        rule: a key of :data:`RULES`.
        message: what changed, in words.
        accepted: the accept file's reason when an entry names this finding, else ``None``.
    """

    stack: str
    logical_id: str
    rule: str
    message: str
    accepted: str | None = None

    @property
    def blocking(self) -> bool:
        """The rule blocks and no accept entry names it."""
        return RULES[self.rule][0] and self.accepted is None


@dataclass(frozen=True)
class ResourceChange:
    """One resource added, removed, replaced, maybe replaced or updated.

    Attributes:
        logical_id: the logical id (the head's, for a renamed resource).
        resource_type: its CloudFormation type.
        kind: ``added``, ``removed``, ``replaced``, ``may replace`` or ``updated``.
        path: its construct path (``aws:cdk:path``), when the template carries it.
        old_logical_id: the base's logical id when the logical id changed.
        properties: the top-level properties that changed.
        reasons: why it is replaced (``QueueName is create-only``, ``logical ID changed``).
        stateful: its type holds data or state (see :data:`STATEFUL_TYPES`).
        retention: ``orphaned`` / ``snapshotted`` when a replaced or removed stateful resource is
            kept by its DeletionPolicy/UpdateReplacePolicy, ``lost`` when not, else ``None``.
    """

    logical_id: str
    resource_type: str
    kind: str
    path: str | None = None
    old_logical_id: str | None = None
    properties: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    stateful: bool = False
    retention: str | None = None


@dataclass(frozen=True)
class StackReview:
    """The changes of one stack.

    Attributes:
        stack: the artifact id.
        label: its construct path.
        status: ``added``, ``removed``, ``changed`` or ``unchanged``.
        changes: every resource change.
        findings: every finding, blocking ones first.
        monthly_cost_delta: the monthly cost difference in USD, when a cost estimator ran.
    """

    stack: str
    label: str
    status: str
    changes: tuple[ResourceChange, ...] = ()
    findings: tuple[Finding, ...] = ()
    monthly_cost_delta: float | None = None


@dataclass(frozen=True)
class Review:
    """A change review of two assemblies.

    Attributes:
        stacks: one entry per stack of either side, by artifact id.
        warnings: accept entries naming no stack of either side, and the like.
    """

    stacks: tuple[StackReview, ...]
    warnings: tuple[str, ...] = ()

    @property
    def findings(self) -> list[Finding]:
        """Every finding of every stack."""
        return [finding for stack in self.stacks for finding in stack.findings]

    @property
    def blocking(self) -> list[Finding]:
        """The findings that block (not accepted)."""
        return [finding for finding in self.findings if finding.blocking]


@dataclass(frozen=True)
class Acceptance:
    """One entry of an accept file: a reviewed, deliberate change.

    Attributes:
        stack: the stack's artifact id or construct path.
        reason: why it is fine (required).
        logical_id: the resource it accepts (default: any in the stack).
        rule: the rule it accepts (default: any); at least one of the two is given.
    """

    stack: str
    reason: str
    logical_id: str | None = None
    rule: str | None = None

    def matches(self, stack: StackReview, finding: Finding) -> bool:
        """This entry names ``finding`` of ``stack``."""
        return (
            self.stack in (stack.stack, stack.label)
            and self.logical_id in (None, finding.logical_id)
            and self.rule in (None, finding.rule)
        )


#: ``(base stack or None, head stack or None) -> monthly USD difference`` (``None``: unknown).
CostEstimator = Callable[[AssemblyStack | None, AssemblyStack | None], float | None]


# ---------------------------------------------------------------------------------------------
# reading assemblies


def read_assembly(directory: str | Path) -> dict[str, StackArtifact]:
    """The stacks of the cloud assembly in ``directory`` by artifact id, nested assemblies included.

    Raises:
        ReviewInputError: the directory is missing, holds no ``manifest.json`` or a template
            that cannot be read.
    """
    try:
        return {stack.artifact_id: stack for stack in read_stacks(directory)}
    except AssemblyError as error:
        raise ReviewInputError(str(error)) from None


# ---------------------------------------------------------------------------------------------
# resource provider schemas (shipped by cfn-lint)


@lru_cache(maxsize=1)
def _schema_dir() -> Path:
    spec = importlib.util.find_spec("cfnlint")
    if spec is None or spec.origin is None:
        raise ReviewInputError(
            "review reads CloudFormation's resource schemas from cfn-lint: "
            "pip install 'modern-app-constructs[review]'"
        )
    return Path(spec.origin).parent / "data" / "schemas"


@lru_cache(maxsize=1)
def _providers() -> Mapping[str, str]:
    providers: dict[str, str] = json.loads(
        (_schema_dir() / "providers" / "us-east-1.json").read_text(encoding="utf-8")
    )
    return providers


@lru_cache(maxsize=512)
def _replacing_paths(resource_type: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The type's create-only and conditionally create-only property paths (``/properties/X``)."""
    name = _providers().get(resource_type)
    if name is None:
        return (), ()
    schema = json.loads((_schema_dir() / "resources" / f"{name}.json").read_text(encoding="utf-8"))
    return (
        tuple(schema.get("createOnlyProperties", ())),
        tuple(schema.get("conditionalCreateOnlyProperties", ())),
    )


def _at(value: Any, parts: Sequence[str]) -> list[Any]:
    """Values at a schema path (``*`` walks a list); a missing key yields ``None``."""
    if not parts:
        return [value]
    head, rest = parts[0], parts[1:]
    if head == "*":
        items = value if isinstance(value, list) else []
        return [found for item in items for found in _at(item, rest)]
    if isinstance(value, dict):
        return _at(value.get(head), rest)
    return [None] if value is None else []


def _has_intrinsic(value: Any) -> bool:
    if isinstance(value, dict):
        if len(value) == 1 and _INTRINSIC.match(next(iter(value))):
            return True
        return any(_has_intrinsic(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_intrinsic(item) for item in value)
    return False


def _replacement(
    resource_type: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> tuple[str | None, tuple[str, ...]]:
    """``replaced`` / ``may replace`` / ``None`` for a property change, and why."""
    create_only, conditional = _replacing_paths(resource_type)
    will: list[str] = []
    may: list[str] = []
    for paths, sure in ((create_only, True), (conditional, False)):
        for path in paths:
            parts = path.split("/")[2:]  # "/properties/A/B" -> ["A", "B"]
            before, after = _at(old, parts), _at(new, parts)
            if before == after:
                continue
            label = "/".join(parts)
            if not sure:
                may.append(f"{label} may be create-only (conditionally)")
            elif _has_intrinsic(before) or _has_intrinsic(after):
                may.append(f"{label} is create-only; its value is resolved at deploy time")
            else:
                will.append(f"{label} is create-only")
    if will:
        return "replaced", tuple(will + may)
    if may:
        return "may replace", tuple(may)
    return None, ()


# ---------------------------------------------------------------------------------------------
# the review


def review_assemblies(
    base: str | Path | None,
    head: str | Path,
    *,
    accept: Sequence[Acceptance] = (),
    cost: CostEstimator | None = None,
    region: str | None = None,
) -> Review:
    """Review the change from the assembly ``base`` (``None``: nothing deployed) to ``head``.

    Args:
        base: the assembly before the change, ``None`` for a first deployment.
        head: the assembly after the change.
        accept: reviewed, deliberate changes.
        cost: prices a stack's change. Default: the cost command's fixed monthly cost.
        region: the region the default ``cost`` prices in. Default: each stack's own (an
            environment-agnostic stack then shows no cost difference).

    Raises:
        ReviewInputError: either directory is not a readable cloud assembly, or ``region`` is
            not in the price table.
    """
    base_stacks = read_assembly(base) if base is not None else {}
    return review_stacks(
        base_stacks, read_assembly(head), accept=accept, cost=cost or cost_estimator(region)
    )


def review_stacks(
    base: Mapping[str, StackArtifact],
    head: Mapping[str, StackArtifact],
    *,
    accept: Sequence[Acceptance] = (),
    cost: CostEstimator | None = None,
) -> Review:
    """Review every stack of either side, matched by artifact id; apply ``accept``.

    ``cost`` defaults to :func:`cost_estimator` with each stack's own region.
    """
    cost = cost if cost is not None else cost_estimator()
    reviews = [
        _review_stack(stack_id, base.get(stack_id), head.get(stack_id), cost)
        for stack_id in sorted(set(base) | set(head), key=lambda s: (s not in head, s))
    ]
    reviews = [_accepted(review, accept) for review in reviews]
    known = {name for review in reviews for name in (review.stack, review.label)}
    warnings = tuple(
        f"accept entry for stack {entry.stack!r} names no stack of either assembly"
        for entry in accept
        if entry.stack not in known
    )
    return Review(stacks=tuple(reviews), warnings=warnings)


def _accepted(review: StackReview, accept: Sequence[Acceptance]) -> StackReview:
    findings = []
    for finding in review.findings:
        entry = next((entry for entry in accept if entry.matches(review, finding)), None)
        findings.append(
            dataclasses.replace(finding, accepted=entry.reason) if entry is not None else finding
        )
    findings.sort(key=lambda f: (not f.blocking, f.accepted is None, f.logical_id, f.rule))
    return dataclasses.replace(review, findings=tuple(findings))


def cost_estimator(region: str | None = None) -> CostEstimator:
    """The cost command's estimator: the difference in fixed monthly cost of one stack.

    Args:
        region: the region to price in. Default: the stack's own (none for an
            environment-agnostic stack: its difference is unknown, ``None``).
    """

    def estimate(base: AssemblyStack | None, head: AssemblyStack | None) -> float | None:
        try:
            return _cost.monthly_cost_delta(base, head, region=region)
        except _cost.CostInputError as error:
            raise ReviewInputError(f"cost: {error}") from None

    return estimate


def _resources(template: Mapping[str, Any] | None) -> dict[str, JsonDict]:
    resources = (template or {}).get("Resources") or {}
    return {key: value for key, value in resources.items() if isinstance(value, dict)}


def _path(resource: Mapping[str, Any]) -> str | None:
    path = (resource.get("Metadata") or {}).get("aws:cdk:path")
    return path if isinstance(path, str) else None


def _same_resource(
    removed: dict[str, JsonDict], added: dict[str, JsonDict]
) -> Iterator[tuple[str, str, str]]:
    """Pairs (old id, new id, why) of one resource whose logical id changed."""
    taken: set[str] = set()
    for old_id, old in removed.items():
        candidates = [
            new_id
            for new_id, new in added.items()
            if new_id not in taken and new["Type"] == old.get("Type")
        ]
        by_path = [c for c in candidates if _path(old) and _path(added[c]) == _path(old)]
        stem = _HASH_SUFFIX.sub("", old_id)
        by_stem = [
            c
            for c in candidates
            if stem != old_id and _HASH_SUFFIX.sub("", c) == stem and c != old_id
        ]
        if len(by_path) == 1:
            taken.add(by_path[0])
            yield old_id, by_path[0], f"logical ID changed from {old_id} (same construct path)"
        elif len(by_stem) == 1:
            taken.add(by_stem[0])
            yield old_id, by_stem[0], f"logical ID changed from {old_id} (same construct ID)"


def _review_stack(
    stack_id: str,
    base: StackArtifact | None,
    head: StackArtifact | None,
    cost: CostEstimator | None,
) -> StackReview:
    old_template = base.template if base else None
    new_template = head.template if head else None
    old, new = _resources(old_template), _resources(new_template)
    removed = {k: v for k, v in old.items() if k not in new}
    added = {k: v for k, v in new.items() if k not in old}
    renamed = {old_id: (new_id, why) for old_id, new_id, why in _same_resource(removed, added)}
    renamed_to = {new_id for new_id, _ in renamed.values()}

    changes: list[ResourceChange] = []
    findings: list[Finding] = []
    pairs: list[tuple[str, JsonDict | None, str | None, JsonDict | None]] = []
    for logical_id in sorted(old.keys() & new.keys()):
        if _without_metadata(old[logical_id]) != _without_metadata(new[logical_id]):
            pairs.append((logical_id, old[logical_id], logical_id, new[logical_id]))
    for old_id, (new_id, _) in renamed.items():
        pairs.append((old_id, removed[old_id], new_id, added[new_id]))
    for old_id in sorted(removed.keys() - renamed.keys()):
        pairs.append((old_id, removed[old_id], None, None))
    for added_id in sorted(added.keys() - renamed_to):
        pairs.append((added_id, None, added_id, added[added_id]))

    for old_id, before, head_id, after in pairs:
        change = _classify(old_id, before, head_id, after, old_template, renamed)
        changes.append(change)
        findings += _findings(stack_id, change, before, after)

    if base and head and base.termination_protection and not head.termination_protection:
        findings.append(
            Finding(stack_id, "", "deletion-protection-removed", "termination protection off")
        )
    status = "changed" if changes or findings else "unchanged"
    if base is None or head is None:
        status = "added" if base is None else "removed"
    changes.sort(key=lambda c: (_KINDS.index(c.kind), c.logical_id))
    delta = cost(base, head) if cost is not None else None
    label = (head or base).name if (head or base) else stack_id  # type: ignore[union-attr]
    return StackReview(
        stack=stack_id,
        label=label,
        status=status,
        changes=tuple(changes),
        findings=tuple(findings),
        monthly_cost_delta=delta,
    )


def _without_metadata(resource: Mapping[str, Any]) -> JsonDict:
    return {key: value for key, value in resource.items() if key != "Metadata"}


def _classify(
    old_id: str,
    before: JsonDict | None,
    new_id: str | None,
    after: JsonDict | None,
    old_template: Mapping[str, Any] | None,
    renamed: Mapping[str, tuple[str, str]],
) -> ResourceChange:
    resource = after if after is not None else before
    assert resource is not None
    resource_type = str(resource.get("Type"))
    path = _path(resource)
    if before is None:
        return ResourceChange(new_id or old_id, resource_type, "added", path)
    stateful = _is_stateful(old_id, before, old_template)
    if after is None or new_id is None:
        return ResourceChange(
            old_id,
            resource_type,
            "removed",
            path,
            stateful=stateful,
            retention=_retention(before, "DeletionPolicy") if stateful else None,
        )
    old_props, new_props = before.get("Properties") or {}, after.get("Properties") or {}
    changed = tuple(
        sorted(
            key
            for key in old_props.keys() | new_props.keys()
            if old_props.get(key) != new_props.get(key)
        )
    )
    reasons: tuple[str, ...]
    if old_id != new_id:
        kind, reasons = "replaced", (renamed[old_id][1],)
        policy = "DeletionPolicy"  # the old logical id is deleted
    elif before.get("Type") != after.get("Type"):
        kind, reasons = "replaced", (f"type changed from {before.get('Type')}",)
        policy = "DeletionPolicy"
    else:
        found, reasons = _replacement(resource_type, old_props, new_props)
        kind = found or "updated"
        policy = "UpdateReplacePolicy"
    retention = _retention(before, policy) if stateful and kind != "updated" else None
    return ResourceChange(
        new_id, resource_type, kind, path, old_id if old_id != new_id else None, changed,
        reasons, stateful, retention,
    )  # fmt: skip


def _is_stateful(
    logical_id: str, resource: Mapping[str, Any], template: Mapping[str, Any] | None
) -> bool:
    resource_type = resource.get("Type")
    if resource_type not in STATEFUL_TYPES:
        return False
    if resource_type != "AWS::SNS::Topic":
        return True
    if (resource.get("Properties") or {}).get("Subscription"):
        return True
    return any(
        other.get("Type") == "AWS::SNS::Subscription"
        and (other.get("Properties") or {}).get("TopicArn") == {"Ref": logical_id}
        for other in _resources(template).values()
    )


def _retention(resource: Mapping[str, Any], policy: str) -> str:
    value = resource.get(policy) or _DEFAULT_DELETION_POLICY.get(str(resource.get("Type")))
    return _RETAINED.get(str(value), "lost")


# ---------------------------------------------------------------------------------------------
# findings


def _findings(
    stack: str, change: ResourceChange, before: JsonDict | None, after: JsonDict | None
) -> list[Finding]:
    found: list[Finding] = []

    def add(rule: str, message: str) -> None:
        found.append(Finding(stack, change.logical_id, rule, message))

    if change.stateful and change.kind in ("replaced", "may replace", "removed"):
        verb = {"may replace": "may be replaced", "removed": "removed"}.get(change.kind, "replaced")
        policies = _policies(before or {})
        if change.retention in ("orphaned", "snapshotted"):
            add("stateful-retained", f"{change.resource_type} {verb}: {change.retention} "
                f"({policies}), not lost")  # fmt: skip
        else:
            rule = "stateful-removed" if change.kind == "removed" else "stateful-replaced"
            add(rule, f"{change.resource_type} {verb} and its data lost ({policies})")
    old_props = (before or {}).get("Properties") or {}
    new_props = (after or {}).get("Properties") or {}
    old_type = (before or {}).get("Type")
    new_type = (after or {}).get("Type")
    old_side = old_props if before is not None else None
    new_side = new_props if after is not None else None
    for rule, message in _iam_findings(old_type, old_side, new_type, new_side, change.logical_id):
        add(rule, message)
    for rule, message in _network_findings(old_type, old_side, new_type, new_side):
        add(rule, message)
    if before is not None and after is not None and old_type == new_type:
        for protection in _PROTECTIONS:
            on_before = protection.applies(str(new_type)) and protection.on(old_props)
            if on_before and not protection.on(new_props):
                add(protection.rule, f"{protection.what} switched off")
    for rule, message in _contract_findings(change, old_side, new_side):
        add(rule, message)
    return found


def _policies(resource: Mapping[str, Any]) -> str:
    deletion = resource.get("DeletionPolicy") or _DEFAULT_DELETION_POLICY.get(
        str(resource.get("Type")), "Delete (default)"
    )
    replace = resource.get("UpdateReplacePolicy") or "Delete (default)"
    return f"DeletionPolicy {deletion}, UpdateReplacePolicy {replace}"


# --- IAM ---

# where each type keeps its policy documents: property names (a list name + "[]" walks a list)
_POLICY_DOCUMENTS: Mapping[str, tuple[tuple[str, ...], ...]] = {
    "AWS::IAM::Policy": (("PolicyDocument",),),
    "AWS::IAM::ManagedPolicy": (("PolicyDocument",),),
    "AWS::IAM::Role": (("AssumeRolePolicyDocument",), ("Policies[]", "PolicyDocument")),
    "AWS::IAM::User": (("Policies[]", "PolicyDocument"),),
    "AWS::IAM::Group": (("Policies[]", "PolicyDocument"),),
    "AWS::IAM::RolePolicy": (("PolicyDocument",),),
    "AWS::SQS::QueuePolicy": (("PolicyDocument",),),
    "AWS::SQS::QueueInlinePolicy": (("PolicyDocument",),),
    "AWS::SNS::TopicPolicy": (("PolicyDocument",),),
    "AWS::SNS::TopicInlinePolicy": (("PolicyDocument",),),
    "AWS::S3::BucketPolicy": (("PolicyDocument",),),
    "AWS::KMS::Key": (("KeyPolicy",),),
    "AWS::SecretsManager::ResourcePolicy": (("ResourcePolicy",),),
    "AWS::Logs::ResourcePolicy": (("PolicyDocument",),),
    "AWS::ECR::Repository": (("RepositoryPolicyText",),),
    "AWS::Events::EventBusPolicy": (("Statement",),),
}
_MANAGED_POLICY_TYPES = frozenset({"AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"})

# (effect, action, resource, principal, condition): one grant, each part canonical JSON text
_Atom = tuple[str, str, str, str, str]


def _canon(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _documents(resource_type: str | None, props: Mapping[str, Any]) -> Iterator[Any]:
    for path in _POLICY_DOCUMENTS.get(str(resource_type), ()):
        values: list[Any] = [props]
        for part in path:
            if part.endswith("[]"):
                values = [item for v in values for item in _as_list(v.get(part[:-2]))]
            else:
                values = [v.get(part) for v in values if isinstance(v, dict)]
        for value in values:
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    continue
            if value is not None:
                yield value


def _statements(resource_type: str | None, props: Mapping[str, Any]) -> list[JsonDict]:
    if resource_type == "AWS::Lambda::Permission":
        condition: JsonDict = {}
        if "SourceArn" in props:
            condition["ArnLike"] = {"AWS:SourceArn": props["SourceArn"]}
        if "SourceAccount" in props:
            condition["StringEquals"] = {"AWS:SourceAccount": props["SourceAccount"]}
        return [
            {
                "Effect": "Allow",
                "Action": props.get("Action"),
                "Resource": props.get("FunctionName"),
                "Principal": props.get("Principal"),
                **({"Condition": condition} if condition else {}),
            }
        ]
    statements: list[JsonDict] = []
    for document in _documents(resource_type, props):
        if resource_type == "AWS::Events::EventBusPolicy":
            statements.append(document)
            continue
        if isinstance(document, dict):
            statements += [s for s in _as_list(document.get("Statement")) if isinstance(s, dict)]
    return statements


def _principals(statement: Mapping[str, Any]) -> list[str]:
    for key in ("Principal", "NotPrincipal"):
        if key in statement:
            principal = statement[key]
            prefix = "Not" if key == "NotPrincipal" else ""
            if isinstance(principal, dict) and not _INTRINSIC.match(next(iter(principal), "")):
                return [
                    f"{prefix}{kind}:{_canon(value)}"
                    for kind, values in sorted(principal.items())
                    for value in _as_list(values)
                ]
            return [f"{prefix}{_canon(principal)}"]
    return [""]  # an identity policy: the principal is what it is attached to


def _atoms(statements: Iterable[Mapping[str, Any]]) -> set[_Atom]:
    atoms: set[_Atom] = set()
    for statement in statements:
        effect = str(statement.get("Effect", "Allow"))
        actions = [f"Not:{_canon(a)}" for a in _as_list(statement.get("NotAction"))] or [
            _canon(a) for a in _as_list(statement.get("Action"))
        ]
        resources = [f"Not:{_canon(r)}" for r in _as_list(statement.get("NotResource"))] or [
            _canon(r) for r in _as_list(statement.get("Resource"))
        ] or [""]  # fmt: skip
        condition = _canon(statement.get("Condition") or {})
        for action in actions:
            for resource in resources:
                for principal in _principals(statement):
                    atoms.add((effect, action, resource, principal, condition))
    return atoms


def _is_wild(atom: _Atom) -> bool:
    _, action, resource, principal, _ = atom
    return (
        "*" in action
        or action.startswith("Not:")
        or resource in ("*", "Not:*")
        or resource.startswith("Not:")
        or principal.endswith(":*")
        or principal == "*"
    )


def _is_tls_deny(atom: _Atom) -> bool:
    return atom[0] == "Deny" and "aws:securetransport" in atom[4].lower()


def _shown(text: str) -> str:
    """``{"Fn::GetAtt": ["Queue", "Arn"]}`` as ``${Queue.Arn}``, ``{"Ref": "X"}`` as ``${X}``."""
    if not text.startswith("{"):
        return text
    value = json.loads(text)
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" and isinstance(argument, str):
            return f"${{{argument}}}"
        if key == "Fn::GetAtt" and isinstance(argument, list):
            return "${" + ".".join(str(part) for part in argument) + "}"
    return text


def _short(atom: _Atom) -> str:
    _, action, resource, principal, condition = atom
    action, resource = _shown(action), _shown(resource)
    who = f" to {principal}" if principal else ""
    when = f" when {condition}" if condition != "{}" else ""
    # a trust policy's statements name no resource: the role itself is the resource
    on = f" on {resource}" if resource else ""
    return f"{action}{on}{who}{when}"


def _listed(items: Iterable[str], limit: int = 4) -> str:
    items = sorted(set(items))
    more = f" and {len(items) - limit} more" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _iam_findings(
    old_type: str | None,
    old: Mapping[str, Any] | None,
    new_type: str | None,
    new: Mapping[str, Any] | None,
    logical_id: str,
) -> Iterator[tuple[str, str]]:
    before = _atoms(_statements(old_type, old)) if old is not None else set()
    after = _atoms(_statements(new_type, new)) if new is not None else set()
    grouped: dict[str, list[str]] = {}
    old_principals = {atom[3] for atom in before}
    conditioned = {atom[:4]: atom[4] for atom in before if atom[4] != "{}"}
    for atom in sorted(after - before):
        if atom[0] != "Allow":
            continue
        if atom[:4] in conditioned and (
            atom[4] == "{}" or set(json.loads(atom[4])) < set(json.loads(conditioned[atom[:4]]))
        ):
            rule = "iam-condition-removed"
        elif _is_wild(atom):
            rule = "iam-wildcard"
        elif atom[3] and before and atom[3] not in old_principals:
            rule = "iam-principal-added"
        else:
            rule = "iam-widened"
        grouped.setdefault(rule, []).append(_short(atom))
    for atom in before - after:
        if atom[0] == "Deny":
            rule = "tls-removed" if _is_tls_deny(atom) else "iam-deny-removed"
            if rule == "tls-removed" or atom[:4] not in {a[:4] for a in after}:
                grouped.setdefault(rule, []).append(_short(atom))
    if str(new_type) in _MANAGED_POLICY_TYPES and new is not None:
        old_arns = {_canon(a) for a in _as_list((old or {}).get("ManagedPolicyArns"))}
        new_arns = {_canon(a) for a in _as_list(new.get("ManagedPolicyArns"))} - old_arns
        if new_arns:
            grouped.setdefault("iam-widened", []).append(
                "managed policy " + _listed(new_arns) + " attached"
            )
    titles = {
        "iam-condition-removed": "condition removed from",
        "iam-wildcard": "wildcard granted:",
        "iam-principal-added": "new principal:",
        "iam-widened": "granted:",
        "iam-deny-removed": "Deny removed:",
        "tls-removed": "enforce-TLS Deny removed:",
    }
    for rule, items in grouped.items():
        yield rule, f"{titles[rule]} {_listed(items)}"


# --- security groups ---

_RULE_TYPES = {
    "AWS::EC2::SecurityGroupIngress": "ingress",
    "AWS::EC2::SecurityGroupEgress": "egress",
}


def _sg_rules(resource_type: str | None, props: Mapping[str, Any] | None) -> set[tuple[str, str]]:
    if props is None:
        return set()
    if resource_type == "AWS::EC2::SecurityGroup":
        return {
            (direction, _canon(_rule_key(rule)))
            for direction, key in (
                ("ingress", "SecurityGroupIngress"),
                ("egress", "SecurityGroupEgress"),
            )
            for rule in _as_list(props.get(key))
            if isinstance(rule, dict)
        }
    if resource_type in _RULE_TYPES:
        return {(_RULE_TYPES[resource_type], _canon(_rule_key(props, standalone=True)))}
    return set()


def _rule_key(rule: Mapping[str, Any], *, standalone: bool = False) -> JsonDict:
    # a description is no exposure; a standalone rule's group is its own
    ignored = {"Description"} | ({"GroupId", "GroupName"} if standalone else set())
    return {key: value for key, value in rule.items() if key not in ignored}


def _network_findings(
    old_type: str | None,
    old: Mapping[str, Any] | None,
    new_type: str | None,
    new: Mapping[str, Any] | None,
) -> Iterator[tuple[str, str]]:
    added = _sg_rules(new_type, new) - _sg_rules(old_type, old)
    for direction, text in sorted(added):
        rule = json.loads(text)
        peer = rule.get("CidrIp") or rule.get("CidrIpv6")
        ports = _ports(rule)
        if peer in _WORLD:
            yield "network-world", f"{direction} {ports} from/to {peer} (anywhere)"
        else:
            source = peer or _canon(
                rule.get("SourceSecurityGroupId")
                or rule.get("DestinationSecurityGroupId")
                or rule.get("SourcePrefixListId")
                or rule.get("DestinationPrefixListId")
                or "?"
            )
            yield "network-widened", f"{direction} {ports} from/to {source}"


def _ports(rule: Mapping[str, Any]) -> str:
    protocol = str(rule.get("IpProtocol", "?"))
    if protocol == "-1":
        return "all traffic"
    low, high = rule.get("FromPort"), rule.get("ToPort")
    ports = f"{low}" if low == high else f"{low}-{high}"
    return f"{protocol.upper()} {ports}"


# --- protections switched off ---


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in ("true", "enabled"))


def _false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _lb_attribute(props: Mapping[str, Any], key: str) -> bool:
    return any(
        isinstance(item, dict) and item.get("Key") == key and _truthy(item.get("Value"))
        for item in _as_list(props.get("LoadBalancerAttributes"))
    )


def _logging_on(props: Mapping[str, Any]) -> bool:
    return any(
        isinstance(item, dict) and str(item.get("LoggingLevel", "OFF")).upper() != "OFF"
        for item in _as_list(props.get("MethodSettings"))
    )


def _public_access_block(key: str) -> Callable[[Mapping[str, Any]], bool]:
    def on(props: Mapping[str, Any]) -> bool:
        return _truthy((props.get("PublicAccessBlockConfiguration") or {}).get(key))

    return on


@dataclass(frozen=True)
class _Protection:
    rule: str
    types: frozenset[str] | None  # None: every type
    what: str
    on: Callable[[Mapping[str, Any]], bool]

    def applies(self, resource_type: str) -> bool:
        return self.types is None or resource_type in self.types


def _types(*names: str) -> frozenset[str]:
    return frozenset(names)


_PUBLIC_ACCESS_KEYS = (
    "BlockPublicAcls",
    "BlockPublicPolicy",
    "IgnorePublicAcls",
    "RestrictPublicBuckets",
)
#: A protection is "switched off" when ``on`` holds for the base and not for the head.
_PROTECTIONS: tuple[_Protection, ...] = (
    _Protection("encryption-removed", _types("AWS::SQS::Queue", "AWS::SNS::Topic"),
                "KmsMasterKeyId (customer-managed key)", lambda p: "KmsMasterKeyId" in p),
    _Protection("encryption-removed", _types("AWS::SQS::Queue"), "server-side encryption",
                lambda p: "KmsMasterKeyId" in p or not _false(p.get("SqsManagedSseEnabled"))),
    _Protection("encryption-removed",
                _types("AWS::Logs::LogGroup", "AWS::SecretsManager::Secret", "AWS::EFS::FileSystem",
                       "AWS::RDS::DBCluster", "AWS::RDS::DBInstance"),
                "KmsKeyId (customer-managed key)", lambda p: "KmsKeyId" in p),
    _Protection("encryption-removed", _types("AWS::S3::Bucket"), "BucketEncryption",
                lambda p: "BucketEncryption" in p),
    _Protection("encryption-removed", _types("AWS::EFS::FileSystem"), "Encrypted",
                lambda p: _truthy(p.get("Encrypted"))),
    _Protection("encryption-removed", _types("AWS::RDS::DBCluster", "AWS::RDS::DBInstance"),
                "StorageEncrypted", lambda p: _truthy(p.get("StorageEncrypted"))),
    _Protection("encryption-removed", _types("AWS::DynamoDB::Table"), "SSESpecification",
                lambda p: _truthy((p.get("SSESpecification") or {}).get("SSEEnabled"))),
    _Protection("encryption-removed", _types("AWS::Kinesis::Stream"), "StreamEncryption",
                lambda p: "StreamEncryption" in p),
    _Protection("tracing-disabled", _types("AWS::Lambda::Function"), "TracingConfig Active",
                lambda p: (p.get("TracingConfig") or {}).get("Mode") == "Active"),
    _Protection("tracing-disabled", _types("AWS::ApiGateway::Stage"), "TracingEnabled",
                lambda p: _truthy(p.get("TracingEnabled"))),
    _Protection("tracing-disabled", _types("AWS::StepFunctions::StateMachine"),
                "TracingConfiguration",
                lambda p: _truthy((p.get("TracingConfiguration") or {}).get("Enabled"))),
    _Protection("logging-disabled", _types("AWS::ApiGateway::Stage"), "AccessLogSetting",
                lambda p: "AccessLogSetting" in p),
    _Protection("logging-disabled", _types("AWS::ApiGatewayV2::Stage"), "AccessLogSettings",
                lambda p: "AccessLogSettings" in p),
    _Protection("logging-disabled", _types("AWS::ApiGateway::Stage"),
                "MethodSettings logging", _logging_on),
    _Protection("logging-disabled", _types("AWS::S3::Bucket"), "LoggingConfiguration",
                lambda p: "LoggingConfiguration" in p),
    _Protection("logging-disabled", _types("AWS::ElasticLoadBalancingV2::LoadBalancer"),
                "access_logs.s3.enabled", lambda p: _lb_attribute(p, "access_logs.s3.enabled")),
    _Protection("deletion-protection-removed", _types("AWS::ElasticLoadBalancingV2::LoadBalancer"),
                "deletion_protection.enabled",
                lambda p: _lb_attribute(p, "deletion_protection.enabled")),
    _Protection("deletion-protection-removed", None, "DeletionProtection",
                lambda p: _truthy(p.get("DeletionProtection"))),
    _Protection("deletion-protection-removed", None, "DeletionProtectionEnabled",
                lambda p: _truthy(p.get("DeletionProtectionEnabled"))),
    *(
        _Protection("public-access", _types("AWS::S3::Bucket"),
                    f"PublicAccessBlockConfiguration.{key}", _public_access_block(key))
        for key in _PUBLIC_ACCESS_KEYS
    ),
)  # fmt: skip


# --- the platform contract ---


def _contract_name(props: Mapping[str, Any] | None) -> str | None:
    name = (props or {}).get("Name")
    return name if isinstance(name, str) and name.startswith(_CONTRACT_PREFIX) else None


def _contract_findings(
    change: ResourceChange, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> Iterator[tuple[str, str]]:
    if change.resource_type != "AWS::SSM::Parameter":
        return
    old_name, new_name = _contract_name(old), _contract_name(new)
    if old_name and old_name != new_name:
        yield (
            "contract-removed",
            f"published parameter {old_name} removed; attached services read it",
        )
        return
    if old_name and new is not None and (old or {}).get("Value") != new.get("Value"):
        key = old_name[len(_CONTRACT_PREFIX) :].split("/", 1)[-1]
        if key in _STRUCTURAL_PARAMETERS:
            yield (
                "contract-structural",
                (f"{old_name} changes: structural for attached services (they must re-synthesize)"),
            )
        else:
            yield "contract-changed", f"{old_name} changes value (attached services follow)"


# ---------------------------------------------------------------------------------------------
# accept files


def read_accept_file(path: str | Path) -> list[Acceptance]:
    """The entries of an accept file (JSON or TOML: a list ``accept`` of tables).

    Each entry has ``stack``, ``reason`` and ``logical_id`` and/or ``rule``::

        [[accept]]
        stack = "OrdersService"
        logical_id = "FulfilmentQueue26A1FA60"
        reason = "queue renamed on purpose; drained before the release"

    Raises:
        ReviewInputError: unreadable, malformed, a missing reason or an unknown rule.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReviewInputError(f"{path}: cannot read the accept file: {error}") from None
    try:
        if path.suffix == ".toml":
            try:
                import tomllib
            except ImportError:  # pragma: no cover - Python 3.10
                raise ReviewInputError(f"{path}: TOML needs Python 3.11; use JSON") from None
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except ValueError as error:
        raise ReviewInputError(f"{path}: not valid {path.suffix[1:] or 'JSON'}: {error}") from None
    entries = data.get("accept") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ReviewInputError(f"{path}: expected a list 'accept' of entries")
    allowed = {"stack", "logical_id", "rule", "reason"}
    accepted: list[Acceptance] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{path}: entry {number}"
        if not isinstance(entry, dict):
            raise ReviewInputError(f"{where}: expected a table with stack, logical_id/rule, reason")
        unknown = sorted(set(entry) - allowed)
        if unknown:
            raise ReviewInputError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
        if not all(isinstance(value, str) for value in entry.values()):
            raise ReviewInputError(f"{where}: every value must be a string")
        if not entry.get("stack"):
            raise ReviewInputError(f"{where}: 'stack' is required")
        if not entry.get("reason", "").strip():
            raise ReviewInputError(f"{where}: 'reason' is required (why the change is fine)")
        if not entry.get("logical_id") and not entry.get("rule"):
            raise ReviewInputError(f"{where}: give 'logical_id' and/or 'rule'")
        rule = entry.get("rule")
        if rule is not None and rule not in RULES:
            raise ReviewInputError(f"{where}: unknown rule {rule!r}; allowed: {sorted(RULES)}")
        accepted.append(
            Acceptance(entry["stack"], entry["reason"].strip(), entry.get("logical_id"), rule)
        )
    return accepted


# ---------------------------------------------------------------------------------------------
# rendering


def _summary(review: Review) -> str:
    counts: dict[str, int] = {}
    for stack in review.stacks:
        for change in stack.changes:
            counts[change.kind] = counts.get(change.kind, 0) + 1
    blocking = len(review.blocking)
    accepted = sum(1 for f in review.findings if f.accepted is not None)
    changed = sum(1 for s in review.stacks if s.status != "unchanged")
    kinds = ", ".join(f"{counts[kind]} {kind}" for kind in _KINDS if counts.get(kind))
    verdict = f"{blocking} blocking" if blocking else "nothing blocking"
    tail = f", {accepted} accepted" if accepted else ""
    return (
        f"Change review: {verdict}{tail}; {changed} of {len(review.stacks)} stack(s) changed"
        f"{': ' + kinds if kinds else ''}."
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(review: Review) -> str:
    """A pull-request comment: a summary line, then a table per changed stack, blocking first."""
    lines = [f"**{_summary(review)}**"]
    for warning in review.warnings:
        lines += ["", f"> warning: {warning}"]
    for stack in review.stacks:
        if stack.status == "unchanged":
            continue
        lines += ["", f"### {stack.label} ({stack.status})"]
        if stack.monthly_cost_delta is not None:
            lines += [
                "",
                f"Monthly cost difference: {stack.monthly_cost_delta:+.2f} USD "
                "(fixed cost at idle, list prices: the `cost` command)",
            ]
        rows = _rows(stack)
        if rows:
            lines += [
                "",
                "| verdict | change | resource | type | details |",
                "|---|---|---|---|---|",
            ]
            lines += [
                "| " + " | ".join(_cell(cell) for cell in row[1:]) + " |" for row in sorted(rows)
            ]
    return "\n".join(lines) + "\n"


def _rows(stack: StackReview) -> list[tuple[int, str, str, str, str, str]]:
    by_id: dict[str, list[Finding]] = {}
    for finding in stack.findings:
        by_id.setdefault(finding.logical_id, []).append(finding)
    rows = []
    for change in stack.changes:
        rows.append(_row(change.logical_id, change, by_id.pop(change.logical_id, [])))
    for logical_id, findings in by_id.items():
        rows.append(_row(logical_id, None, findings))
    return rows


def _row(
    logical_id: str, change: ResourceChange | None, findings: list[Finding]
) -> tuple[int, str, str, str, str, str]:
    if any(f.blocking for f in findings):
        rank, verdict = 0, "**blocking**"
    elif any(f.accepted for f in findings):
        rank, verdict = 1, "accepted"
    elif findings:
        rank, verdict = 2, "note"
    else:
        rank, verdict = 3, ""
    details = list(change.reasons if change else ())
    if change and change.kind == "updated" and change.properties:
        details.append("changed: " + ", ".join(change.properties))
    for finding in findings:
        note = f" (accepted: {finding.accepted})" if finding.accepted else ""
        details.append(f"{finding.rule}: {finding.message}{note}")
    resource = logical_id or "(stack)"
    if change and change.old_logical_id:
        resource += f" (was {change.old_logical_id})"
    kind = change.kind if change else "stack"
    resource_type = change.resource_type if change else ""
    return (rank, verdict, kind, resource, resource_type, "; ".join(details))


def render_json(review: Review) -> str:
    """The review as JSON: a summary, the verdict, every stack with its changes and findings."""
    stacks = []
    for stack in review.stacks:
        data = dataclasses.asdict(stack)
        data["findings"] = [
            {**dataclasses.asdict(f), "blocking": f.blocking} for f in stack.findings
        ]
        stacks.append(data)
    document = {
        "summary": _summary(review),
        "blocking": len(review.blocking),
        "warnings": list(review.warnings),
        "stacks": stacks,
    }
    return json.dumps(document, indent=2, sort_keys=False) + "\n"


# ---------------------------------------------------------------------------------------------
# a base from a git ref, baselines


def synthesize_ref(ref: str, workdir: Path, *, repo: str | Path = ".") -> Path:
    """Synthesize the app of ``repo`` at git ``ref`` into ``workdir/assembly``; return that path.

    The ref is checked out in a temporary ``git worktree`` (removed afterwards) and synthesized
    with the CDK CLI the repository pins (its ``node_modules``; ``.venv`` and ``node_modules``
    are linked into the worktree so cdk.json's app command runs as it does at HEAD).

    Raises:
        ReviewInputError: not a git repository, an unknown ref, or a failing synthesis.
    """
    top = _git(["rev-parse", "--show-toplevel"], Path(repo)).strip()
    root = Path(top)
    source = workdir / "source"
    output = workdir / "assembly"
    _git(["worktree", "add", "--detach", "--quiet", str(source), ref], root)
    try:
        if not (source / "cdk.json").is_file():
            raise ReviewInputError(f"{ref}: no cdk.json at the repository root at that ref")
        for shared in (".venv", "node_modules"):
            if (root / shared).exists() and not (source / shared).exists():
                (source / shared).symlink_to((root / shared).resolve())
        local_cdk = root / "node_modules" / ".bin" / "cdk"
        cdk = [str(local_cdk)] if local_cdk.exists() else ["npx", "--no-install", "cdk"]
        command = [*cdk, "synth", "--quiet", "--output", str(output)]
        result = subprocess.run(command, cwd=source, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
            raise ReviewInputError(f"synthesizing {ref} failed:\n{tail}")
    finally:
        _git(["worktree", "remove", "--force", str(source)], root, check=False)
    return output


def _git(arguments: list[str], cwd: Path, *, check: bool = True) -> str:
    try:
        result = subprocess.run(
            ["git", *arguments], cwd=cwd, capture_output=True, text=True, check=False
        )
    except OSError as error:
        raise ReviewInputError(f"cannot run git: {error}") from None
    if check and result.returncode != 0:
        raise ReviewInputError(f"git {' '.join(arguments)}: {result.stderr.strip()}")
    return result.stdout


def record_baseline(assembly: str | Path, baseline: str | Path) -> Path:
    """Copy the assembly ``assembly`` to ``baseline`` without its assets; return ``baseline``.

    Only what a review reads is kept: every ``manifest.json``, the stack templates and nested
    assemblies. An existing baseline is replaced.

    Raises:
        ReviewInputError: ``assembly`` is not a readable cloud assembly.
    """
    source, target = Path(assembly), Path(baseline)
    read_assembly(source)  # fail before touching the baseline

    def ignore(directory: str, names: list[str]) -> set[str]:
        keep = {
            name
            for name in names
            if name == "manifest.json"
            or name.endswith(".template.json")
            or (name.startswith("assembly-") and (Path(directory) / name).is_dir())
        }
        return set(names) - keep

    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, ignore=ignore)
    return target


class BreakingChangesError(AssertionError):
    """A review found blocking changes; the message lists them."""


def check_against_baseline(
    app_or_assembly_dir: Any,
    baseline: str | Path = "tests/baseline",
    accept: str | Path | Sequence[Acceptance] | None = None,
) -> Review:
    """Review ``app_or_assembly_dir`` (a ``cdk.App`` or an assembly directory) against a baseline.

    Raises:
        BreakingChangesError: a blocking change not accepted, or no baseline recorded yet.
        ReviewInputError: an unreadable assembly or accept file.
    """
    if isinstance(app_or_assembly_dir, (str, Path)):
        head = Path(app_or_assembly_dir)
    else:
        head = Path(app_or_assembly_dir.synth().directory)
    if not (Path(baseline) / "manifest.json").is_file():
        raise BreakingChangesError(
            f"no baseline assembly at {baseline}: record one with "
            f"modern_app_constructs.testing.record_baseline('cdk.out', {str(baseline)!r}) "
            "and commit it"
        )
    entries = read_accept_file(accept) if isinstance(accept, (str, Path)) else (accept or ())
    review = review_assemblies(baseline, head, accept=entries)
    blocking = review.blocking
    if blocking:
        listed = "\n".join(
            f"  {f.stack} {f.logical_id or '(stack)'} [{f.rule}] {f.message}" for f in blocking
        )
        raise BreakingChangesError(
            f"{len(blocking)} blocking change(s) against the baseline {baseline}:\n{listed}\n"
            "accept a deliberate one in an accept file (stack, logical_id or rule, reason), "
            "or re-record the baseline once it has shipped"
        )
    return review


# ---------------------------------------------------------------------------------------------
# the command


def add_parser(commands: Any) -> argparse.ArgumentParser:
    """Add ``review`` to the command line's sub-parsers."""
    review: argparse.ArgumentParser = commands.add_parser(
        "review",
        help="what a change replaces, deletes and widens: two cloud assemblies, offline",
        description=(
            "Review the change from the cloud assembly BASE to HEAD (directories `cdk synth` "
            f"wrote). Exit {EXIT_FINDING} on a blocking change not accepted, "
            f"{EXIT_UNUSABLE} on unusable input."
        ),
    )
    review.add_argument("base", nargs="?", metavar="BASE", help="the base assembly directory")
    review.add_argument("head", nargs="?", metavar="HEAD", help="the head assembly directory")
    review.add_argument("--format", choices=("markdown", "json"), default="markdown")
    review.add_argument(
        "--accept", metavar="FILE", help="reviewed, deliberate changes (JSON or TOML)"
    )
    review.add_argument(
        "--region",
        help="price the cost difference in this region (default: each stack's environment; "
        "an environment-agnostic stack shows none)",
    )
    review.add_argument(
        "--base-ref",
        metavar="GIT_REF",
        help="synthesize the base from this git ref of the current repository (omit BASE)",
    )
    review.add_argument(
        "--base-templates",
        metavar="DIR",
        help="the base is what is deployed: DIR holds ARTIFACT_ID.template.json for each stack "
        "of HEAD that exists (a missing file: not deployed yet); omit BASE",
    )
    return review


def read_deployed_templates(
    directory: str | Path, head: Mapping[str, StackArtifact]
) -> dict[str, StackArtifact]:
    """The deployed side of ``head``: ``directory/<artifact id>.template.json`` per stack.

    A stack without a file is not deployed yet (a first deployment reviews against nothing).
    The files are what ``aws cloudformation get-template --query TemplateBody`` printed.

    Raises:
        ReviewInputError: ``directory`` is missing, or a file is not a JSON template.
    """
    root = Path(directory)
    if not root.is_dir():
        raise ReviewInputError(f"{root}: no such directory (the deployed templates)")
    deployed: dict[str, StackArtifact] = {}
    for artifact_id, stack in head.items():
        path = root / f"{artifact_id}.template.json"
        if not path.is_file():
            continue
        try:
            template = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ReviewInputError(f"{path}: cannot read the deployed template: {error}") from None
        if not isinstance(template, dict):
            raise ReviewInputError(f"{path}: the deployed template is not a JSON object")
        deployed[artifact_id] = dataclasses.replace(stack, template=template)
    return deployed


def run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    *,
    synthesize: Callable[[str, Path], Path] | None = None,
) -> int:
    """Run a parsed ``review``; return its exit code (0, 1 on a blocking change, 2)."""
    base, head = args.base, args.head
    base_templates = getattr(args, "base_templates", None)
    if args.base_ref is not None and base_templates is not None:
        err.write("review: give --base-ref or --base-templates, not both\n")
        return EXIT_UNUSABLE
    for option, given in (("--base-ref", args.base_ref), ("--base-templates", base_templates)):
        if given is None:
            continue
        if head is not None:
            err.write(f"review: with {option} give HEAD only (the base comes from {option})\n")
            return EXIT_UNUSABLE
        head, base = base, None
    if head is None:
        err.write("review: give BASE and HEAD assembly directories (or --base-ref REF HEAD)\n")
        return EXIT_UNUSABLE
    try:
        accept = read_accept_file(args.accept) if args.accept else []
        read_assembly(head)  # a bad HEAD fails before a synthesis
        with tempfile.TemporaryDirectory(prefix="mac-review-") as workdir:
            if args.base_ref is not None:
                synthesize = synthesize or (lambda ref, tmp: synthesize_ref(ref, tmp))
                base = synthesize(args.base_ref, Path(workdir))
            if base_templates is not None:
                head_stacks = read_assembly(head)
                review = review_stacks(
                    read_deployed_templates(base_templates, head_stacks),
                    head_stacks,
                    accept=accept,
                    cost=cost_estimator(args.region),
                )
            else:
                review = review_assemblies(base, head, accept=accept, region=args.region)
    except ReviewInputError as error:
        err.write(f"review: {error}\n")
        return EXIT_UNUSABLE
    for warning in review.warnings:
        err.write(f"review: warning: {warning}\n")
    out.write(render_json(review) if args.format == "json" else render_markdown(review))
    return EXIT_FINDING if review.blocking else 0
