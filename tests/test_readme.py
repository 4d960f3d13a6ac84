"""Every Python snippet in the README is self-contained and runs against the library as it is."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.cdk_support import ROOT

README = ROOT / "README.md"
_SNIPPET = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _snippets() -> list[Any]:
    text = README.read_text()
    return [
        pytest.param(match[1], id=f"README.md:{text.count(chr(10), 0, match.start()) + 2}")
        for match in _SNIPPET.finditer(text)
    ]


def _lay_out_assets(code: str, root: Path) -> str:
    """Lay out the directories ``code`` names under ``root``, as its user would have them.

    Returns ``code`` with those paths made absolute: the session's one jsii kernel resolves
    relative paths against its own working directory, not this test's.
    """
    # the modules the snippet's handlers name (``handler="create_order.handler"``)
    modules = {
        "handler",
        *re.findall(r'handler="([A-Za-z_]\w*)\.\w+"', code),
        *re.findall(r'"([A-Za-z_]\w*)\.handler"', code),
    }
    for path in set(re.findall(r'asset_code\(\s*"([^"]+)"', code)):
        (root / path).mkdir(parents=True, exist_ok=True)
        for module in modules:
            (root / path / f"{module}.py").write_text("def handler(event, context):\n    pass\n")
    for pattern, name, content in (
        (r'asset_code\(\s*"([^"]+)"', "handler.py", "def handler(event, context):\n    pass\n"),
        (
            r'from_asset\((?:\s*#.*)?\s*"([^"]+)"',
            "Dockerfile",
            "FROM public.ecr.aws/docker/library/python\n",
        ),
    ):
        for path in set(re.findall(pattern, code)):
            (root / path).mkdir(parents=True, exist_ok=True)
            (root / path / name).write_text(content)
            code = code.replace(f'"{path}"', f'"{root / path}"')
    return code


def test_the_readme_has_python_snippets():
    assert len(_snippets()) >= 6


@pytest.mark.parametrize("code", _snippets())
def test_snippet_runs_on_its_own(code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "cdk.out"))
    runnable = _lay_out_assets(code, tmp_path)
    module = types.ModuleType("readme_snippet")  # a real module, as the user's app.py would be
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(runnable, str(README), "exec"), module.__dict__)
