"""Generate docs/API.md from the public API: ``__all__``, signatures and Google-style docstrings.

Usage: ``python -m scripts.gen_api_docs`` (``make docs``) writes docs/API.md;
``--check`` exits 1 when the file differs from what the code says.

Everything is read from the source (``ast``), not from live objects: annotations and defaults
appear as written, and the output does not depend on the machine or the Python version.
Constructor arguments come from the signature (type, default) and the class docstring's
``Args:`` (description); attributes from ``Attributes:``, properties, class-level annotations
and every public ``self.<name>`` a method assigns; methods from the library's own classes only
(not what ``Construct`` or ``Exception`` provide).
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "modern_app_constructs"
OUTPUT = Path(__file__).resolve().parent.parent / "docs" / "API.md"
SECTIONS = ("Args", "Arguments", "Attributes", "Returns", "Raises", "Yields", "Example", "Note")
_ENTRY = re.compile(
    r"^(?P<names>\w+(?:\s*[,/]\s*\w+)*)(?:\s*\((?P<type>[^)]*)\))?:(?:\s+(?P<text>.*))?$"
)
_ROLE = re.compile(r":(?:class|meth|attr|func|mod|data|exc):`~?([^`]+)`")


# ------------------------------------------------------------------------------ docstrings


@dataclass
class Docstring:
    """A Google-style docstring split into its summary, body and sections."""

    summary: str = ""
    body: str = ""
    entries: dict[str, dict[str, str]] = field(default_factory=dict)  # Args/Attributes
    text: dict[str, str] = field(default_factory=dict)  # other sections, and unparsed lines


def parse_docstring(doc: str | None) -> Docstring:
    """Split ``doc`` (already dedented) into summary, body, ``name: text`` entries and sections."""
    lines = (doc or "").strip().splitlines()
    result = Docstring(summary=lines[0].strip() if lines else "")
    body: list[str] = []
    i = 1
    while i < len(lines):
        header = lines[i].strip().rstrip(":")
        if header in SECTIONS and lines[i].rstrip().endswith(":") and lines[i][:1].strip():
            block: list[str] = []
            i += 1
            while i < len(lines) and (not lines[i].strip() or lines[i][0].isspace()):
                block.append(lines[i])
                i += 1
            _parse_section("Args" if header == "Arguments" else header, block, result)
        else:
            body.append(lines[i])
            i += 1
    result.body = "\n".join(body).strip()
    return result


def _parse_section(name: str, block: list[str], result: Docstring) -> None:
    content = [line for line in block if line.strip()]
    if name not in ("Args", "Attributes"):
        result.text[name] = " ".join(line.strip() for line in content)
        return
    indent = min((len(line) - len(line.lstrip()) for line in content), default=0)
    entries = result.entries.setdefault(name, {})
    names: list[str] = []
    unparsed: list[str] = []
    for line in content:
        match = _ENTRY.match(line[indent:]) if not line[indent].isspace() else None
        if match:
            names = re.split(r"\s*[,/]\s*", match["names"])
            for entry in names:
                entries[entry] = (match["text"] or "").strip()
        elif names and line[indent].isspace():
            for entry in names:
                entries[entry] = f"{entries[entry]} {line.strip()}".strip()
        else:
            names = []
            unparsed.append(line.strip())
    if unparsed:
        result.text[f"{name} (free text)"] = " ".join(unparsed)


# ----------------------------------------------------------------------------- source (ast)


@cache
def _module_ast(path: str) -> tuple[str, ast.Module]:
    source = Path(path).read_text()
    return source, ast.parse(source)


def _class_def(cls: type) -> tuple[str, ast.ClassDef] | None:
    module = sys.modules[cls.__module__]
    if not getattr(module, "__file__", None):
        return None
    source, tree = _module_ast(str(module.__file__))
    nodes: list[ast.stmt] = list(tree.body)
    found: ast.ClassDef | None = None
    for part in cls.__qualname__.split("."):
        found = next((n for n in nodes if isinstance(n, ast.ClassDef) and n.name == part), None)
        if found is None:
            return None
        nodes = list(found.body)
    return (source, found) if found is not None else None


@cache
def _encoded_lines(source: str) -> list[bytes]:
    return [line.encode() for line in source.splitlines(keepends=True)]


def _src(source: str, node: ast.expr | None) -> str:
    """``node``'s source text on one line (``ast.get_source_segment`` without re-splitting)."""
    if node is None or node.end_lineno is None or node.end_col_offset is None:
        return ""
    lines = _encoded_lines(source)[node.lineno - 1 : node.end_lineno]
    lines[-1] = lines[-1][: node.end_col_offset]
    lines[0] = lines[0][node.col_offset :]
    return " ".join(b"".join(lines).decode().split())


