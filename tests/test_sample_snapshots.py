"""Whole-template snapshots of every stack of the sample app, in every profile.

Re-record on purpose with ``make snapshots`` and read the diff before committing it.
"""

from __future__ import annotations

import json

import pytest

from modern_app_constructs.testing import app_for_tests

STACKS = ("OrdersPlatform", "OrdersService", "OrdersPipeline")


@pytest.mark.parametrize("stack_name", STACKS)
def test_stack_snapshot(sample, stack_name, template_snapshot):
    assert sample.templates[stack_name] == template_snapshot


def test_synthesis_is_deterministic(sample, tmp_path):
    """A second, plain synthesis (no gates attached) gives the same templates, byte for byte."""
    from sample_app.app import build

    app = app_for_tests(outdir=tmp_path, profile=sample.profile)
    build(app)
    app.synth()
    gated = {p.relative_to(sample.outdir) for p in sample.outdir.rglob("*.template.json")}
    plain = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.template.json")}
    assert gated == plain
    assert len(plain) == len(sample.templates)  # the pipeline's stage stacks included
    for path in plain:
        assert (tmp_path / path).read_text() == (sample.outdir / path).read_text(), path
    for name, template in sample.templates.items():
        if (tmp_path / f"{name}.template.json").exists():
            assert json.loads((tmp_path / f"{name}.template.json").read_text()) == template
