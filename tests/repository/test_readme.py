"""The documentation stays true: its snippets run, its links resolve, its names exist.

The pages checked (``PAGES``): README.md, CONTRIBUTING.md, benchmarks/README.md and every
docs/*.md. Three promises:

- every fenced ``python`` block runs on its own against the library as it is (an excerpt of
  the library's code is fenced ``py``: highlighted, not run);
- every relative link (``[text](path)``, ``[text](path#anchor)``, ``[text](#anchor)``) outside
  code blocks names a file of the repository and, with an anchor, a heading of that Markdown
  file (GitHub's slugs);
- every backticked name that the package defines — a class or an UPPER_CASE module constant,
  in any of its modules, private ones included — is exported (``modern_app_constructs.__all__``
  or ``modern_app_constructs.testing.__all__``) or an attribute of an export (``Profile.DEV``,
  written `DEV`), and every ``modern_app_constructs.<name>`` is
  an export or a public submodule. Names the package no longer defines (the 0.1 names in
  docs/upgrading.md) are not its names, and are not checked.
"""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import modern_app_constructs
import modern_app_constructs.testing
from tests.cdk_support import ROOT

README = ROOT / "README.md"
PAGES = sorted(
    [README, ROOT / "CONTRIBUTING.md", ROOT / "benchmarks" / "README.md", *ROOT.glob("docs/*.md")]
)
_SNIPPET = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"\[(?:[^\]]|\][^(])*?\]\(([^)\s]+)\)")
_BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)")
_QUALIFIED = re.compile(r"\bmodern_app_constructs\.([A-Za-z_][A-Za-z0-9_]*)")
_PUBLIC_SUBMODULES = {"testing", "runtime"}


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _snippets() -> list[Any]:
    params = []
    for page in PAGES:
        text = page.read_text()
        params += [
            pytest.param(
                page, match[1], id=f"{_rel(page)}:{text.count(chr(10), 0, match.start()) + 2}"
            )
            for match in _SNIPPET.finditer(text)
        ]
    return params


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


def test_the_pages_have_python_snippets():
    assert len(_snippets()) >= 15
    assert sum(1 for param in _snippets() if param.values[0] == README) >= 8


@pytest.mark.parametrize(("page", "code"), _snippets())
def test_snippet_runs_on_its_own(page, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CDK_OUTDIR", str(tmp_path / "cdk.out"))
    runnable = _lay_out_assets(code, tmp_path)
    module = types.ModuleType("readme_snippet")  # a real module, as the user's app.py would be
    monkeypatch.setitem(sys.modules, module.__name__, module)
    exec(compile(runnable, str(page), "exec"), module.__dict__)


# ------------------------------------------------------------------------------ links


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip())  # a link's text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading anchor of a Markdown page (a repeated heading gets ``-1``, ``-2``, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for line in _FENCE.sub("", page.read_text()).splitlines():
        match = re.match(r"#{1,6} (.+)", line)
        if match:
            base = slug(match[1])
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def _links() -> list[Any]:
    params = []
    for page in PAGES:
        prose = _FENCE.sub("", page.read_text())
        for target in _LINK.findall(prose):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            params.append(pytest.param(page, target, id=f"{_rel(page)}->{target}"))
    return params


def test_the_pages_link_to_each_other():
    assert len(_links()) >= 50


@pytest.mark.parametrize(("page", "target"), _links())
def test_link_resolves(page, target):
    path, _, anchor = target.partition("#")
    linked = (page.parent / path).resolve() if path else page
    assert linked.exists(), f"{_rel(page)} links to {path}, which does not exist"
    assert ROOT in linked.parents or linked == ROOT, f"{_rel(page)} links outside the repository"
    if anchor:
        assert linked.suffix == ".md", f"{_rel(page)}: an anchor into {path}, not Markdown"
        assert anchor in anchors(linked), f"{_rel(page)}: no heading #{anchor} in {_rel(linked)}"


def test_slugs_are_githubs():
    assert slug("Your own environment: `IPlatformEnvironment`") == (
        "your-own-environment-iplatformenvironment"
    )
    assert slug("The API's private integration") == "the-apis-private-integration"
    assert slug("__version__") == "__version__"


# ------------------------------------------------------------------------------ names


def package_names() -> set[str]:
    """Classes and UPPER_CASE module constants the package defines, in any of its modules."""
    names = set()
    for source in Path(modern_app_constructs.__file__).parent.rglob("*.py"):
        for node in ast.parse(source.read_text()).body:
            if isinstance(node, ast.ClassDef):
                names.add(node.name)
            targets = node.targets if isinstance(node, ast.Assign) else []
            if isinstance(node, ast.AnnAssign):
                targets = [node.target]
            names |= {
                target.id
                for target in targets
                if isinstance(target, ast.Name) and re.fullmatch(r"[A-Z][A-Z0-9_]+", target.id)
            }
    return names


EXPORTED = set(modern_app_constructs.__all__) | set(modern_app_constructs.testing.__all__)
#: Attributes of exported names (``Profile.DEV``, written `DEV` in a docstring) are reachable.
REACHABLE = EXPORTED | {
    attribute
    for name in modern_app_constructs.__all__
    for attribute in dir(getattr(modern_app_constructs, name))
}


def test_the_package_defines_private_names_the_check_would_catch():
    assert "FARGATE_MEMORY" in package_names() - REACHABLE
    assert {"WorkerConsumer", "CONTRACT_VERSION"} <= package_names() & EXPORTED


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_names_the_docs_give_are_exported(page):
    text = page.read_text()
    referenced = set(_BACKTICKED.findall(text)) & package_names()
    assert referenced - REACHABLE == set(), f"{_rel(page)} names unexported names"
    qualified = set(_QUALIFIED.findall(text))
    assert qualified - EXPORTED - _PUBLIC_SUBMODULES == set(), f"{_rel(page)}"
