"""``make compliance-report``: independent rule sets over the sample, report-only, as markdown.

The sample app (every top-level stack: platform, service and, in dev, the pipeline) is
synthesized in each profile with cdk-nag's AwsSolutions, Serverless, NIST 800-53 R5, HIPAA
Security and PCI DSS 3.2.1 packs attached as validation plugins; the AWS Control Tower proactive
controls then run as the cfn-guard binary and rules bundled in ``cdklabs-cdk-validator-cfnguard``,
directly, over each template with its SSM-typed parameters resolved to placeholders
(``scripts/compliance_guard.py``: the plugin crashes on them); checkov runs once over every
template (from its own environment, see ``scripts/checkov_gate.py``). Nothing fails on a
finding: findings are collected, each mapped to its construct path and logical id, and rendered
as one table per rule set into ``docs/compliance.md``. What the library acknowledges (cdk-nag)
or skips (checkov) on a resource is listed too, with the reason recorded there: those are the
findings the gated rule sets (AwsSolutions, Serverless, checkov) would report otherwise. Per
rule set and profile the report records the templates it evaluated and fails when there are
none (a rule set that evaluated nothing would show zero findings).

The library's position on each rule (fixed / prod-only / opt-in prop / not applicable / false
positive / open) comes from one data file, ``docs/compliance-positions.toml``, where each
position also declares the facts it rests on (``scripts/compliance_claims.py``; the tests check
them against the templates); a rule found without a position there is printed as *unreviewed*,
so the document stays honest as findings change.

Usage::

    python -m scripts.compliance_report [--output docs/compliance.md] [--json findings.json]
        [--app sample:dev --app sample:prod --app readme:prod] [--no-checkov]
        [--from-json findings.json]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import tomllib

__all__ = [
    "GUARD",
    "RULE_SETS",
    "Coverage",
    "Finding",
    "Position",
    "check_coverage",
    "collect",
    "load_positions",
    "nested_stage_paths",
    "position_for",
    "render",
]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "docs" / "compliance.md"
DEFAULT_POSITIONS = ROOT / "docs" / "compliance-positions.toml"


@dataclass(frozen=True)
class RuleSet:
    """A rule set as the report names it.

    Attributes:
        key: the validation plugin's name in CDK's report (``checkov`` for checkov).
        title: the heading in the document.
        prefix: the prefix of its rule names (cdk-nag packs), stripped to find a shared position.
    """

    key: str
    title: str
    prefix: str = ""


#: Every rule set the report runs, in the order the document lists them.
RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet("AwsSolutions", "cdk-nag AwsSolutions", "AwsSolutions-"),
    RuleSet("Serverless", "cdk-nag Serverless", "Serverless-"),
    RuleSet("NIST.800.53.R5", "NIST 800-53 Rev. 5 (cdk-nag)", "NIST.800.53.R5-"),
    RuleSet("HIPAA.Security", "HIPAA Security (cdk-nag)", "HIPAA.Security-"),
    RuleSet("PCI.DSS.321", "PCI DSS 3.2.1 (cdk-nag)", "PCI.DSS.321-"),
    RuleSet("cdk-validator-cfnguard", "AWS Control Tower proactive controls (cfn-guard rules)"),
    RuleSet("checkov", "checkov (CloudFormation checks)"),
)
_RULE_SETS_BY_KEY = {rule_set.key: rule_set for rule_set in RULE_SETS}
#: The Control Tower control id a guard rule's description starts with, e.g. ``[CT.EC2.PR.11]``.
_CONTROL_ID = re.compile(r"^\[(CT\.[A-Z0-9]+\.PR\.\d+)\]:\s*")

# --------------------------------------------------------------------------- data


@dataclass(frozen=True, order=True)
class Finding:
    """One rule that one resource fails, in one app and profile.

    Attributes:
        rule_set: the :class:`RuleSet` key.
        rule: the rule's name as the tool reports it (``NIST.800.53.R5-LambdaInsideVPC``,
            ``subnet_auto_assign_public_ip_disabled_check``, ``CKV_AWS_173``).
        app: which app (``sample`` or ``readme``).
        profile: ``dev`` or ``prod``.
        stack: the stack (template) name.
        path: the construct path, e.g. ``OrdersService/Fulfilment/Queue/Resource``.
        logical_id: the resource's logical id in the template.
        title: what the rule requires (its description, first sentence).
        control: the Control Tower control id, for guard rules.
        status: ``found`` (the rule reports the resource), ``acknowledged`` (a cdk-nag
            acknowledgment on the resource) or ``skipped`` (a checkov skip on the resource).
        reason: the acknowledgment's or the skip's reason.
    """

    rule_set: str
    rule: str
    app: str
    profile: str
    stack: str
    path: str
    logical_id: str
    title: str = ""
    control: str = ""
    status: str = "found"
    reason: str = ""


#: How a finding that is not reported is recorded on its resource.
SUPPRESSED = ("acknowledged", "skipped")


@dataclass(frozen=True)
class Position:
    """The library's position on a rule.

    Attributes:
        kind: ``fixed`` (in every profile), ``prod-only`` (fixed in prod, off in dev by
            design), ``opt-in``, ``not-applicable``, ``false-positive``, ``open`` or
            ``unreviewed`` (no entry in the positions file).
        reason: why, in a sentence a reviewer accepts; for ``opt-in`` the prop that turns it on.
        claims: the facts the reason rests on, as data (``scripts/compliance_claims.py``),
            checked against the templates by the tests.
    """

    kind: str
    reason: str = ""
    claims: tuple[Mapping[str, Any], ...] = ()

    def render(self) -> str:
        """The position as the document's last column."""
        label = _POSITION_LABELS[self.kind]
        return f"**{label}**: {self.reason}" if self.reason else f"**{label}**"


