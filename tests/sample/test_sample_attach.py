"""The sample's service stack needs nothing of the platform stack but its published name.

The dev synthesis (``dev_sample``, behind every gate) holds the service stack three times: the
laptop one beside the platform stack, and one per pipeline stage, each stage a cloud assembly
of its own with no platform stack in it.
"""

from __future__ import annotations

import json

import pytest

from tests.cdk_support import STAGE_STACKS


@pytest.mark.parametrize(
    ("stack", "profile"),
    [*STAGE_STACKS.items(), ("OrdersService", "dev")],
)
def test_the_service_stack_needs_nothing_of_a_platform_stack(dev_sample, stack, profile):
    """Each pipeline stage synthesizes the service alone, into its own cloud assembly (no
    platform stack in it); the laptop service stack sits beside the platform stack and still
    only reads what it publishes."""
    if stack in STAGE_STACKS:
        stage = stack.partition("-")[0]
        (assembly,) = dev_sample.outdir.glob(f"assembly-*-{stage}")
        assert len(list(assembly.glob("*.template.json"))) == 1  # the service stack alone
    template = dev_sample.templates[stack]
    body = json.dumps(template)
    assert "Fn::GetStackOutput" not in body
    assert "Fn::ImportValue" not in body
    types = {r["Type"] for r in template["Resources"].values()}
    assert not types & {"AWS::EC2::VPC", "AWS::ECS::Cluster", "AWS::KMS::Key"}
    defaults = {p.get("Default") for p in template["Parameters"].values()}
    assert f"/modern-app-constructs/platform/orders-{profile}/key-arn" in defaults


def test_the_sample_platform_publishes_the_name_the_service_attaches_to(sample):
    platform = sample.templates["OrdersPlatform"]
    names = {
        r["Properties"]["Name"]
        for r in platform["Resources"].values()
        if r["Type"] == "AWS::SSM::Parameter"
    }
    service = sample.templates["OrdersService"]
    defaults = {
        p["Default"] for name, p in service["Parameters"].items() if name != "BootstrapVersion"
    }
    assert defaults <= names
    assert f"/modern-app-constructs/platform/orders-{sample.profile}/contract-version" in names
    assert service["Metadata"]["modern-app-constructs"]["contract-version"] == "1.0"
