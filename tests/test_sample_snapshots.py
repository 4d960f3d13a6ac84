"""Whole-template snapshots of every stack of the sample app, in every profile.

Re-record on purpose with ``make snapshots`` and read the diff before committing it.
"""

from __future__ import annotations

import pytest

from tests.cdk_support import normalize

STACKS = ("OrdersPlatform", "OrdersService", "OrdersPipeline")


@pytest.mark.parametrize("stack_name", STACKS)
def test_stack_snapshot(sample, stack_name, snapshot_json):
    assert normalize(sample.templates[stack_name]) == snapshot_json


def test_synthesis_is_deterministic(sample, tmp_path):
    from tests.conftest import synth_sample

    again = synth_sample(sample.profile, tmp_path)
    assert again.templates == sample.templates
