"""No import cycles in the library, latent ones included; every module imports first.

A cycle that survives only because of the order the package ``__init__`` imports its modules in
breaks the day someone imports a module first, or reorders ``__init__``. Two checks:

- static: the import graph of every module (``ast``, relative imports resolved, each import of
  ``a.b.c`` also entering the packages ``a.b`` it goes through, ``if TYPE_CHECKING:`` imports
  left out) has no cycle;
- at run time: each module imports first in an interpreter that has imported nothing of the
  package, not even its ``__init__`` (which would otherwise run first, in its own order, for
  every module). The interpreter imports the package's third-party dependencies once (aws-cdk-lib
  takes seconds to load) and forks a child per module, so the test stays a few seconds.
"""

from __future__ import annotations

import ast
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.cdk_support import ROOT

PACKAGE = "modern_app_constructs"
#: ``python -m modern_app_constructs``: importing it runs the command (its imports are checked
#: statically like every other module's).
NOT_IMPORTABLE = {f"{PACKAGE}.__main__"}


def walk(directory: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Every module of ``package`` (in ``directory``): name -> (file, is a package)."""
    found = {package: (directory / "__init__.py", True)}
    for info in pkgutil.iter_modules([str(directory)]):
        name = f"{package}.{info.name}"
        if info.ispkg:
            found.update(walk(directory / info.name, name))
        else:
            found[name] = (directory / f"{info.name}.py", False)
    return found


def _runtime_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements that run (anywhere, functions included), not ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (child for other in node.orelse for child in _runtime_imports_of_stmt(other))
            continue
        yield from _runtime_imports_of_stmt(node)


def _runtime_imports_of_stmt(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        yield node
    else:
        yield from _runtime_imports(node)


def import_graph(modules: Mapping[str, tuple[Path, bool]]) -> dict[str, set[str]]:
    """Module -> the modules of the package that importing it imports first.

    ``from .x import y`` in ``a.b`` imports ``a.x`` (and ``a.x.y`` when that is a module);
    importing ``a.x.y`` also runs ``a.x``'s ``__init__`` unless ``a.x`` is a package the
    importing module lives in (Python entered it before the module). Reading a name from a
    package the module lives in (``from . import name``) is an edge to that package.
    """
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        ancestors = {name.rsplit(".", depth)[0] for depth in range(1, name.count(".") + 1)}
        edges: set[str] = set()

        def enter(
            target: str, *, explicit: bool, ancestors: set[str] = ancestors, edges: set[str] = edges
        ) -> None:
            parts = target.split(".")
            for depth in range(1, len(parts) + 1):
                prefix = ".".join(parts[:depth])
                if prefix not in modules:
                    continue
                is_target = depth == len(parts)
                if prefix in ancestors and not (is_target and explicit):
                    continue  # a package the module is in: entered before the module
                edges.add(prefix)

        for node in _runtime_imports(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    enter(alias.name, explicit=True)
                continue
            if node.level:
                base_parts = package.split(".")
                base = ".".join(base_parts[: len(base_parts) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            names = [f"{base}.{alias.name}" for alias in node.names]
            submodules = [full for full in names if full in modules]
            for full in submodules:
                enter(full, explicit=True)
            # names that are not modules are read from ``base``, which must be initialised
            enter(base, explicit=len(submodules) < len(names))
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of ``graph`` that has one (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                connect(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_cycle_in(graph, set(component)) for component in components]


def _cycle_in(graph: Mapping[str, set[str]], component: set[str]) -> list[str]:
    """A path ``a -> ... -> a`` inside ``component`` (a breadth-first search back to ``a``)."""
    start = min(component)
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & component):
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start] if node != start else [start]
                if successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError(f"no cycle in {component}")  # pragma: no cover - Tarjan found one


MODULES = walk(ROOT / PACKAGE, PACKAGE)


def test_the_walk_finds_every_module():
    assert {f"{PACKAGE}.api_front_door", f"{PACKAGE}._routes.queue_route"} <= set(MODULES)
    assert f"{PACKAGE}.runtime.smoke_test_hook" in MODULES


def test_the_import_graph_has_no_cycle():
    found = cycles(import_graph(MODULES))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in found)


def _package(root: Path, files: Mapping[str, str]) -> dict[str, tuple[Path, bool]]:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return walk(root / "pkg", "pkg")


def test_the_check_finds_a_cycle_through_a_package_init(tmp_path):
    """The shape the worker once had: worker -> routes.lambda_route, whose package's
    ``__init__`` imports routes.queue_route, which imports the worker back."""
    modules = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from .worker import Worker\n",
            "pkg/worker.py": "from .routes.lambda_route import warn\nclass Worker: ...\n",
            "pkg/routes/__init__.py": (
                "from .lambda_route import warn\nfrom .queue_route import q\n"
            ),
            "pkg/routes/lambda_route.py": "def warn(): ...\n",
            "pkg/routes/queue_route.py": "from ..worker import Worker\nq = 1\n",
        },
    )
    assert cycles(import_graph(modules)) == [
        ["pkg.routes", "pkg.routes.queue_route", "pkg.worker", "pkg.routes"]
    ]


def test_the_check_ignores_type_checking_imports_and_the_enclosing_package(tmp_path):
    modules = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from .a import A\nfrom .b import B\n",
            "pkg/a.py": (
                "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .b import B\n"
            ),
            "pkg/b.py": "from .a import A\nfrom . import a\n",
        },
    )
    graph = import_graph(modules)
    assert graph == {"pkg": {"pkg.a", "pkg.b"}, "pkg.a": set(), "pkg.b": {"pkg.a"}}
    assert cycles(graph) == []


def test_a_name_read_from_the_enclosing_package_is_a_cycle(tmp_path):
    modules = _package(
        tmp_path,
        {
            "pkg/__init__.py": "from .a import A\nVERSION = 1\n",
            "pkg/a.py": "from . import VERSION\n",
        },
    )
    assert cycles(import_graph(modules)) == [["pkg", "pkg.a", "pkg"]]


#: Run in one fresh interpreter: load the dependencies once, then per module a forked child
#: that stands in an empty package for the real ``__init__`` and imports the module first.
_FIRST_IMPORTS = r"""
import importlib, importlib.machinery, json, os, sys, types, traceback

package, directory, names, dependencies = json.loads(sys.argv[1])
for dependency in dependencies:
    try:
        importlib.import_module(dependency)
    except ImportError:
        pass
failures = {}
for name in names:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        code = 0
        try:
            if name != package:
                stub = types.ModuleType(package)
                stub.__path__ = [directory]
                stub.__spec__ = importlib.machinery.ModuleSpec(package, None, is_package=True)
                stub.__spec__.submodule_search_locations = [directory]
                sys.modules[package] = stub
            importlib.import_module(name)
        except BaseException:
            os.write(write, traceback.format_exc(limit=4).encode())
            code = 1
        os._exit(code)  # no atexit: the jsii kernel the children share stays up
    os.close(write)
    with os.fdopen(read) as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    if status:
        failures[name] = output or f"exit status {status}"
print(json.dumps(failures))
"""


def _dependencies(modules: Mapping[str, tuple[Path, bool]]) -> list[str]:
    """Third-party modules the package imports (loaded once, before the forks).

    ``from aws_cdk import aws_sqs`` names a module too: both are listed (a name that is no
    module fails to import and is skipped).
    """
    found: set[str] = set()
    for path, _ in modules.values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return sorted(
        name
        for name in found
        if name.partition(".")[0] not in (PACKAGE, "__future__")
        and name.partition(".")[0] not in sys.stdlib_module_names
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per module")
def test_every_module_imports_first_in_a_fresh_interpreter():
    names = sorted(set(MODULES) - NOT_IMPORTABLE)
    argument: list[Any] = [PACKAGE, str(ROOT / PACKAGE), names, _dependencies(MODULES)]
    result = subprocess.run(
        [sys.executable, "-c", _FIRST_IMPORTS, json.dumps(argument)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    failures = json.loads(result.stdout.strip().splitlines()[-1])
    assert not failures, "\n".join(f"{name}:\n{error}" for name, error in failures.items())