_POSITION_LABELS = {
    "fixed": "fixed",
    "prod-only": "fixed in prod, dev by design",
    "opt-in": "opt-in prop",
    "not-applicable": "not applicable",
    "false-positive": "false positive of the rule",
    "open": "open, fix planned",
    "unreviewed": "unreviewed",
}
POSITION_KINDS = tuple(kind for kind in _POSITION_LABELS if kind != "unreviewed")


def load_positions(path: Path = DEFAULT_POSITIONS) -> dict[str, Position]:
    """Positions by rule key from the TOML file (``[rules."<rule>"]`` tables).

    Raises:
        ValueError: for an entry without a known ``position``, without a ``reason``, or whose
            claims do not fit its kind (:func:`scripts.compliance_claims.position_problems`).
    """
    from scripts.compliance_claims import position_problems

    data = tomllib.loads(path.read_text())
    positions: dict[str, Position] = {}
    for key, entry in data.get("rules", {}).items():
        kind = entry.get("position")
        reason = " ".join(str(entry.get("reason", "")).split())
        claims = tuple(dict(claim) for claim in entry.get("claims", []))
        if kind not in POSITION_KINDS:
            raise ValueError(
                f"{path.name}: rules.{key!r}: position {kind!r}; allowed: {POSITION_KINDS}"
            )
        if not reason:
            raise ValueError(f"{path.name}: rules.{key!r}: a reason is required")
        problems = position_problems(kind, reason, claims)
        if problems:
            raise ValueError(f"{path.name}: rules.{key!r}: {'; '.join(problems)}")
        positions[key] = Position(kind, reason, claims)
    return positions


def position_for(rule_set: str, rule: str, positions: Mapping[str, Position]) -> Position:
    """The position on ``rule``: its own entry, else the entry shared by the cdk-nag packs.

    NIST, HIPAA and PCI name the same check alike (``<pack>-LambdaInsideVPC``): one entry keyed
    ``LambdaInsideVPC`` serves all three; an entry under the full name overrides it.
    """
    if rule in positions:
        return positions[rule]
    prefix = _RULE_SETS_BY_KEY[rule_set].prefix if rule_set in _RULE_SETS_BY_KEY else ""
    if prefix and rule.startswith(prefix) and rule[len(prefix) :] in positions:
        return positions[rule[len(prefix) :]]
    return Position("unreviewed")


# ------------------------------------------------------------------- collection