def _own_classes(cls: type) -> list[type]:
    """``cls`` and its bases from the same package (not ``Construct``'s), most derived first."""
    package = cls.__module__.split(".")[0]
    return [base for base in cls.__mro__ if base.__module__.split(".")[0] == package]


def _decorators(node: ast.FunctionDef) -> set[str]:
    return {_src_name(d) for d in node.decorator_list}


def _src_name(node: ast.expr) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


@dataclass
class Param:
    """One parameter of a signature, as written in the source."""

    name: str
    annotation: str
    default: str | None  # None: required
    kind: str = ""  # "", "*" (keyword-only starts here), "*args", "**kwargs"


def _params(source: str, node: ast.FunctionDef, skip_first: bool) -> list[Param]:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    params = [
        Param(a.arg, _src(source, a.annotation), _src(source, d) if d else None)
        for a, d in zip(positional, defaults, strict=True)
    ][1 if skip_first else 0 :]
    if args.vararg:
        params.append(Param(args.vararg.arg, _src(source, args.vararg.annotation), "", "*args"))
    for index, (a, d) in enumerate(zip(args.kwonlyargs, args.kw_defaults, strict=True)):
        star = "*" if index == 0 and not args.vararg else ""
        params.append(Param(a.arg, _src(source, a.annotation), _src(source, d) or None, star))
    if args.kwarg:
        params.append(Param(args.kwarg.arg, _src(source, args.kwarg.annotation), "", "**kwargs"))
    return params


def _field_default(source: str, value: ast.expr | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, ast.Call) and _src_name(value.func) == "field":
        for keyword in value.keywords:
            if keyword.arg == "default":
                return _src(source, keyword.value)
            if keyword.arg == "default_factory":
                factory = keyword.value
                if isinstance(factory, ast.Lambda):
                    return _src(source, factory.body)
                return f"{_src(source, factory)}()"
        return None
    return _src(source, value)


def constructor(cls: type) -> list[Param] | None:
    """The constructor's parameters as written in the source, or None if not the library's."""
    if dataclasses.is_dataclass(cls):
        fields = {f.name for f in dataclasses.fields(cls) if f.init}
        params: dict[str, Param] = {}
        for base in reversed(_own_classes(cls)):
            found = _class_def(base)
            for stmt in found[1].body if found else []:
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                    name = stmt.target.id
                    if name in fields:
                        annotation = _src(found[0], stmt.annotation) if found else ""
                        default = _field_default(found[0], stmt.value) if found else None
                        params[name] = Param(name, annotation, default)
        return [params[f.name] for f in dataclasses.fields(cls) if f.name in params]
    for base in _own_classes(cls):
        found = _class_def(base)
        for stmt in found[1].body if found else []:
            if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__" and found:
                return _params(found[0], stmt, skip_first=True)
    return None


@dataclass
class Member:
    """A public attribute or method of a class."""

    name: str
    annotation: str = ""
    doc: Docstring = field(default_factory=Docstring)
    params: list[Param] | None = None  # None: an attribute
    decorators: set[str] = field(default_factory=set)


