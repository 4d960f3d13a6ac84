"""Test support for CDK apps built with modern-app-constructs (install the ``testing`` extra).

``pip install "modern-app-constructs[testing]"`` brings pytest, syrupy, cdk-nag and cfn-lint.
What a service team's test suite needs, in one place:

- :func:`app_for_tests`: an ``App`` with the project's own ``cdk.json`` context (a bare
  ``App()`` ignores its feature flags and synthesizes different templates);
- :func:`assert_compliant`: one synthesis behind cdk-nag (AwsSolutions plus the packs you name)
  and cfn-lint, a readable error listing every unacknowledged finding, and the templates by
  stack name so the rest of the suite reuses that one synthesis;
- :func:`cfn_lint_errors`: cfn-lint's errors in a template you hold outside an app;
- :func:`normalize` and the ``template_snapshot`` fixture: whole-template syrupy snapshots as
  readable JSON with only true noise scrubbed (asset hashes, Lambda version logical ids).

A typical ``tests/conftest.py``::

    import pytest
    from modern_app_constructs.testing import app_for_tests, assert_compliant

    from my_service.app import build

    pytest_plugins = ["modern_app_constructs.testing"]  # the template_snapshot fixture


    @pytest.fixture(scope="session")
    def templates():
        app = app_for_tests(cfn_lint=True)  # cfn-lint instead of the built-in validation
        build(app)
        return assert_compliant(app)

and a test module::

    @pytest.mark.parametrize("stack", ["Platform", "Service"])
    def test_snapshot(templates, stack, template_snapshot):
        assert templates[stack] == template_snapshot

Register the ``template_snapshot`` fixture with ``pytest_plugins =
["modern_app_constructs.testing"]`` in the top ``conftest.py``. (PYTEST_DONT_REWRITE: this
module raises its own errors; pytest need not rewrite its asserts.)
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aws_cdk as cdk
from constructs import IConstruct

from ._lint import app_state, lint_template

try:
    import pytest
    from syrupy.extensions.json import JSONSnapshotExtension
except ImportError as error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "modern_app_constructs.testing needs the 'testing' extra: "
        "pip install 'modern-app-constructs[testing]'"
    ) from error

if TYPE_CHECKING:
    from syrupy.assertion import SnapshotAssertion
    from syrupy.types import PropertyFilter, PropertyMatcher, SerializableData, SerializedData

__all__ = [
    "ComplianceError",
    "Finding",
    "TemplateSnapshotExtension",
    "app_for_tests",
    "assert_compliant",
    "assert_no_breaking_changes",
    "cdk_json_context",
    "cfn_lint_errors",
    "find_cdk_json",
    "normalize",
    "record_baseline",
    "template_snapshot",
]

TemplateJson = dict[str, Any]
NagPackFactory = Callable[[IConstruct], cdk.IPolicyValidationPlugin]

_REPORT_FILES = ("validation-report.json", "policy-validation-report.json")
_FAILING_SEVERITIES = frozenset({"error", "fatal", ""})


# --- Apps with the project's cdk.json context -------------------------------------------------


def find_cdk_json(start: str | Path) -> Path:
    """The nearest ``cdk.json`` at or above ``start`` (a directory, a file, or cdk.json itself).

    Raises:
        FileNotFoundError: no ``cdk.json`` in ``start`` or any directory above it.
    """
    here = Path(start).resolve()
    if here.is_file() and here.name == "cdk.json":
        return here
    directory = here if here.is_dir() else here.parent
    for candidate in (directory, *directory.parents):
        cdk_json = candidate / "cdk.json"
        if cdk_json.is_file():
            return cdk_json
    raise FileNotFoundError(
        f"no cdk.json in {directory} or any directory above it; app_for_tests() reads the "
        "context `cdk synth` would use from the project's cdk.json: pass path= to the project "
        "(or to its cdk.json)"
    )


def cdk_json_context(cdk_json: str | Path) -> dict[str, Any]:
    """The context ``cdk synth`` gives an app of the project whose ``cdk.json`` this is.

    ``cdk.json``'s ``context`` over ``cdk.context.json`` beside it (cached lookups), as the CDK
    CLI merges them.
    """
    path = Path(cdk_json)
    context: dict[str, Any] = {}
    cached = path.with_name("cdk.context.json")
    if cached.is_file():
        context.update(json.loads(cached.read_text()))
    context.update(json.loads(path.read_text()).get("context", {}))
    return context


def app_for_tests(
    path: str | Path | None = None,
    *,
    outdir: str | Path | None = None,
    cfn_lint: bool = False,
    **context: Any,
) -> cdk.App:
    """An ``App`` with the project's ``cdk.json`` context (its feature flags), plus ``context``.

    A bare ``App()`` in a test ignores ``cdk.json``: its templates differ from what
    ``cdk synth`` deploys. This one finds the nearest ``cdk.json`` above the calling test file
    (or above ``path``) and builds the App with that context.

    Args:
        path: where to look for ``cdk.json`` (a directory, a file in the project, or the
            ``cdk.json`` itself). Default: the directory of the file that calls this function.
        outdir: the cloud assembly directory. Default: a new temporary directory.
        cfn_lint: lint every synthesis of this app with cfn-lint (an error fails the
            synthesis, reported with its construct path) *instead of* aws-cdk-lib's built-in
            CloudFormation validation, which costs ~3 s per process. Use it for the app you
            hand to :func:`assert_compliant`. Default: ``False`` (the built-in validation, as
            ``cdk synth`` runs it).
        **context: context values over ``cdk.json``'s, like ``cdk synth -c key=value``.

    Raises:
        FileNotFoundError: no ``cdk.json`` at or above the starting directory.
    """
    start = Path(path) if path is not None else Path(sys._getframe(1).f_code.co_filename)
    settings = {**cdk_json_context(find_cdk_json(start)), **context}
    app = cdk.App(
        context=settings,
        outdir=None if outdir is None else str(outdir),
        builtin_cloud_formation_validation=not cfn_lint,
    )
    if cfn_lint:
        app_state(app).attach_lint()
    return app


# --- Normalisation and snapshots --------------------------------------------------------------

_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
# CDK Pipelines' `cdk-assets publish "<hash>:<account>-<region>-<suffix>"`: the suffix is
# derived from the asset's hash too, so both change with every byte of asset content
_PUBLISH_DESTINATION = re.compile(
    r"\b[0-9a-f]{64}:([0-9]{12}|current_account)-([a-z0-9-]+?|current_region)-[0-9a-f]{8}\b"
)
_VERSION_ID = re.compile(r"(CurrentVersion)[0-9A-Fa-f]+")


def normalize(template: Mapping[str, Any]) -> TemplateJson:
    """Scrub the true noise from a template: asset hashes and Lambda version logical ids.

    Asset hashes wherever CDK writes them: S3 keys, image tags, and the asset-publishing
    commands of a pipeline's build (``cdk-assets publish "<hash>:<account>-<region>-<hash>"``).
    All change with every byte of handler code; keep a separate test proving that a code
    change does produce a new version (the canary mechanism). Keys come out sorted.
    """
    text = json.dumps(template, sort_keys=True)
    text = _PUBLISH_DESTINATION.sub(r"<asset-hash>:\1-\2-<hash>", text)
    text = _ASSET_HASH.sub("<asset-hash>", text)
    text = _VERSION_ID.sub(r"\1<hash>", text)
    return dict(json.loads(text))


class TemplateSnapshotExtension(JSONSnapshotExtension):
    """Syrupy extension: one readable JSON file per snapshot of a template, normalised.

    Compares a template (a dict, or an ``aws_cdk.assertions.Template``) after
    :func:`normalize`; re-record on purpose with ``pytest --snapshot-update`` and read the diff.
    """

    def serialize(
        self,
        data: SerializableData,
        *,
        exclude: PropertyFilter | None = None,
        include: PropertyFilter | None = None,
        matcher: PropertyMatcher | None = None,
    ) -> SerializedData:
        """The normalised template as indented JSON with sorted keys."""
        if isinstance(data, cdk.assertions.Template):
            data = data.to_json()
        if not isinstance(data, Mapping):
            raise TypeError(
                f"template_snapshot compares CloudFormation templates (a dict or an "
                f"aws_cdk.assertions.Template), got {type(data).__name__}"
            )
        return super().serialize(normalize(data), exclude=exclude, include=include, matcher=matcher)


@pytest.fixture
def template_snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Syrupy's ``snapshot`` storing normalised templates (:class:`TemplateSnapshotExtension`).

    Make it available with ``pytest_plugins = ["modern_app_constructs.testing"]`` in the top
    ``conftest.py``. One file per test (``__snapshots__/<module>/<test>.json``); name further
    snapshots in the same test with ``template_snapshot(name="Service")``.
    """
    return snapshot.use_extension(TemplateSnapshotExtension)


