"""Session fixtures: the sample app is synthesized once per profile, with cdk-nag attached."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from cdk_nag import AwsSolutionsChecks
from syrupy.extensions.json import JSONSnapshotExtension

from tests.cdk_support import PROFILES, make_app

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class SynthesizedSample:
    """The sample app synthesized in one profile."""

    profile: str
    templates: dict[str, dict[str, Any]]
    outdir: Path


def synth_sample(profile: str, outdir: Path) -> SynthesizedSample:
    """Synthesize the sample app in ``profile`` with cdk-nag AwsSolutions as a gate.

    Any unacknowledged cdk-nag error makes ``synth()`` raise (and write a validation report
    into ``outdir``).
    """
    from sample_app.app import build

    app = make_app(outdir=str(outdir), profile=profile)
    sample = build(app)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()
    templates = {
        stack.stack_name: assembly.get_stack_by_name(stack.stack_name).template
        for stack in sample.stacks
    }
    return SynthesizedSample(profile=profile, templates=templates, outdir=outdir)


@pytest.fixture(scope="session", params=PROFILES)
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sample app, synthesized once per profile for the whole session."""
    profile = request.param
    return synth_sample(profile, tmp_path_factory.mktemp(f"sample-{profile}"))


@pytest.fixture
def snapshot_json(snapshot: Any) -> Any:
    """Syrupy snapshots stored as readable JSON files."""
    return snapshot.use_extension(JSONSnapshotExtension)
