"""A platform stack with an explicit account and region synthesizes without credentials.

Its VPC would look the availability zones up in the account (a context lookup, which ``cdk
synth`` performs with credentials); given as ``availability_zones=`` or as the
``modern-app-constructs:availabilityZones`` context value, no lookup is needed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2

from modern_app_constructs import InvalidPropError, PlatformEnvironment
from tests.cdk_support import ROOT, make_app

ENV = cdk.Environment(account="222222222222", region="eu-west-1")
ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
#: The context entry the stack's zone lookup reads (and ``cdk.context.json`` caches).
LOOKUP_KEY = "availability-zones:account=222222222222:region=eu-west-1"


def _synth(app: cdk.App, stack: cdk.Stack) -> tuple[list[str], set[str]]:
    """The missing context lookups of the synthesis, and the zones of the stack's subnets."""
    assembly = app.synth()
    manifest = json.loads((Path(assembly.directory) / "manifest.json").read_text())
    missing = [entry["key"] for entry in manifest.get("missing", [])]
    template = assembly.get_stack_by_name(stack.stack_name).template
    zones = {
        resource["Properties"]["AvailabilityZone"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::EC2::Subnet"
    }
    return missing, zones


def test_without_zones_an_explicit_account_needs_a_lookup():
    app = make_app()
    stack = cdk.Stack(app, "Platform", env=ENV)
    PlatformEnvironment(stack, "Env", team="t", application="a")
    missing, _ = _synth(app, stack)
    assert missing == ["availability-zones:account=222222222222:region=eu-west-1"]


def test_zones_in_the_context_need_no_lookup():
    app = make_app(**{LOOKUP_KEY: ZONES})
    stack = cdk.Stack(app, "Platform", env=ENV)
    PlatformEnvironment(stack, "Env", team="t", application="a")
    missing, zones = _synth(app, stack)
    assert missing == []
    assert zones == set(ZONES[:2])  # the first max_azs (2) of the stack's zones


def test_given_zones_pin_the_vpc():
    app = make_app(**{LOOKUP_KEY: ZONES})
    stack = cdk.Stack(app, "Platform", env=ENV)
    platform = PlatformEnvironment(
        stack, "Env", team="t", application="a", availability_zones=["eu-west-1a", "eu-west-1c"]
    )
    missing, zones = _synth(app, stack)
    assert missing == []
    assert zones == {"eu-west-1a", "eu-west-1c"}
    published = stack.resolve(platform.contract_parameters["az-count"].node.default_child.value)
    assert published == "2"


def test_given_zones_in_an_env_agnostic_stack():
    app = make_app()
    stack = cdk.Stack(app, "Platform")
    PlatformEnvironment(stack, "Env", team="t", application="a", availability_zones=ZONES)
    missing, zones = _synth(app, stack)
    assert missing == []
    assert zones == set(ZONES)


@pytest.mark.parametrize(
    ("kwargs", "prop"),
    [
        ({"availability_zones": []}, "availability_zones"),
        ({"availability_zones": "eu-west-1a"}, "availability_zones"),
        ({"availability_zones": ["eu-west-1a", "eu-west-1a"]}, "availability_zones"),
        ({"availability_zones": ["us-east-1a"]}, "availability_zones"),  # another region
        ({"availability_zones": ["west"]}, "availability_zones"),
        ({"availability_zones": [f"eu-west-1{c}" for c in "abcdefg"]}, "availability_zones"),
        ({"availability_zones": ZONES, "max_azs": 2}, "max_azs"),
        ({"max_azs": 0}, "max_azs"),
    ],
)
def test_invalid_zones_are_rejected(kwargs, prop):
    stack = cdk.Stack(make_app(), "Platform", env=ENV)
    with pytest.raises(InvalidPropError) as raised:
        PlatformEnvironment(stack, "Env", team="t", application="a", **kwargs)
    assert raised.value.prop == prop


def test_zones_and_an_own_vpc_are_rejected():
    stack = cdk.Stack(make_app(), "Platform", env=ENV)
    vpc = ec2.Vpc(stack, "Own", availability_zones=ZONES[:2])
    with pytest.raises(InvalidPropError, match="only for a created VPC") as raised:
        PlatformEnvironment(
            stack, "Env", team="t", application="a", vpc=vpc, availability_zones=ZONES[:2]
        )
    assert raised.value.prop == "availability_zones"


APP = """
import aws_cdk as cdk
from modern_app_constructs import PlatformEnvironment

app = cdk.App()
stack = cdk.Stack(
    app, "ShopPlatform", env=cdk.Environment(account="222222222222", region="eu-west-1")
)
PlatformEnvironment(stack, "Platform", team="payments", application="shop")
app.synth()
"""
#: The platform team's cdk.json: the region's zones committed, as a lookup would cache them.
CDK_JSON = {"context": {LOOKUP_KEY: ZONES}}


def test_cdk_synth_of_an_explicit_account_platform_needs_no_credentials(tmp_path: Path):
    """The CLI, with no AWS variable, no shared config and no instance metadata to fall back to.

    The platform team commits the region's zones in cdk.json; its stack has an explicit account.
    Without them, the synthesis asks for the lookup (``test_without_zones_...``), which the CLI
    performs with credentials.
    """
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    (tmp_path / "cdk.json").write_text(json.dumps(CDK_JSON))
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name != "HOME"
    }
    environment.update(
        HOME=str(tmp_path),
        AWS_EC2_METADATA_DISABLED="true",
        CDK_DISABLE_VERSION_CHECK="1",
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
    )
    result = subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "cdk"),
            "synth",
            "--quiet",
            "--app",
            f"{sys.executable} app.py",
            "--output",
            str(tmp_path / "cdk.out"),
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "credentials" not in result.stderr
    assert (tmp_path / "cdk.out" / "ShopPlatform.template.json").exists()
    assert not (tmp_path / "cdk.context.json").exists()  # nothing was looked up
