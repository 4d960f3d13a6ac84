"""cfn-lint as a CDK validation plugin, and what makes it cheap in a test suite.

The speed machinery behind ``modern_app_constructs.testing`` (its public functions are there):
cfn-lint's rules load in a background thread from the moment a plugin exists; under
``assert_compliant`` the lint runs in a thread while cdk-nag runs on the Node side, and a
second plugin attached after the cdk-nag packs reports it; each (template, region) is linted
once per process. Needs ``cfn-lint`` (the ``testing`` extra), imported only when a lint runs.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii

__all__ = [
    "DEFAULT_LINT_REGION",
    "AppState",
    "CfnLintPlugin",
    "CfnLintResults",
    "app_state",
    "lint_template",
]

#: The region cfn-lint checks an environment-agnostic stack against.
DEFAULT_LINT_REGION = "us-east-1"

# (rule id, message, template path, stack construct path, path inside the template)
_LintFinding = tuple[str, str, str, str, tuple[str, ...]]
# (template path, stack construct path, region)
_LintTarget = tuple[str, str, str]


class _CfnLintIdentity:
    """What both cfn-lint plugins report as: the name in the validation report, no rule list."""

    @property
    def name(self) -> str:
        return "cfn-lint"

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    @property
    def version(self) -> str | None:
        return None


@jsii.implements(cdk.IPolicyValidationPlugin)
class CfnLintPlugin(_CfnLintIdentity):
    """cfn-lint over every template of a synthesis; its errors are violations in the report.

    cfn-lint and its rules load in a background thread from the moment the plugin exists, so
    the loading overlaps with building and synthesizing the app. Under :func:`assert_compliant`
    the plugin runs first and lints in a background thread while cdk-nag runs on the Node side;
    :class:`CfnLintResults`, attached after the cdk-nag packs, reports what it found.
    """

    def __init__(self) -> None:
        self.region: str | None = None
        self.skip: frozenset[str] = frozenset()  # construct paths of stacks not linted
        self.runs = 0
        self.deferred = False
        self._pending: _Background | None = None
        self._warm = threading.Thread(target=_cfn_lint_rules, daemon=True)
        self._warm.start()

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        self.runs += 1
        targets = [
            (
                stack.template_path,
                stack.stack_construct_path,
                self.region or _concrete(stack.region) or DEFAULT_LINT_REGION,
            )
            for stack in context.stack_templates
            if stack.stack_construct_path not in self.skip
        ]
        if self.deferred:
            self._pending = _Background(lambda: self._lint(targets))
            return cdk.PolicyValidationPluginReport(success=True, violations=[])
        return _lint_report(self._lint(targets))

    def results(self) -> cdk.PolicyValidationPluginReport:
        """The findings of the deferred lint of the current synthesis."""
        pending, self._pending = self._pending, None
        return _lint_report(pending.result() if pending is not None else [])

    def _lint(self, targets: list[_LintTarget]) -> list[_LintFinding]:
        self._warm.join()
        return [
            (rule, description, template_path, construct_path, path)
            for template_path, construct_path, region in targets
            for rule, description, path in lint_template(Path(template_path).read_text(), region)
        ]


@jsii.implements(cdk.IPolicyValidationPlugin)
class CfnLintResults(_CfnLintIdentity):
    """Reports what a deferred :class:`CfnLintPlugin` found (attached after cdk-nag)."""

    def __init__(self, lint: CfnLintPlugin) -> None:
        self._lint = lint

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        return self._lint.results()


class _Background:
    """A function running in a thread; ``result()`` waits for it and re-raises its error."""

    def __init__(self, function: Callable[[], list[_LintFinding]]) -> None:
        self._function = function
        self._result: list[_LintFinding] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._function()
        except BaseException as error:  # re-raised in the caller's thread
            self._error = error

    def result(self) -> list[_LintFinding]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result


def _lint_report(findings: list[_LintFinding]) -> cdk.PolicyValidationPluginReport:
    violations = []
    for rule, description, template_path, construct_path, path in findings:
        if path[:1] == ("Resources",) and len(path) > 1:
            resource = cdk.PolicyViolatingResource(
                resource_logical_id=path[1],
                template_path=template_path,
                locations=["/".join(path[2:]) or "/"],
            )
        else:
            resource = cdk.PolicyViolatingResource(
                construct_path=construct_path, locations=["/".join(path) or "/"]
            )
        violations.append(
            cdk.PolicyViolation(
                rule_name=rule,
                description=description,
                severity="error",
                violating_resources=[resource],
            )
        )
    return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)


@functools.cache
def _cfn_lint_rules() -> Any:
    """cfn-lint's rules, loaded once per process (loading them costs more than most lints)."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=[DEFAULT_LINT_REGION])).rules


# A synthesis often repeats templates (a platform stack in many tests, a pipeline's stages in
# every profile): linting costs ~30 ms a resource, so each (text, region) is linted once.
@functools.lru_cache(maxsize=512)
def lint_template(template: str, region: str) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """cfn-lint errors (not warnings) of a template: (rule id, message, path) each."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import run_template_by_data

    data, matches = decode_str(template)
    if not matches:
        config = ConfigMixIn(regions=[region])
        matches = list(run_template_by_data(data, config, _cfn_lint_rules()))
    return tuple(
        (match.rule.id, match.message, tuple(str(part) for part in match.path))
        for match in matches
        if match.rule.id.startswith("E")
    )


def _concrete(value: str | None) -> str | None:
    return value if value and not cdk.Token.is_unresolved(value) else None


@dataclass
class AppState:
    """What ``modern_app_constructs.testing`` attached to one app, and whether it was gated."""

    app: weakref.ref[cdk.App]
    lint: CfnLintPlugin | None = None
    gated: bool = False

    def attach_lint(self, *, region: str | None = None) -> CfnLintPlugin:
        """The app's cfn-lint plugin (attached once)."""
        app = self.app()
        if app is None:  # pragma: no cover - the caller holds the app
            raise RuntimeError("the app is gone")
        if self.lint is None:
            self.lint = CfnLintPlugin()
            cdk.Validations.of(app).add_plugins(self.lint)
        if region is not None:
            self.lint.region = region
        return self.lint

    def attach_deferred_lint(
        self, *, region: str | None, skip: Iterable[str]
    ) -> tuple[CfnLintPlugin, CfnLintResults]:
        """The app's cfn-lint plugin, linting in a thread while later plugins run.

        Attach the returned :class:`CfnLintResults` after those plugins: it reports the lint.

        Args:
            region: the region to lint against; ``None`` for each stack's own.
            skip: construct paths of stacks left out of the lint.
        """
        lint = self.attach_lint(region=region)
        lint.deferred = True
        lint.skip = frozenset(skip)
        return lint, CfnLintResults(lint)


_STATES: weakref.WeakKeyDictionary[cdk.App, AppState] = weakref.WeakKeyDictionary()


def app_state(app: cdk.App) -> AppState:
    """The :class:`AppState` of ``app`` (created on first use, gone with the app)."""
    if app not in _STATES:
        _STATES[app] = AppState(app=weakref.ref(app))
    return _STATES[app]
