"""Shared test support: Apps built with cdk.json's context, synthesis, normalisation, linting."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import aws_cdk as cdk

ROOT = Path(__file__).resolve().parent.parent
CDK_JSON = ROOT / "cdk.json"
PROFILES = ("dev", "prod")


@cache
def _cdk_json_context() -> dict[str, Any]:
    return dict(json.loads(CDK_JSON.read_text())["context"])


def cdk_context(**overrides: Any) -> dict[str, Any]:
    """Exactly the context ``cdk synth`` gives the app (cdk.json's), plus ``overrides``."""
    context = dict(_cdk_json_context())
    context.update(overrides)
    return context


def make_app(*, outdir: str | None = None, **context: Any) -> cdk.App:
    """An App with cdk.json's feature flags and context (a bare ``App()`` would ignore them)."""
    return cdk.App(context=cdk_context(**context), outdir=outdir)


def make_stack(
    app: cdk.App | None = None, stack_id: str = "TestStack", **context: Any
) -> cdk.Stack:
    """A stack in a new App built by :func:`make_app`."""
    return cdk.Stack(app or make_app(**context), stack_id)


_ASSET_HASH = re.compile(r"\b[0-9a-f]{64}\b")
_VERSION_ID = re.compile(r"(CurrentVersion)[0-9A-Fa-f]+")


def normalize(template: dict[str, Any]) -> dict[str, Any]:
    """Scrub the true noise from a template: asset hashes and Lambda version logical ids.

    Both change with every byte of handler code; a separate test proves that a code change
    does produce a new version.
    """
    text = json.dumps(template, sort_keys=True)
    text = _ASSET_HASH.sub("<asset-hash>", text)
    text = _VERSION_ID.sub(r"\1<hash>", text)
    return dict(json.loads(text))


def lint_errors(template: dict[str, Any], regions: Iterable[str] = ("us-east-1",)) -> list[str]:
    """cfn-lint errors (not warnings) for ``template``, one line each."""
    from cfnlint.api import ManualArgs, lint

    matches = lint(
        json.dumps(template),
        config=ManualArgs(regions=list(regions), include_checks=["I"]),
    )
    return [
        f"{match.rule.id} {'/'.join(str(p) for p in match.path)}: {match.message}"
        for match in matches
        if match.rule.id.startswith("E")
    ]


def synth_compliant(app: cdk.App) -> dict[str, dict[str, Any]]:
    """Synthesize ``app`` behind both compliance gates and return its templates by stack name.

    cdk-nag AwsSolutions is attached as a validation plugin (an unacknowledged error makes
    ``synth()`` raise ``ValidationFailed``); every template must then be free of cfn-lint errors.
    """
    from cdk_nag import AwsSolutionsChecks

    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    templates = {stack.stack_name: stack.template for stack in assembly.stacks}
    problems = {name: lint_errors(template) for name, template in templates.items()}
    assert not any(problems.values()), json.dumps(problems, indent=1)
    return templates
