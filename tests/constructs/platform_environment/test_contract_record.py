"""Structural contract values: recorded when published, a change refused unless declared.

The declared path (docs/environment-changes.md): a new environment name beside the old one,
services moved, then the old one removed and forgotten by the record.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import aws_cdk as cdk
import pytest

from modern_app_constructs import InvalidPropError, PlatformEnvironment
from modern_app_constructs._cli import main
from modern_app_constructs._contract import CONTRACT_PARAMETERS
from modern_app_constructs._contract_record import (
    RECORD_CONTEXT_KEY,
    STRUCTURAL_KEYS,
    published_in,
    record,
)
from tests.cdk_support import ROOT, make_app

ZONES = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]


def _synth(record_file: Path, outdir: Path, **environments: dict) -> Path:
    """One platform stack per environment name (props as given), synthesized into ``outdir``."""
    app = make_app(outdir=str(outdir), **{RECORD_CONTEXT_KEY: str(record_file)})
    for index, (name, props) in enumerate(environments.items()):
        stack = cdk.Stack(app, f"Platform{index}")
        PlatformEnvironment(stack, "Env", team="t", application="shop", name=name, **props)
    app.synth()
    return outdir


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """The record of "shop-prod", published over 2 AZs in the prod profile."""
    record_file = tmp_path / "platform.contract.json"
    assembly = _synth(record_file, tmp_path / "v1", **{"shop-prod": {"profile": "prod"}})
    record(assembly, record_file)
    return record_file


def test_the_contract_says_which_values_are_structural():
    assert STRUCTURAL_KEYS == ("contract-major", "profile", "log-retention-days", "az-count")
    live = [p.key for p in CONTRACT_PARAMETERS if not p.structural]
    assert {"key-arn", "alarm-topic-arn", "private-subnet-ids"} <= set(live)


def test_the_record_holds_the_structural_values(recorded):
    data = json.loads(recorded.read_text())
    assert data["environments"] == {
        "shop-prod": {
            "contract-major": "1",
            "profile": "prod",
            "log-retention-days": "365",
            "az-count": "2",
        }
    }


def test_going_from_2_to_3_azs_fails_the_platform_synthesis(recorded, tmp_path):
    with pytest.raises(InvalidPropError) as raised:
        _synth(
            recorded,
            tmp_path / "v2",
            **{"shop-prod": {"profile": "prod", "availability_zones": ZONES}},
        )
    assert raised.value.prop == "az-count"
    assert raised.value.value == "3"
    message = str(raised.value)
    assert (
        "services attached to shop-prod were synthesized for 2 AZs; their next deploy fails "
        "the contract rule"
    ) in message
    assert "new name" in message
    assert "docs/environment-changes.md" in message


def test_a_profile_change_fails_too(recorded, tmp_path):
    with pytest.raises(InvalidPropError, match="synthesized for the profile 'prod'") as raised:
        _synth(recorded, tmp_path / "v2", **{"shop-prod": {"profile": "dev"}})
    assert raised.value.prop == "profile"


def test_live_values_change_freely(recorded, tmp_path):
    """Same structure, another cost center and alarm e-mail: nothing services bake in."""
    props = {"profile": "prod", "cost_center": "cc-2", "alarm_email_subscriptions": ("a@b.c",)}
    _synth(recorded, tmp_path / "v2", **{"shop-prod": props})


def test_the_declared_path_a_new_environment_beside_the_old_one(recorded, tmp_path):
    # 1. the platform publishes the 3-AZ environment under a new name, keeping the old one
    both = {
        "shop-prod": {"profile": "prod"},
        "shop-prod-3az": {"profile": "prod", "availability_zones": ZONES},
    }
    assembly = _synth(recorded, tmp_path / "v2", **both)
    record(assembly, recorded)
    environments = json.loads(recorded.read_text())["environments"]
    assert environments["shop-prod"]["az-count"] == "2"
    assert environments["shop-prod-3az"]["az-count"] == "3"
    # 2. services attach to shop-prod-3az (az_count=3) and deploy; 3. the old one is removed
    # from the app, and the record forgets it (a record without it keeps it otherwise)
    assembly = _synth(recorded, tmp_path / "v3", **{"shop-prod-3az": both["shop-prod-3az"]})
    record(assembly, recorded)
    assert "shop-prod" in json.loads(recorded.read_text())["environments"]
    record(assembly, recorded, forget=("shop-prod",))
    assert list(json.loads(recorded.read_text())["environments"]) == ["shop-prod-3az"]
    # the name is free again, for any structure
    _synth(
        recorded, tmp_path / "v4", **{"shop-prod": {"profile": "prod", "availability_zones": ZONES}}
    )


def test_without_a_record_nothing_is_checked(tmp_path):
    _synth(
        tmp_path / "absent.json", tmp_path / "out", **{"shop-prod": {"availability_zones": ZONES}}
    )


def test_the_command_records_and_forgets(recorded, tmp_path):
    assembly = _synth(recorded, tmp_path / "v2", **{"shop-dev": {"profile": "dev"}})
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["contract", "record", str(assembly), "--file", str(recorded), "--forget", "shop-prod"],
        out=out,
        err=err,
    )
    assert (code, err.getvalue()) == (0, "")
    assert "shop-dev: contract-major=1, profile=dev, log-retention-days=30, az-count=2" in (
        out.getvalue()
    )
    assert list(json.loads(recorded.read_text())["environments"]) == ["shop-dev"]


def test_the_command_needs_a_cloud_assembly(tmp_path):
    err = io.StringIO()
    code = main(["contract", "record", str(tmp_path / "nowhere")], out=io.StringIO(), err=err)
    assert code == 2
    assert "is not a cloud assembly" in err.getvalue()


def test_the_sample_publishes_what_its_record_says(sample):
    """The sample commits its record: its synthesis checks against it, and it is up to date."""
    committed = json.loads((ROOT / "platform.contract.json").read_text())["environments"]
    published = published_in(sample.outdir)
    assert published
    for name, values in published.items():
        assert committed[name] == values


def test_the_contract_table_says_which_values_are_structural():
    page = (ROOT / "docs" / "platform.md").read_text()
    for parameter in CONTRACT_PARAMETERS:
        (row,) = [line for line in page.splitlines() if line.startswith(f"| `{parameter.key}` |")]
        assert ("**structural**" in row) == parameter.structural, parameter.key
    assert "(environment-changes.md)" in page
    assert (ROOT / "docs" / "environment-changes.md").is_file()
