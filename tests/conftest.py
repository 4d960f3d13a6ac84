"""Session fixtures: the sample app is synthesized once per profile, behind the gates."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from modern_app_constructs.testing import app_for_tests, assert_compliant
from tests.cdk_support import GATED_PACKS, PROFILES

pytest_plugins = ["modern_app_constructs.testing"]  # the template_snapshot fixture
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


@dataclass(frozen=True)
class SynthesizedSample:
    """The sample app synthesized in one profile."""

    profile: str
    templates: dict[str, dict[str, Any]]
    outdir: Path


def synth_sample(profile: str, outdir: Path) -> SynthesizedSample:
    """Synthesize the sample app in ``profile`` behind cdk-nag (AwsSolutions, Serverless), cfn-lint.

    Any unacknowledged finding fails the synthesis (the validation report stays in ``outdir``).
    """
    from sample_app.app import build

    app = app_for_tests(outdir=outdir, cfn_lint=True, profile=profile)
    build(app)
    templates = assert_compliant(app, GATED_PACKS)
    return SynthesizedSample(profile=profile, templates=templates, outdir=outdir)


_SAMPLES: dict[str, SynthesizedSample] = {}


def _sample_in(profile: str, tmp_path_factory: pytest.TempPathFactory) -> SynthesizedSample:
    if profile not in _SAMPLES:
        outdir = tmp_path_factory.mktemp(f"sample-{profile}")
        _SAMPLES[profile] = synth_sample(profile, outdir)
    return _SAMPLES[profile]


@pytest.fixture(scope="session", params=PROFILES)
def sample(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The sample app, synthesized once per profile for the whole session."""
    return _sample_in(request.param, tmp_path_factory)


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthesizedSample]:
    """The sample app in every profile, by profile: the same synthesis ``sample`` gives."""
    return {profile: _sample_in(profile, tmp_path_factory) for profile in PROFILES}
