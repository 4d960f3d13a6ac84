"""Whole-template snapshots of every stack of the sample app, in every profile.

The dev synthesis holds the pipeline and the service stacks of its Dev and Prod stages;
``-c profile=prod`` the platform and service stacks alone. checkov reads these snapshots
(``tests/repository/test_checkov_gate.py``): a test here proves each is the template synthesized.

Re-record on purpose with ``make snapshots`` and read the diff before committing it.
"""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest

from modern_app_constructs.testing import cdk_json_context, normalize
from tests.cdk_support import CDK_JSON, SAMPLE_STACKS


@pytest.mark.parametrize(
    ("sample", "stack_name"),
    [(profile, stack) for profile, stacks in SAMPLE_STACKS.items() for stack in stacks],
    indirect=["sample"],
)
def test_stack_snapshot(sample, stack_name, template_snapshot):
    template = sample.templates[stack_name]
    # normalising must keep every resource: checkov reads the snapshot for the template
    assert len(normalize(template)["Resources"]) == len(template["Resources"])
    assert template == template_snapshot


def test_synthesis_is_deterministic(dev_sample, tmp_path):
    """A second, plain synthesis (no gates, no validation) gives the same templates, byte for byte.

    The dev synthesis is the one with every kind of stack: both profiles' service stacks (the
    pipeline's Dev and Prod stages), the platform and the pipeline.
    """
    from sample_app.app import build

    sample = dev_sample
    app = cdk.App(
        context={**cdk_json_context(CDK_JSON), "profile": "dev"},
        outdir=str(tmp_path),
        builtin_cloud_formation_validation=False,  # validation reads, it never changes a template
    )
    build(app)
    app.synth()
    gated = {p.relative_to(sample.outdir) for p in sample.outdir.rglob("*.template.json")}
    plain = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.template.json")}
    assert gated == plain
    assert len(plain) == len(sample.templates) == len(SAMPLE_STACKS["dev"])  # stages included
    for path in plain:
        assert (tmp_path / path).read_text() == (sample.outdir / path).read_text(), path
    for name, template in sample.templates.items():
        if (tmp_path / f"{name}.template.json").exists():
            assert json.loads((tmp_path / f"{name}.template.json").read_text()) == template
