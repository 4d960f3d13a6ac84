"""Session fixtures: the sample app is synthesized once per profile, behind the gates."""

from __future__ import annotations

import gc
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


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Any:
    """Group the tests for xdist (``make test``: ``-n 2 --dist loadgroup --no-loadscope-reorder``).

    The tests of the sample in one profile share a worker (one synthesis per profile), the
    two profiles run side by side and are sent first, being the longest groups; every other
    module stays on one worker (its module fixtures build once), a module with tests of the
    sample on the worker of its first profile. The groups are marked before xdist reads them
    and the order is set after pytest's own ordering. Without xdist (``-p no:xdist``) only
    the order is set.
    """
    grouped = config.pluginmanager.hasplugin("xdist")
    home: dict[str, str] = {}
    for item in items:
        profile = _profile(item)
        if profile is not None:
            home.setdefault(_module(item), profile)
    rank: dict[int, int] = {}  # by id(): xdist's group suffix changes an item's hash
    for item in items:
        profile = _profile(item) or home.get(_module(item))
        group = f"sample-{profile}" if profile else _module(item)
        if grouped:
            item.add_marker(pytest.mark.xdist_group(group))
        rank[id(item)] = PROFILES.index(profile) if profile else len(PROFILES)
    result = yield
    items.sort(key=lambda item: rank[id(item)])  # stable: otherwise as pytest ordered them
    return result


def _module(item: pytest.Item) -> str:
    return item.nodeid.partition("::")[0]


def _profile(item: pytest.Item) -> str | None:
    """The sample profile a test uses, if any."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "sample" in callspec.params:
        return str(callspec.params["sample"])
    if {"dev_sample", "samples"} & set(getattr(item, "fixturenames", ())):
        return "dev"
    return None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Tune the garbage collector for a suite that allocates a lot and keeps little.

    What is loaded by now (aws-cdk-lib's thousands of classes, the test modules) never becomes
    garbage: ``gc.freeze`` takes it out of every later collection. The higher thresholds make
    the young generation collect per 50,000 allocations instead of 700 and the older ones
    rarely: collections took ~10 s of each worker's CPU, now ~6 s.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


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
def dev_sample(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedSample:
    """The sample app in the dev profile: the same synthesis ``sample`` gives."""
    return _sample_in("dev", tmp_path_factory)


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SynthesizedSample]:
    """The sample app in every profile at once (the syntheses ``sample`` gives), by profile."""
    return {profile: _sample_in(profile, tmp_path_factory) for profile in PROFILES}