def _stack_metadata(outdir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(stack artifact name, construct path -> metadata entries) for every stack of an assembly."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    for name, artifact in manifest["artifacts"].items():
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        metadata = dict(artifact.get("metadata", {}))
        extra = artifact.get("additionalMetadataFile")
        if extra:
            metadata.update(json.loads((outdir / extra).read_text()))
        yield name, metadata


def _logical_ids(outdir: Path) -> dict[str, tuple[str, str]]:
    """Construct path (no leading slash) -> (stack, logical id), from the assembly's metadata."""
    found: dict[str, tuple[str, str]] = {}
    for name, metadata in _stack_metadata(outdir):
        for path, entries in metadata.items():
            for entry in entries:
                if entry.get("type") == "aws:cdk:logicalId":
                    found[path.lstrip("/")] = (name, str(entry["data"]))
    return found


def _title(description: str) -> tuple[str, str]:
    """(first sentence of a rule's description, Control Tower id if any)."""
    control = ""
    match = _CONTROL_ID.match(description)
    if match:
        control, description = match.group(1), description[match.end() :]
    title = description.split(" - (Control ID", 1)[0].strip()
    return title, control


def findings_from_report(
    report: Mapping[str, Any], outdir: Path, *, app: str, profile: str
) -> list[Finding]:
    """Findings from CDK's ``validation-report.json`` (one per rule and resource)."""
    ids = _logical_ids(outdir)
    findings: set[Finding] = set()
    for plugin in report.get("pluginReports", []):
        rule_set = str(plugin["pluginName"])
        for violation in plugin.get("violations", []):
            title, control = _title(str(violation.get("description", "")))
            for construct in violation.get("violatingConstructs", []):
                path = str(construct.get("constructPath") or "")
                cfn = construct.get("cloudFormationResource") or {}
                if not path and not cfn.get("logicalId"):
                    continue  # cfn-guard also reports an empty entry per failing rule
                stack, logical_id = ids.get(path, (path.split("/", 1)[0], ""))
                if cfn.get("logicalId"):
                    logical_id = str(cfn["logicalId"])
                findings.add(
                    Finding(
                        rule_set=rule_set,
                        rule=str(violation["ruleName"]),
                        app=app,
                        profile=profile,
                        stack=stack,
                        path=path,
                        logical_id=logical_id,
                        title=title,
                        control=control,
                    )
                )
    return sorted(findings)


def acknowledgments_from_assembly(outdir: Path, *, app: str, profile: str) -> list[Finding]:
    """The cdk-nag acknowledgments recorded in the assembly's metadata, one per rule and resource.

    cdk-nag 3 records each ``Validations.of(construct).acknowledge(...)`` as
    ``aws:cdk:acknowledged-rules`` metadata on the construct: ``{"Annotation::<rule>": reason}``
    (a granular finding as ``<rule>[<finding>]``, kept whole).
    """
    ids = _logical_ids(outdir)
    found: set[Finding] = set()
    for name, metadata in _stack_metadata(outdir):
        for path, entries in metadata.items():
            construct = path.lstrip("/")
            for entry in entries:
                if entry.get("type") != "aws:cdk:acknowledged-rules":
                    continue
                for key, reason in dict(entry.get("data") or {}).items():
                    rule = str(key).split("::", 1)[-1]
                    rule_set = _rule_set_of(rule)
                    if rule_set is None:
                        continue
                    resource = f"{construct}/Resource"
                    if resource not in ids:
                        resource = construct
                    stack, logical_id = ids.get(resource, (name, ""))
                    found.add(
                        Finding(
                            rule_set=rule_set,
                            rule=rule,
                            app=app,
                            profile=profile,
                            stack=stack,
                            path=resource,
                            logical_id=logical_id,
                            status="acknowledged",
                            reason=" ".join(str(reason).split()),
                        )
                    )
    return sorted(found)


def _rule_set_of(rule: str) -> str | None:
    """The cdk-nag pack a rule id belongs to (``Serverless-LambdaDLQ[...]`` -> Serverless)."""
    for rule_set in RULE_SETS:
        if rule_set.prefix and rule.startswith(rule_set.prefix):
            return rule_set.key
    return None


def _sample_app(app: Any) -> None:
    """The sample's stacks (``sample_app.app.build``): platform, service and, in dev, pipeline.

    The pipeline's stages are nested assemblies holding the service stack again (the same
    constructs, attached to the environment of the stage's account); their findings are left out
    (:func:`nested_stage_paths`), the service stack's own are reported in both profiles.
    """
    from sample_app.app import build

    build(app)


def _readme_app(app: Any) -> None:
    from scripts.readme_service import build

    build(app)


#: The apps the report can synthesize, by name.
APPS: dict[str, Callable[[Any], None]] = {"sample": _sample_app, "readme": _readme_app}


@dataclass(frozen=True, order=True)
class Coverage:
    """The templates one rule set evaluated in one app and profile.

    Attributes:
        rule_set: the :class:`RuleSet` key.
        app: which app.
        profile: ``dev`` or ``prod``.
        templates: the stacks (templates) the rule set was run on.
    """

    rule_set: str
    app: str
    profile: str
    templates: tuple[str, ...]


def nested_stage_paths(outdir: Path) -> tuple[str, ...]:
    """The construct paths of the stages (nested cloud assemblies) of an assembly.

    A pipeline's stage is a ``cdk.Stage`` whose stacks synthesize into an assembly of their own
    (``assembly-<Pipeline>-<Stage>``): ``OrdersPipeline/Pipeline/Dev`` for the directory
    ``assembly-OrdersPipeline-Pipeline-Dev``, read from the tree.
    """
    tree = json.loads((outdir / "tree.json").read_text())
    found: list[str] = []

    def visit(node: Mapping[str, Any]) -> None:
        info = node.get("constructInfo", {})
        if info.get("fqn") == "aws-cdk-lib.Stage":
            found.append(str(node["path"]))
            return
        for child in dict(node.get("children", {})).values():
            visit(child)

    for child in dict(tree["tree"].get("children", {})).values():
        visit(child)
    return tuple(sorted(found))


def _top_level(findings: Iterable[Finding], stages: Sequence[str]) -> list[Finding]:
    return [f for f in findings if not any(f.path.startswith(f"{stage}/") for stage in stages)]


class _Counted:
    """A validation plugin that records the stacks CDK hands it, then runs the wrapped one."""

    def __init__(self, inner: Any, seen: list[str]) -> None:
        self._inner = inner
        self._seen = seen

    @property
    def name(self) -> str:
        return str(self._inner.name)

    @property
    def version(self) -> str | None:
        return self._inner.version  # type: ignore[no-any-return]

    @property
    def rule_ids(self) -> list[str] | None:
        return self._inner.rule_ids  # type: ignore[no-any-return]

    def validate(self, context: Any) -> Any:
        self._seen.extend(str(s.stack_construct_path) for s in context.stack_templates)
        return self._inner.validate(context)


def synth_with_rule_sets(
    app_name: str, profile: str, outdir: Path
) -> tuple[list[Finding], list[Coverage]]:
    """Synthesize ``app_name`` in ``profile`` with every rule set attached, report-only.

    The cdk-nag packs run as validation plugins; the Control Tower rules run afterwards on the
    top-level templates (:func:`guard_findings`). Returns the findings and, per rule set, the
    templates it evaluated (stacks beneath a pipeline stage excluded, as their findings are).
    """
    import aws_cdk as cdk
    import jsii
    from cdk_nag import (
        AwsSolutionsChecks,
        HIPAASecurityChecks,
        NIST80053R5Checks,
        PCIDSS321Checks,
        ServerlessChecks,
    )

    # exactly cdk.json's context, as `cdk synth` would (a bare App() ignores its feature flags)
    context = {**json.loads((ROOT / "cdk.json").read_text())["context"], "profile": profile}
    # aws-cdk-lib's built-in template validation is not one of the rule sets reported here
    app = cdk.App(context=context, outdir=str(outdir), builtin_cloud_formation_validation=False)
    APPS[app_name](app)
    counted = jsii.implements(cdk.IPolicyValidationPlugin)(_Counted)
    seen: dict[str, list[str]] = {}
    plugins = []
    for pack in (
        AwsSolutionsChecks,
        ServerlessChecks,
        NIST80053R5Checks,
        HIPAASecurityChecks,
        PCIDSS321Checks,
    ):
        inner = pack(app)
        plugins.append(counted(inner, seen.setdefault(str(inner.name), [])))
    cdk.Validations.of(app).add_plugins(*plugins)
    try:
        app.synth()
    except RuntimeError as error:  # report-only: a failing plugin is what we came for
        if "ValidationFailed" not in str(error):
            raise
    stages = nested_stage_paths(outdir)
    findings = acknowledgments_from_assembly(outdir, app=app_name, profile=profile)
    reports = list(outdir.glob("*validation-report.json"))
    if reports:
        findings += findings_from_report(
            json.loads(reports[0].read_text()), outdir, app=app_name, profile=profile
        )
    coverage = [
        Coverage(
            key,
            app_name,
            profile,
            tuple(sorted({s for s in stacks if not any(s.startswith(f"{g}/") for g in stages)})),
        )
        for key, stacks in seen.items()
    ]
    guard, guard_coverage = guard_findings(outdir, app=app_name, profile=profile)
    return _top_level(findings + guard, stages), [*coverage, guard_coverage]


#: The rule set key of the Control Tower rules (the plugin's name, kept for the positions).
GUARD = "cdk-validator-cfnguard"


def guard_findings(outdir: Path, *, app: str, profile: str) -> tuple[list[Finding], Coverage]:
    """The Control Tower rules over every top-level template of an assembly.

    Run with the bundled cfn-guard directly, on copies whose SSM-typed parameters are replaced
    by placeholders (``scripts/compliance_guard.py``): the plugin crashes on those parameters.
    """
    from scripts.checkov_gate import templates_in
    from scripts.compliance_guard import run_guard

    paths = {
        (stack, logical_id): path for path, (stack, logical_id) in _logical_ids(outdir).items()
    }
    run = run_guard(templates_in([outdir]), profile=profile)
    findings = [
        Finding(
            rule_set=GUARD,
            rule=found.rule,
            app=app,
            profile=profile,
            stack=found.template,
            path=paths.get((found.template, found.logical_id), ""),
            logical_id=found.logical_id,
            title=found.title,
            control=found.control,
        )
        for found in run.findings
    ]
    return findings, Coverage(GUARD, app, profile, run.evaluated)


def checkov_findings(
    outdirs: Mapping[tuple[str, str], Path],
) -> tuple[list[Finding], list[Coverage]]:
    """Checkov over every top-level template of every (app, profile) assembly, in one run."""
    from scripts.checkov_gate import run_checkov, templates_in

    templates: dict[str, Path] = {}
    for (app, profile), outdir in outdirs.items():
        templates.update(templates_in([outdir], prefix=f"{app}.{profile}."))
    paths_by_id = {
        key: {
            (stack, logical_id): path for path, (stack, logical_id) in _logical_ids(outdir).items()
        }
        for key, outdir in outdirs.items()
    }
    report = run_checkov(templates)
    coverage = [
        Coverage(
            "checkov",
            app,
            profile,
            tuple(
                sorted(n.split(".", 2)[2] for n in templates if n.startswith(f"{app}.{profile}."))
            ),
        )
        for app, profile in outdirs
    ]
    findings: list[Finding] = []
    results = [(result, "found") for result in report.failed]
    results += [(result, "skipped") for result in report.skipped]
    for result, status in results:
        app, profile, stack = result.template.split(".", 2)
        path = paths_by_id[(app, profile)].get((stack, result.logical_id), "")
        findings.append(
            Finding(
                rule_set="checkov",
                rule=result.check_id,
                app=app,
                profile=profile,
                stack=stack,
                path=path,
                logical_id=result.logical_id,
                title=result.check_name,
                status=status,
                reason=" ".join(result.comment.split()) if status == "skipped" else "",
            )
        )
    return sorted(findings), coverage


def collect(
    targets: Sequence[tuple[str, str]], *, checkov: bool = True
) -> tuple[list[Finding], list[Coverage]]:
    """Synthesize each (app, profile) with every rule set: all findings, and what was evaluated."""
    findings: list[Finding] = []
    coverage: list[Coverage] = []
    with tempfile.TemporaryDirectory(prefix="compliance-") as workdir:
        outdirs: dict[tuple[str, str], Path] = {}
        for app_name, profile in targets:
            outdir = Path(workdir) / f"{app_name}-{profile}"
            outdirs[(app_name, profile)] = outdir
            found, covered = synth_with_rule_sets(app_name, profile, outdir)
            findings += found
            coverage += covered
        if checkov:
            found, covered = checkov_findings(outdirs)
            findings += found
            coverage += covered
    return findings, coverage


def check_coverage(coverage: Iterable[Coverage], targets: Sequence[tuple[str, str]]) -> None:
    """Fail loudly when a rule set evaluated no template in an app and profile it ran in.

    Raises:
        RuntimeError: naming each rule set, app and profile with zero templates.
    """
    empty = sorted(
        f"{c.rule_set} ({c.app} {c.profile})"
        for c in coverage
        if (c.app, c.profile) in targets and not c.templates
    )
    if empty:
        raise RuntimeError(
            f"rule sets that evaluated no template: {', '.join(empty)}; their zero findings "
            "would mean nothing"
        )


# ---------------------------------------------------------------------- render


def _short(path: str) -> str:
    """A construct path without the trailing ``/Resource`` CDK adds to L1 children."""
    return path.removesuffix("/Resource")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render(
    findings: Iterable[Finding],
    positions: Mapping[str, Position],
    *,
    profiles: Sequence[str] = ("dev", "prod"),
    app: str = "sample",
    coverage: Iterable[Coverage] = (),
    header: str = "",
    intro: str = "",
) -> str:
    """The compliance document: ``header``, a summary, ``intro``, one table per rule set.

    The summary counts, per rule set, the templates it evaluated (``coverage``) and its
    findings per profile.

    Each row is a rule: its findings per profile, the resources (construct path and logical
    id; a resource found in one profile only is marked so) and the library's position. Then
    what the library acknowledges or skips on its resources, with the recorded reasons, and
    the rules fixed by default (a ``fixed`` position and no finding any more).
    """
    selected = [f for f in findings if f.app == app and f.profile in profiles]
    by_set: dict[str, list[Finding]] = defaultdict(list)
    suppressed: dict[str, list[Finding]] = defaultdict(list)
    for finding in selected:
        (suppressed if finding.status in SUPPRESSED else by_set)[finding.rule_set].append(finding)
    lines = ["# Compliance report", ""]
    if header:
        lines += [header.strip(), ""]
    covered = [c for c in coverage if c.app == app and c.profile in profiles]
    lines += _summary(by_set, suppressed, positions, profiles, covered)
    if intro:
        lines += [intro.strip(), ""]
    found_rules = {f.rule for found in by_set.values() for f in found}
    for rule_set in RULE_SETS:
        if rule_set.key in by_set:
            lines += _table(rule_set, by_set.pop(rule_set.key), positions, profiles)
    for key in sorted(by_set):  # a plugin the report does not know yet
        lines += _table(RuleSet(key, key), by_set[key], positions, profiles)
    if suppressed:
        lines += [
            "## Acknowledged or skipped on the resource",
            "",
            "Findings the gated rule sets would report, acknowledged (cdk-nag) or skipped "
            "(checkov, `Metadata: checkov: skip`) on the resource by the construct that owns it; "
            "the reason is the one recorded there.",
            "",
        ]
        for rule_set in RULE_SETS:
            if rule_set.key in suppressed:
                lines += _suppressed_table(rule_set, suppressed[rule_set.key], profiles)
    lines += _fixed(positions, found_rules)
    return "\n".join(lines).rstrip() + "\n"


def _summary(
    by_set: Mapping[str, list[Finding]],
    suppressed: Mapping[str, list[Finding]],
    positions: Mapping[str, Position],
    profiles: Sequence[str],
    coverage: Sequence[Coverage],
) -> list[str]:
    evaluated: dict[tuple[str, str], set[str]] = defaultdict(set)
    for covered in coverage:
        evaluated[(covered.rule_set, covered.profile)].update(covered.templates)
    header = "| rule set | " + " | ".join(f"{p} templates | {p} findings" for p in profiles)
    lines = [
        "## Summary",
        "",
        header + " | rules | open | unreviewed | acknowledged or skipped |",
        "|---|" + "---:|---:|" * len(profiles) + "---:|---:|---:|---:|",
    ]
    for rule_set in RULE_SETS:
        found = by_set.get(rule_set.key, [])
        counts = [
            f"{len(evaluated[(rule_set.key, p)]) if coverage else '-'} | "
            f"{sum(1 for f in found if f.profile == p)}"
            for p in profiles
        ]
        rules = {f.rule for f in found}
        kinds = [position_for(rule_set.key, rule, positions).kind for rule in rules]
        quiet = len({(f.rule, f.path) for f in suppressed.get(rule_set.key, [])})
        lines.append(
            f"| {rule_set.title} | "
            + " | ".join(counts)
            + f" | {len(rules)} | {kinds.count('open')} | {kinds.count('unreviewed')} | {quiet} |"
        )
    for profile in profiles if coverage else ():
        union = sorted({t for (_, p), names in evaluated.items() if p == profile for t in names})
        line = f"Templates evaluated in {profile}: " + ", ".join(f"`{t}`" for t in union)
        partial = [
            f"{rule_set.title} only " + ", ".join(f"`{t}`" for t in sorted(names))
            for rule_set in RULE_SETS
            if (names := evaluated[(rule_set.key, profile)]) and sorted(names) != union
        ]
        lines += ["", line + (f" ({'; '.join(partial)})" if partial else "") + "."]
    return [*lines, ""]


def _table(
    rule_set: RuleSet,
    found: list[Finding],
    positions: Mapping[str, Position],
    profiles: Sequence[str],
) -> list[str]:
    def row(rule: str, rule_findings: list[Finding]) -> tuple[str, str]:
        first = rule_findings[0]
        name = f"`{rule}`"
        if first.control:
            name += f" ({first.control})"
        if first.title:
            name += f"<br>{first.title}"
        return name, position_for(rule_set.key, rule, positions).render()

    return _rule_table(f"## {rule_set.title}", "position", found, profiles, row)


def _suppressed_table(
    rule_set: RuleSet, found: list[Finding], profiles: Sequence[str]
) -> list[str]:
    def row(rule: str, rule_findings: list[Finding]) -> tuple[str, str]:
        reasons = sorted({f.reason for f in rule_findings if f.reason})
        return f"`{rule}`", "<br>".join(reasons)

    return _rule_table(f"### {rule_set.title}", "reason on the resource", found, profiles, row)


def _rule_table(
    heading: str,
    last_column: str,
    found: list[Finding],
    profiles: Sequence[str],
    row: Callable[[str, list[Finding]], tuple[str, str]],
) -> list[str]:
    """One row per rule, most findings first: ``row`` gives its name cell and its last cell."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for finding in found:
        by_rule[finding.rule].append(finding)
    lines = [
        heading,
        "",
        "| rule | " + " | ".join(profiles) + f" | resources | {last_column} |",
        "|---|" + "---:|" * len(profiles) + "---|---|",
    ]
    for rule in sorted(by_rule, key=lambda r: (-len(by_rule[r]), r)):
        rule_findings = by_rule[rule]
        name, last = row(rule, rule_findings)
        counts = [str(sum(1 for f in rule_findings if f.profile == p)) for p in profiles]
        lines.append(
            f"| {_cell(name)} | "
            + " | ".join(counts)
            + f" | {_cell(_resources(rule_findings, profiles))} | {_cell(last)} |"
        )
    return [*lines, ""]


def _fixed(positions: Mapping[str, Position], found_rules: set[str]) -> list[str]:
    """The rules whose position is ``fixed`` and that no rule set reports any more."""
    fixed = [
        (rule, position)
        for rule, position in sorted(positions.items())
        if position.kind == "fixed"
        and not any(r == rule or r.endswith(f"-{rule}") for r in found_rules)
    ]
    if not fixed:
        return []
    lines = ["## Fixed by default", "", "Rules the sample no longer fails, and how:", ""]
    lines += [f"- `{rule}`: {position.reason}" for rule, position in fixed]
    return [*lines, ""]


def _resources(rule_findings: list[Finding], profiles: Sequence[str]) -> str:
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for finding in rule_findings:
        seen[(_short(finding.path) or finding.stack, finding.logical_id)].add(finding.profile)
    items = []
    for (path, logical_id), in_profiles in sorted(seen.items()):
        item = f"`{path}`" + (f" ({logical_id})" if logical_id else "")
        if len(profiles) > 1 and len(in_profiles) < len(profiles):
            item += " " + "/".join(sorted(in_profiles)) + " only"
        items.append(item)
    return "<br>".join(items)


# ------------------------------------------------------------------------- main

_HEADER = """
**Gates** (`make test` fails on any finding that is neither fixed nor acknowledged/skipped on
its resource with a reason): cdk-nag AwsSolutions and Serverless, checkov, cfn-lint. Report-only
(below, with the library's position on each rule): cdk-nag NIST 800-53 R5, HIPAA Security and
PCI DSS 3.2.1, and the AWS Control Tower proactive controls (cfn-guard rules). Every position is
a claim about the templates (`docs/compliance-positions.toml`, `claims`), checked against the
synthesized sample by `tests/repository/test_compliance_positions.py`.
"""

_INTRO = """
Generated by `make compliance-report` (`scripts/compliance_report.py`): the sample app
(`sample_app/`) synthesized in the dev and prod profiles, every top-level stack: `OrdersPlatform`,
`OrdersService` and, in dev (the pipeline is one per service, part of the dev synthesis),
`OrdersPipeline` with its own resources (artifact bucket and key, roles, CodeBuild projects, build
logs). The pipeline's stages are nested assemblies that hold `OrdersService` again (the same
constructs, attached to the environment of the stage's account, in the stage's profile); their
findings are left out, as they repeat the service stack's in that profile. The cdk-nag packs run
as validation plugins, report-only; the Control Tower rules run as the cfn-guard binary and rules
bundled in `cdklabs-cdk-validator-cfnguard`, directly (below); checkov runs over every template.
*templates* is how many templates each rule set actually evaluated: the report fails when a rule
set evaluated none. Counts are findings (one rule on one resource). The position column comes
from `docs/compliance-positions.toml`; *unreviewed* means a rule was found that nobody has taken
a position on yet. What is behind each finding is in `docs/compliance-inventory.md`.

**How the Control Tower rules are run.** The validation plugin fails on templates whose
resources reference a template parameter typed `AWS::SSM::Parameter::Value<String>` (every value
a service reads from the platform it attaches to by name) and then reports nothing. So the report
runs the bundled cfn-guard on a copy of each template in which each such parameter a resource
references is replaced by a placeholder of the type the platform contract publishes under that
name (`scripts/compliance_guard.py`, `PLACEHOLDERS`): a KMS key ARN for `key-arn`, an SNS topic
ARN for `alarm-topic-arn`, a VPC id, subnet ids (with `Fn::Split`/`Fn::Select` over them
evaluated), the cluster name, the ownership tags; an unknown parameter fails the run. A log
group's `KmsKeyId` or a queue's `KmsMasterKeyId` then reads as the customer-managed key it is
deployed with, so `cloudwatch_log_group_encrypted_check` (CT.CLOUDWATCH.PR.3) and
`sqs_queue_encrypted_check` (CT.SQS.PR.2) are evaluated and pass.

**Known false positive of the Control Tower rules.** cfn-guard evaluates the template as
written: a Lambda permission whose `SourceArn` is built with `Fn::Join` (API Gateway's
`arn:...:execute-api:region:account:api-id/stage/METHOD/path`, as aws-cdk-lib writes it) is
read as having no source ARN, so `lambda_function_public_access_prohibited_check`
(CT.LAMBDA.PR.2) reports permissions that are scoped to one API method.
"""


def _parse_targets(values: Sequence[str]) -> list[tuple[str, str]]:
    targets = []
    for value in values:
        app, _, profile = value.partition(":")
        if app not in APPS or profile not in ("dev", "prod"):
            raise SystemExit(f"--app {value!r}: expected <{'|'.join(APPS)}>:<dev|prod>")
        targets.append((app, profile))
    return targets


def main(argv: Sequence[str] | None = None) -> int:
    """Collect findings, write the document (and optionally the findings as JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--positions", type=Path, default=DEFAULT_POSITIONS)
    parser.add_argument("--json", type=Path, help="also write every finding as JSON here")
    parser.add_argument("--app", action="append", help="app:profile (default: sample:dev/prod)")
    parser.add_argument("--no-checkov", action="store_true", help="leave checkov out")
    parser.add_argument(
        "--from-json", type=Path, help="render findings collected earlier (--json) instead"
    )
    args = parser.parse_args(argv)
    positions = load_positions(args.positions)  # fail on a bad positions file before synth
    targets = _parse_targets(args.app or ["sample:dev", "sample:prod"])
    if args.from_json:
        data = json.loads(args.from_json.read_text())
        findings = [Finding(**entry) for entry in data["findings"]]
        coverage = [
            Coverage(**{**entry, "templates": tuple(entry["templates"])})
            for entry in data["coverage"]
        ]
    else:
        findings, coverage = collect(targets, checkov=not args.no_checkov)
    if args.json:
        data = {
            "findings": [asdict(f) for f in findings],
            "coverage": [asdict(c) for c in coverage],
        }
        args.json.write_text(json.dumps(data, indent=1) + "\n")
    check_coverage(coverage, targets)  # after writing the JSON: it shows what did run
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        render(findings, positions, coverage=coverage, header=_HEADER, intro=_INTRO)
    )
    for app, profile in targets:
        counts: dict[str, int] = defaultdict(int)
        for finding in findings:
            if finding.app == app and finding.profile == profile and finding.status == "found":
                counts[finding.rule_set] += 1
        summary = ", ".join(f"{key} {count}" for key, count in sorted(counts.items()))
        print(f"{app} {profile}: {summary or 'no findings'}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