def members(cls: type) -> tuple[dict[str, Member], dict[str, Member]]:
    """Public attributes and public methods of ``cls`` and its library bases, in source order."""
    attributes: dict[str, Member] = {}
    methods: dict[str, Member] = {}
    for base in _own_classes(cls):
        found = _class_def(base)
        if found is None:
            continue
        source, node = found
        for stmt in node.body:
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                annotation = re.sub(r"^ClassVar\[(.*)\]$", r"\1", _src(source, stmt.annotation))
                _add(attributes, Member(stmt.target.id, annotation))
            elif isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        _add(attributes, Member(target.id))
            elif isinstance(stmt, ast.FunctionDef):
                decorators = _decorators(stmt)
                doc = parse_docstring(ast.get_docstring(stmt))
                returns = _src(source, stmt.returns)
                if "property" in decorators:
                    _add(attributes, Member(stmt.name, returns, doc))
                elif not stmt.name.startswith("_"):
                    params = _params(source, stmt, skip_first="staticmethod" not in decorators)
                    _add(methods, Member(stmt.name, returns, doc, params, decorators))
                for name, annotation in _self_assignments(cls, source, stmt):
                    _add(attributes, Member(name, annotation))
    return attributes, methods


def _add(into: dict[str, Member], member: Member) -> None:
    if member.name.startswith("_"):
        return
    known = into.get(member.name)
    if known is None:
        into[member.name] = member
    elif not known.annotation:
        known.annotation = member.annotation


def _self_assignments(cls: type, source: str, func: ast.FunctionDef) -> list[tuple[str, str]]:
    """``(name, type)`` for each ``self.<name>`` that ``func`` assigns.

    The type as annotated, else what the value says: the class called, the return annotation
    of the function or method called, or the annotation of the parameter assigned.
    """
    found: list[tuple[str, str]] = []
    targets: list[ast.expr]
    for node in ast.walk(func):
        if isinstance(node, ast.AnnAssign):
            targets, annotation, value = [node.target], _src(source, node.annotation), node.value
        elif isinstance(node, ast.Assign):
            targets, annotation, value = node.targets, "", node.value
        else:
            continue
        for target in targets:
            elements = target.elts if isinstance(target, ast.Tuple | ast.List) else [target]
            types = [annotation] if annotation else _value_types(cls, source, func, value)
            if len(types) != len(elements):
                types = [""] * len(elements)
            for element, type_ in zip(elements, types, strict=True):
                if (
                    isinstance(element, ast.Attribute)
                    and isinstance(element.value, ast.Name)
                    and element.value.id == "self"
                ):
                    found.append((element.attr, type_))
    return found


