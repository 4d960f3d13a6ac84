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
    for name, template in sample.templates.items():
        assert (tmp_path / f"{name}.template.json").read_text() == (
            sample.outdir / f"{name}.template.json"
        ).read_text()
        assert json.loads((tmp_path / f"{name}.template.json").read_text()) == template
