"""Lambda assets hash only what ships: byte-code caches never change an asset (or a snapshot)."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from modern_app_constructs import asset_code
from modern_app_constructs.testing import app_for_tests


def s3_key(source) -> str:
    stack = cdk.Stack(app_for_tests(), "Assets")
    lambda_.Function(
        stack,
        "Fn",
        code=asset_code(source),
        handler="app.handler",
        runtime=lambda_.Runtime.PYTHON_3_14,
    )
    (function,) = Template.from_stack(stack).find_resources("AWS::Lambda::Function").values()
    return function["Properties"]["Code"]["S3Key"]


def test_pycache_and_pyc_files_do_not_change_the_asset_hash(tmp_path):
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {}\n")
    clean = s3_key(tmp_path)
    cache = tmp_path / "__pycache__"
    cache.mkdir()
    (cache / "app.cpython-311.pyc").write_bytes(b"\x00\x01compiled")
    (tmp_path / "stray.pyc").write_bytes(b"\x00\x02")
    assert s3_key(tmp_path) == clean


def test_a_code_change_does_change_the_asset_hash(tmp_path):
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {}\n")
    before = s3_key(tmp_path)
    (tmp_path / "app.py").write_text("def handler(event, context):\n    return {'v': 2}\n")
    assert s3_key(tmp_path) != before