def _value_types(
    cls: type, source: str, func: ast.FunctionDef, value: ast.expr | None
) -> list[str]:
    if isinstance(value, ast.Name):
        args = [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]
        return [next((_src(source, a.annotation) for a in args if a.arg == value.id), "")]
    if not isinstance(value, ast.Call):
        return [""]
    called = value.func
    returns = ""
    if isinstance(called, ast.Attribute) and _src(source, called.value) == "self":
        for base in _own_classes(cls):
            found = _class_def(base)
            for stmt in found[1].body if found else []:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == called.attr and found:
                    returns = returns or _src(found[0], stmt.returns)
    elif _src_name(called)[:1].isupper():
        returns = _src(source, called)
    elif isinstance(called, ast.Name):
        target = getattr(sys.modules[cls.__module__], called.id, None)
        module = sys.modules.get(getattr(target, "__module__", ""), None)
        if inspect.isfunction(target) and module is not None and module.__file__:
            target_source, tree = _module_ast(module.__file__)
            for stmt in tree.body:
                if isinstance(stmt, ast.FunctionDef) and stmt.name == called.id:
                    returns = _src(target_source, stmt.returns)
    tuple_ = re.fullmatch(r"tuple\[(.*)\]", returns)
    return _split_top_level(tuple_[1]) if tuple_ else [returns]


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in text:
        depth += {"[": 1, "(": 1, "]": -1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += char
    return [*parts, current.strip()]


# ------------------------------------------------------------------------------- rendering


def _md(text: str, exported: set[str]) -> str:
    """RST-flavoured docstring text as Markdown: ``x`` -> `x`, :class:`X` -> a link when known."""

    def role(match: re.Match[str]) -> str:
        name = match[1].split(".")[-1]
        return f"[`{name}`](#{name.lower()})" if name in exported else f"`{name}`"

    return _ROLE.sub(role, text.replace("``", "`"))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_cell(text)}`" if text else ""


def _signature(name: str, params: list[Param], returns: str = "") -> str:
    parts: list[str] = []
    for p in params:
        if p.kind == "*":
            parts.append("*")
        prefix = {"*args": "*", "**kwargs": "**"}.get(p.kind, "")
        parts.append(f"{prefix}{p.name}" + (f"={p.default}" if p.default else ""))
    return f"{name}({', '.join(parts)})" + (f" -> {returns}" if returns else "")


def entries(cls: type, section: str) -> dict[str, str]:
    """``section`` entries (Args or Attributes) of ``cls``'s docstring, then of its bases'."""
    merged: dict[str, str] = {}
    for base in reversed(_own_classes(cls)):
        merged.update(
            parse_docstring(base.__doc__ and inspect.cleandoc(base.__doc__)).entries.get(
                section, {}
            )
        )
    return merged


def render_class(cls: type, exported: set[str]) -> list[str]:
    """The Markdown section for one public class."""
    doc = parse_docstring(inspect.getdoc(cls))
    bases = [b.__name__ for b in cls.__bases__ if b is not object]
    out = [f"### {cls.__name__}", ""]
    out += [f"`class {cls.__name__}({', '.join(bases)})`" if bases else f"`class {cls.__name__}`"]
    out += ["", _md(doc.summary, exported), ""]
    if doc.body:
        out += [_md(doc.body, exported), ""]
    params = constructor(cls)
    args = entries(cls, "Args")
    described = {**entries(cls, "Attributes"), **args}
    if params:
        out += [f"**Constructor:** `{_signature(cls.__name__, params)}`", ""]
        out += ["| argument | type | default | description |", "|---|---|---|---|"]
        for p in params:
            default = "required" if p.default is None else _code(p.default) or "—"
            description = _md(described.get(p.name, ""), exported)
            out.append(f"| `{p.name}` | {_code(p.annotation)} | {default} | {_cell(description)} |")
        out.append("")
    attributes, methods = members(cls)
    documented = entries(cls, "Attributes")
    if dataclasses.is_dataclass(cls):
        out += ["Every argument is also a read-only attribute.", ""]
        fields = {p.name for p in params or []}
        attributes = {n: m for n, m in attributes.items() if n not in fields}
    order = dict.fromkeys([*[n for n in documented if n in attributes], *attributes])
    if order:
        out += ["**Attributes**", "", "| attribute | type | description |", "|---|---|---|"]
        for name in order:
            member = attributes[name]
            about = documented.get(name) or member.doc.summary or args.get(name, "")
            out.append(f"| `{name}` | {_code(member.annotation)} | {_cell(_md(about, exported))} |")
        out.append("")
    for section, text in doc.text.items():
        out += [f"*{section}:* {_md(text, exported)}", ""]
    if methods:
        out += ["**Methods**", ""]
        for method in methods.values():
            kinds = {"staticmethod": " *(static)*", "classmethod": " *(class method)*"}
            kind = next((kinds[d] for d in method.decorators if d in kinds), "")
            signature = _code(_signature(method.name, method.params or [], method.annotation))
            out.append(f"- {signature}{kind} — {_md(method.doc.summary, exported)}")
            for p in method.params or []:
                arg = method.doc.entries.get("Args", {}).get(p.name)
                if arg:
                    typed = f" ({_code(p.annotation)})" if p.annotation else ""
                    out.append(f"  - `{p.name}`{typed}: {_md(arg, exported)}")
        out.append("")
    return out


def render_function(func: Any, exported: set[str]) -> list[str]:
    """The Markdown section for one public function."""
    module = sys.modules[func.__module__]
    source, tree = _module_ast(str(module.__file__))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == func.__name__)
    params = _params(source, node, skip_first=False)
    doc = parse_docstring(ast.get_docstring(node))
    signature = _signature(func.__name__, params, _src(source, node.returns))
    out = [f"### {func.__name__}", "", _code(signature)]
    out += ["", _md(doc.summary, exported), ""]
    if doc.body:
        out += [_md(doc.body, exported), ""]
    for p in params:
        text = doc.entries.get("Args", {}).get(p.name, "")
        out.append(f"- `{p.name}` ({_code(p.annotation)}): {_md(text, exported)}".rstrip(": "))
    return [*out, ""] if params else out


def render_constant(package: ModuleType, name: str, exported: set[str]) -> list[str]:
    """The Markdown section for a public constant: its value as written and its ``#:`` comment."""
    module = package
    _, init = _module_ast(str(package.__file__))
    for node in init.body:
        if isinstance(node, ast.ImportFrom) and name in {a.asname or a.name for a in node.names}:
            relative = "." * node.level + (node.module or "")
            module = importlib.import_module(relative, package.__name__)
    source, tree = _module_ast(str(module.__file__))
    lines = source.splitlines()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            comment: list[str] = []
            row = node.lineno - 2
            while row >= 0 and lines[row].startswith("#:"):
                comment.insert(0, lines[row][2:].strip())
                row -= 1
            out = [f"### {name}", "", _code(f"{name} = {_src(source, value)}"), ""]
            return [*out, _md(" ".join(comment), exported), ""] if comment else out
    return [f"### {name}", "", _code(f"{name} = {getattr(package, name)!r}"), ""]


def is_construct(obj: Any) -> bool:
    """Whether ``obj`` is a construct class (a subclass of ``constructs.Construct``)."""
    from constructs import Construct

    return inspect.isclass(obj) and issubclass(obj, Construct)


def render(package: ModuleType | None = None) -> str:
    """docs/API.md for ``package`` (default: the library), driven by its ``__all__``."""
    package = package or importlib.import_module(PACKAGE)
    names: list[str] = list(package.__all__)
    exported = set(names)
    objects = {name: getattr(package, name) for name in names}
    groups = {
        "Constructs": [n for n in names if is_construct(objects[n])],
        "Other classes": [
            n for n in names if inspect.isclass(objects[n]) and not is_construct(objects[n])
        ],
        "Functions": [n for n in names if inspect.isfunction(objects[n])],
    }
    grouped = {n for group in groups.values() for n in group}
    groups["Constants"] = [n for n in names if n not in grouped]
    out = [
        "# API reference",
        "",
        "<!-- Generated by scripts/gen_api_docs.py (`make docs`) from the signatures and",
        "     docstrings; do not edit by hand. A test fails when it is out of date. -->",
        "",
        f"Everything `{PACKAGE}` exports (`from {PACKAGE} import ...`). Types are written as",
        "in the source: `cdk` is `aws_cdk`, `lambda_` is `aws_cdk.aws_lambda`, `ecs` is",
        "`aws_cdk.aws_ecs`, and so on.",
        "",
    ]
    for title, members_ in groups.items():
        if members_:
            links = ", ".join(f"[`{n}`](#{n.lower()})" for n in members_)
            out.append(f"- {title}: {links}")
    out.append("")
    for title, group in groups.items():
        if not group:
            continue
        out += [f"## {title}", ""]
        for name in group:
            obj = objects[name]
            if inspect.isclass(obj):
                out += render_class(obj, exported)
            elif inspect.isfunction(obj):
                out += render_function(obj, exported)
            else:
                out += render_constant(package, name, exported)
    return "\n".join(out).rstrip() + "\n"


def undocumented_arguments(cls: type) -> list[str]:
    """Constructor arguments of ``cls`` with no entry in its (or its bases') docstring's Args.

    For a class that is not a construct (a dataclass, an error), Attributes count too.
    """
    documented = entries(cls, "Args")
    if not is_construct(cls):
        documented = {**documented, **entries(cls, "Attributes")}
    return [p.name for p in constructor(cls) or [] if p.name not in documented]


def main(argv: list[str] | None = None) -> int:
    """Write docs/API.md, or with ``--check`` report whether it is up to date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/API.md is stale")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = OUTPUT.read_text() if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text(text)
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
