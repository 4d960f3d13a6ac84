"""The facts each compliance position claims, checked against the templates it describes.

Every entry of ``docs/compliance-positions.toml`` declares, beside its position and reason, the
claims its reason rests on, as data (``[[rules."<rule>".claims]]``, a ``kind`` and its
parameters). :func:`evaluate` checks one claim against synthesized templates and returns what
contradicts it (nothing when it holds). The kinds:

- ``property``: every resource of ``resource_type`` (optionally only those ``where`` another
  property satisfies a comparison) has the property at ``path`` ``present`` (true/false),
  ``equals``, is ``at_least``, ``one_of`` or ``matches`` (a regular expression over its JSON)
  a value, in the ``profiles`` given (default: every profile). A path is dotted; a number
  indexes a list; a last segment ``Key=name`` selects the ``Value`` of the ``{Key, Value}`` item
  named ``name`` (load balancer attributes, whose names hold dots). At least one resource must
  match: a claim is never vacuous.
- ``opt-in-prop``: ``construct`` (a public name of the library, or ``Name.method``) accepts the
  keyword ``prop``.
- ``policy-per-role``: every ``AWS::IAM::Policy`` is attached to exactly one role and no user or
  group (aws-cdk-lib's per-role default policy).
- ``managed-policies``: the AWS-managed policies attached to roles are exactly ``names``.
- ``kms-grant-restricted``: every ``AWS::KMS::Key`` denies ``kms:CreateGrant`` unless the grant
  is for an AWS resource or the caller an AWS service (CT.KMS.PR.3's statement).

A position's kind adds its own demands (:func:`position_problems`): a ``fixed`` claim holds in
every profile; a ``prod-only`` claim is about prod; an ``opt-in`` position names its prop; a
``not-applicable`` reason does not say the fix would be harmless (then it is not "not
applicable", it is open).
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

__all__ = [
    "CLAIM_KINDS",
    "PROFILES",
    "check_claim",
    "evaluate",
    "position_problems",
]

PROFILES = ("dev", "prod")
CLAIM_KINDS = (
    "property",
    "opt-in-prop",
    "policy-per-role",
    "managed-policies",
    "kms-grant-restricted",
)
_COMPARATORS = ("present", "equals", "at_least", "one_of", "matches")
#: Words by which a "not applicable" reason admits that the fix would cost nothing.
_HARMLESS = re.compile(r"harmless|at no cost|no downside|would (also )?silence|silences? the rule")

Templates = Mapping[str, Mapping[str, Mapping[str, Any]]]
"""profile -> template name -> template."""


def check_claim(claim: Mapping[str, Any]) -> list[str]:
    """What is malformed in a claim (its kind and required parameters)."""
    kind = claim.get("kind")
    if kind not in CLAIM_KINDS:
        return [f"claim kind {kind!r}; allowed: {CLAIM_KINDS}"]
    required = {
        "property": ("resource_type", "path"),
        "opt-in-prop": ("construct", "prop"),
        "managed-policies": ("names",),
    }.get(str(kind), ())
    problems = [f"{kind} claim without {name!r}" for name in required if name not in claim]
    for part in (claim, claim.get("where")) if kind == "property" else ():
        if part is not None and sum(c in part for c in _COMPARATORS) != 1:
            problems.append(f"a property claim (and its where) needs one of {_COMPARATORS}")
    unknown = set(claim.get("profiles", PROFILES)) - set(PROFILES)
    if unknown:
        problems.append(f"profiles {sorted(unknown)}; allowed: {PROFILES}")
    return problems


def position_problems(kind: str, reason: str, claims: Sequence[Mapping[str, Any]]) -> list[str]:
    """What a position of ``kind`` demands of its claims and reason, and does not get."""
    problems = [problem for claim in claims for problem in check_claim(claim)]
    if not claims:
        problems.append("no claim: a position states at least one checkable fact")
    if kind == "fixed":
        narrow = [c for c in claims if set(c.get("profiles", PROFILES)) != set(PROFILES)]
        if narrow:
            problems.append("a fixed position holds in every profile (use prod-only)")
    if kind == "prod-only" and not any(
        list(c.get("profiles", PROFILES)) == ["prod"] for c in claims
    ):
        problems.append("a prod-only position claims what holds in prod (profiles = ['prod'])")
    if kind == "opt-in" and not any(c.get("kind") == "opt-in-prop" for c in claims):
        problems.append("an opt-in position names its prop (an opt-in-prop claim)")
    if kind == "not-applicable" and _HARMLESS.search(reason):
        problems.append("a not-applicable reason says the fix is harmless: the rule applies")
    return problems


def evaluate(claim: Mapping[str, Any], templates: Templates) -> list[str]:
    """What contradicts ``claim`` in ``templates`` (profile -> name -> template); [] if it holds."""
    kind = claim["kind"]
    if kind == "opt-in-prop":
        return _opt_in_prop(str(claim["construct"]), str(claim["prop"]))
    profiles = [p for p in claim.get("profiles", PROFILES) if p in templates]
    if not profiles:
        return [f"no template of the profiles {claim.get('profiles', PROFILES)}"]
    evaluators = {
        "property": _property,
        "policy-per-role": _policy_per_role,
        "managed-policies": _managed_policies,
        "kms-grant-restricted": _kms_grant_restricted,
    }
    return evaluators[kind](claim, {p: templates[p] for p in profiles})


# ----------------------------------------------------------------------- kinds


def _resources(
    templates: Templates, resource_type: str
) -> Iterator[tuple[str, str, str, Mapping[str, Any]]]:
    """(profile, template, logical id, properties) of every resource of a type."""
    for profile, by_name in templates.items():
        for name, template in by_name.items():
            for logical_id, resource in dict(template.get("Resources", {})).items():
                if resource.get("Type") == resource_type:
                    yield profile, name, logical_id, dict(resource.get("Properties", {}))


_MISSING = object()


def _lookup(properties: Any, path: str) -> Any:
    """The value at a dotted ``path``; a trailing ``Key=name`` (dots allowed) selects an item."""
    head, selector, key = path.partition("Key=")
    segments = [s for s in head.split(".") if s] + ([selector + key] if selector else [])
    node = properties
    for segment in segments:
        if segment.startswith("Key="):
            items = node if isinstance(node, list) else []
            wanted = segment.removeprefix("Key=")
            node = next((i.get("Value") for i in items if i.get("Key") == wanted), _MISSING)
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        elif isinstance(node, dict) and segment in node:
            node = node[segment]
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _holds(value: Any, claim: Mapping[str, Any]) -> bool:
    if "present" in claim:
        return (value is not _MISSING) == bool(claim["present"])
    if value is _MISSING:
        return False
    if "equals" in claim:
        return str(value).lower() == str(claim["equals"]).lower()
    if "at_least" in claim:
        return isinstance(value, int | float | str) and float(value) >= float(claim["at_least"])
    if "one_of" in claim:
        return value in claim["one_of"]
    return re.search(str(claim["matches"]), json.dumps(value)) is not None


def _property(claim: Mapping[str, Any], templates: Templates) -> list[str]:
    where = claim.get("where")
    matched = 0
    problems = []
    for profile, name, logical_id, properties in _resources(templates, claim["resource_type"]):
        if where and not _holds(_lookup(properties, where["path"]), where):
            continue
        matched += 1
        value = _lookup(properties, claim["path"])
        if not _holds(value, claim):
            shown = "absent" if value is _MISSING else json.dumps(value)
            problems.append(f"{profile} {name}/{logical_id}: {claim['path']} is {shown}")
    if not matched:
        problems.append(f"no {claim['resource_type']} to check (the claim would be vacuous)")
    return problems


def _opt_in_prop(construct: str, prop: str) -> list[str]:
    library = importlib.import_module("modern_app_constructs")
    target: Any = library
    for part in construct.split("."):
        target = getattr(target, part, None)
        if target is None:
            return [f"modern_app_constructs has no {construct}"]
    # a jsii class's own signature is (*args, **kwargs): its props are its __init__'s
    parameters = inspect.signature(
        target.__init__ if inspect.isclass(target) else target
    ).parameters
    if prop not in parameters:
        return [f"{construct} has no prop {prop!r} (has: {', '.join(parameters)})"]
    return []


def _policy_per_role(claim: Mapping[str, Any], templates: Templates) -> list[str]:
    problems = []
    policies = list(_resources(templates, "AWS::IAM::Policy"))
    for profile, name, logical_id, properties in policies:
        roles = properties.get("Roles", [])
        if len(roles) != 1 or properties.get("Users") or properties.get("Groups"):
            problems.append(f"{profile} {name}/{logical_id}: attached to {json.dumps(roles)}")
    if not policies:
        problems.append("no AWS::IAM::Policy to check (the claim would be vacuous)")
    return problems


def _managed_policy_name(arn: Any) -> str:
    text = json.dumps(arn)
    match = re.search(r":policy/([A-Za-z0-9/_+=,.@-]+)", text)
    return match.group(1) if match else text


def _managed_policies(claim: Mapping[str, Any], templates: Templates) -> list[str]:
    attached = {
        _managed_policy_name(arn)
        for _, _, _, properties in _resources(templates, "AWS::IAM::Role")
        for arn in properties.get("ManagedPolicyArns", [])
    }
    expected = set(claim["names"])
    if attached != expected:
        return [f"managed policies attached: {sorted(attached)}; claimed: {sorted(expected)}"]
    return []


def _kms_grant_restricted(claim: Mapping[str, Any], templates: Templates) -> list[str]:
    problems = []
    keys = list(_resources(templates, "AWS::KMS::Key"))
    for profile, name, logical_id, properties in keys:
        statements = properties.get("KeyPolicy", {}).get("Statement", [])
        if not any(_denies_direct_grants(s) for s in statements):
            problems.append(f"{profile} {name}/{logical_id}: no deny of direct kms:CreateGrant")
    if not keys:
        problems.append("no AWS::KMS::Key to check (the claim would be vacuous)")
    return problems


def _denies_direct_grants(statement: Mapping[str, Any]) -> bool:
    actions = statement.get("Action", [])
    actions = [actions] if isinstance(actions, str) else actions
    condition = statement.get("Condition", {}).get("BoolIfExists", {})
    return (
        statement.get("Effect") == "Deny"
        and "kms:CreateGrant" in actions
        and str(condition.get("kms:GrantIsForAWSResource")).lower() == "false"
        and str(condition.get("aws:PrincipalIsAWSService")).lower() == "false"
    )