# --- Compliance gates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One unacknowledged error in a validation report.

    Attributes:
        plugin: the rule pack or tool that reported it (``AwsSolutions``, ``cfn-lint``, ...).
        rule: the rule id, e.g. ``AwsSolutions-SQS4`` or ``E3034``.
        path: the construct path of the offending resource (with its logical id when known).
        description: what is wrong.
    """

    plugin: str
    rule: str
    path: str
    description: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.plugin}) at {self.path}: {self.description}"


class ComplianceError(AssertionError):
    """An app failed a compliance gate: cdk-nag or cfn-lint reported unacknowledged errors.

    Attributes:
        findings: every unacknowledged error, in report order.
        report: the validation report the synthesis wrote.
    """

    def __init__(self, findings: Iterable[Finding], report: Path | None) -> None:
        self.findings = tuple(findings)
        self.report = report
        lines = [f"{len(self.findings)} unacknowledged finding(s):"]
        lines += [f"  - {finding}" for finding in self.findings]
        lines.append(
            "Fix the resource, or acknowledge a cdk-nag finding you accept, on the construct "
            "that causes it: modern_app_constructs.acknowledge(construct, rule, reason)."
        )
        if report is not None:
            lines.append(f"Full report: {report}")
        super().__init__("\n".join(lines))


def assert_compliant(
    app: cdk.App,
    packs: Iterable[NagPackFactory] = (),
    *,
    lint_region: str | None = None,
    skip_lint: Iterable[cdk.Stack] = (),
) -> dict[str, TemplateJson]:
    """Synthesize ``app`` once behind cdk-nag and cfn-lint; return its templates by stack name.

    cdk-nag's ``AwsSolutionsChecks`` and every pack in ``packs`` are attached as validation
    plugins, and so is cfn-lint (unless :func:`app_for_tests` with ``cfn_lint=True`` already
    did): all of them run in the one synthesis. Any unacknowledged cdk-nag error or cfn-lint
    error raises :class:`ComplianceError` listing each finding with its construct path.
    Reuse the returned templates for snapshots and assertions (``Template.from_json``)
    instead of synthesizing again.

    Args:
        app: an app that has not been through this function before.
        packs: more cdk-nag packs, as classes (or any callable taking the app and returning a
            validation plugin), e.g. ``(cdk_nag.ServerlessChecks,)``.
        lint_region: the region cfn-lint checks resource types and values against. Default:
            each stack's own region, ``us-east-1`` for an environment-agnostic stack.
        skip_lint: stacks of ``app`` that cfn-lint leaves out (cdk-nag still checks them),
            e.g. a platform stack built beside the service under test whose own tests lint
            it: cfn-lint costs ~30 ms a resource. Default: none (every stack is linted).

    Raises:
        ComplianceError: a gate reported an unacknowledged error.
        ValueError: ``app`` went through ``assert_compliant`` before, or a stack in
            ``skip_lint`` is not one of its stacks.
    """
    from cdk_nag import AwsSolutionsChecks

    state = app_state(app)
    if state.gated:
        raise ValueError(
            "assert_compliant() already ran on this app: reuse the templates it returned"
        )
    skipped: set[str] = set()
    for stack in skip_lint:
        if not isinstance(stack, cdk.Stack):
            raise ValueError(
                f"assert_compliant(skip_lint=...): {stack!r} is not a cdk.Stack; give stacks "
                "of the app being gated"
            )
        if stack.node.root is not app:
            raise ValueError(
                f"assert_compliant(skip_lint=...): {stack.node.path} is not a stack of this "
                "app; give stacks of the app being gated"
            )
        skipped.add(stack.node.path)
    state.gated = True
    factories = [AwsSolutionsChecks, *(p for p in packs if p is not AwsSolutionsChecks)]
    # cfn-lint first (it lints in the background while cdk-nag runs), its results last
    lint, lint_results = state.attach_deferred_lint(region=lint_region, skip=skipped)
    plugins = [factory(app) for factory in factories]
    cdk.Validations.of(app).add_plugins(*plugins, lint_results)
    runs = lint.runs
    try:
        assembly = app.synth()
        if lint.runs == runs:
            # The app had been synthesized before (e.g. by Template.from_stack): the gates
            # only run in a new synthesis.
            assembly = app.synth(force=True)
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
        report = _report_path(app.outdir)
        findings = _failures(report) if report else []
        raise ComplianceError(findings or [_unreadable(error)], report) from None
    return {
        artifact.stack_name: json.loads(Path(artifact.template_full_path).read_text())
        for artifact in assembly.stacks_recursively  # stacks of nested stages too
    }


def _report_path(outdir: str) -> Path | None:
    for name in _REPORT_FILES:
        report = Path(outdir) / name
        if report.is_file():
            return report
    return None


def _failures(report: Path) -> list[Finding]:
    findings = []
    for plugin in json.loads(report.read_text()).get("pluginReports", []):
        if plugin.get("conclusion") != "failure":
            continue
        for violation in plugin.get("violations", []):
            if str(violation.get("severity", "")).lower() not in _FAILING_SEVERITIES:
                continue
            for construct in violation.get("violatingConstructs", []) or [{}]:
                resource = construct.get("cloudFormationResource") or {}
                path = construct.get("constructPath", "?")
                if resource.get("logicalId"):
                    path += f" ({resource['logicalId']})"
                for location in resource.get("propertyPaths", []):
                    path += f" [{location}]"
                findings.append(
                    Finding(
                        plugin=plugin.get("pluginName", "?"),
                        rule=violation.get("ruleName", "?"),
                        path=path,
                        description=violation.get("description", ""),
                    )
                )
    return findings


def _unreadable(error: RuntimeError) -> Finding:
    return Finding(plugin="synthesis", rule="ValidationFailed", path="-", description=str(error))


def cfn_lint_errors(template: Mapping[str, Any] | str, *, region: str = "us-east-1") -> list[str]:
    """cfn-lint's errors (not warnings) in one template, one line each: ``rule path: message``.

    For a template you hold outside an app (an integ app's output, a file); an app's own
    templates are linted by :func:`app_for_tests` (``cfn_lint=True``) and
    :func:`assert_compliant`. The rules load once per process and a template already linted
    in this process is not linted again.

    Args:
        template: the template, as a dict or as its JSON text.
        region: the region resource types and values are checked against. Default:
            ``us-east-1``.
    """
    text = template if isinstance(template, str) else json.dumps(template)
    return [
        f"{rule} {'/'.join(path)}: {message}" for rule, message, path in lint_template(text, region)
    ]


def assert_no_breaking_changes(
    app_or_assembly_dir: cdk.App | str | Path,
    baseline: str | Path = "tests/baseline",
    accept: str | Path | None = None,
) -> None:
    """Fail when the app's change from a committed baseline assembly is blocking.

    The check ``python -m modern_app_constructs review`` makes (a stateful resource replaced or
    removed without retention, a permission or network exposure widened, a protection switched
    off), against the assembly recorded with :func:`record_baseline`.

    Args:
        app_or_assembly_dir: a ``cdk.App`` (synthesized here) or a cloud assembly directory.
        baseline: the committed baseline assembly. Default: ``tests/baseline``.
        accept: an accept file (JSON or TOML) naming deliberate changes with a reason.
            Default: none.

    Raises:
        AssertionError: listing every blocking change, or saying how to record a baseline.
    """
    from ._review import check_against_baseline

    check_against_baseline(app_or_assembly_dir, baseline, accept)


def record_baseline(assembly_dir: str | Path, baseline: str | Path = "tests/baseline") -> Path:
    """Record (or update) the baseline: a copy of ``assembly_dir`` without its assets.

    Record it after a release ships (``cdk synth``, then
    ``record_baseline("cdk.out")`` from a Python prompt or script) and commit it.

    Args:
        assembly_dir: the cloud assembly ``cdk synth`` wrote.
        baseline: where to keep it. Default: ``tests/baseline``.
    """
    from ._review import record_baseline as record

    return record(assembly_dir, baseline)
