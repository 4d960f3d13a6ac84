"""Route planning: path, methods and request schema, checked before anything is built."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .._validation import InvalidPropError, check_choice

__all__ = ["HTTP_METHODS", "RoutePlan", "check_schema", "plan_route", "route_name"]

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._-]+|\{[A-Za-z0-9._-]+\})$")
_GREEDY = re.compile(r"^\{[A-Za-z0-9._-]+\+\}$")
_SCHEMA_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")


@dataclass(frozen=True)
class RoutePlan:
    """A route that passed every check and can be built.

    Attributes:
        path: the normalised path (``/orders/{id}``).
        segments: its segments.
        methods: the HTTP methods, in the order given.
        request_schema: the JSON Schema the body must match, if any.
    """

    path: str
    segments: tuple[str, ...]
    methods: tuple[str, ...]
    request_schema: Mapping[str, Any] | None = None

    @property
    def routes(self) -> list[tuple[str, str]]:
        """``(path, method)`` pairs this plan adds."""
        return [(self.path, method) for method in self.methods]

    def child(self, segment: str) -> RoutePlan:
        """The same methods on ``path/segment`` (no schema)."""
        return RoutePlan(
            path=f"{self.path.rstrip('/')}/{segment}",
            segments=(*self.segments, segment),
            methods=self.methods,
        )


def plan_route(
    owner: str,
    path: str,
    methods: Sequence[str],
    existing: Collection[tuple[str, str]],
    request_schema: Mapping[str, Any] | None = None,
    *,
    greedy_child: bool = False,
) -> RoutePlan:
    """Check a route against the API's existing ones; build nothing.

    Args:
        owner: the front door, for error messages.
        path: e.g. ``/orders/{id}``.
        methods: HTTP methods, each once per path.
        existing: ``(path, method)`` pairs the API has already.
        request_schema: a JSON Schema (draft 4) object, if any.
        greedy_child: the route also claims ``path/{proxy+}`` (a service route).

    Raises:
        InvalidPropError: a malformed path, an unknown method, a route that exists, a schema
            that is not a JSON Schema object.
    """
    segments = _check_path(owner, path)
    if isinstance(methods, str) or not methods:
        raise InvalidPropError(
            owner, "methods", methods, "allowed: a non-empty sequence of HTTP methods"
        )
    for method in methods:
        check_choice(owner, "methods", method, HTTP_METHODS)
    plan = RoutePlan(
        path="/" + "/".join(segments),
        segments=tuple(segments),
        methods=tuple(methods),
        request_schema=request_schema,
    )
    wanted = plan.routes + (plan.child("{proxy+}").routes if greedy_child else [])
    _check_sibling_variables(owner, path, [route[0] for route in wanted], existing)
    seen: set[tuple[str, str]] = set(existing)
    for route in wanted:
        if route in seen:
            raise InvalidPropError(
                owner,
                "methods",
                f"{route[1]} {route[0]}",
                "allowed: each method once per path (this route exists already)",
            )
        seen.add(route)
    if request_schema is not None:
        check_schema(owner, request_schema)
    return plan


def _check_sibling_variables(
    owner: str, given: str, paths: Sequence[str], existing: Collection[tuple[str, str]]
) -> None:
    """Refuse a path variable beside another of a different name (``{id}`` by ``{orderId}``).

    API Gateway allows one variable child per resource; CloudFormation fails the deployment.
    """
    variables: dict[tuple[str, ...], str] = {}
    for path, _method in existing:
        segments = tuple(part for part in path.split("/") if part)
        for index, segment in enumerate(segments):
            if segment.startswith("{"):
                variables.setdefault(segments[:index], segment)
    for path in paths:
        segments = tuple(part for part in path.split("/") if part)
        for index, segment in enumerate(segments):
            other = variables.get(segments[:index])
            if segment.startswith("{") and other is not None and other != segment:
                parent = "/" + "/".join(segments[:index])
                raise InvalidPropError(
                    owner,
                    "path",
                    given,
                    f"allowed: the path variable {other} at {parent} (API Gateway allows one "
                    f"variable per level, and a route there already uses {other}; "
                    f"{segment} beside it fails the deployment)",
                )


def route_name(path: str) -> str:
    """A route's name in construct ids: its path's words, capitalised (``Root`` for ``/``).

    ``/orders/bulk`` is ``OrdersBulk``, ``/orders/{id}`` is ``OrdersId``: what a route creates
    is named after the route, never after its position among the others.
    """
    words = re.findall(r"[A-Za-z0-9]+", path)
    return "".join(word[:1].upper() + word[1:] for word in words) or "Root"


def _check_path(owner: str, path: str) -> list[str]:
    if not isinstance(path, str) or not path.startswith("/"):
        raise InvalidPropError(owner, "path", path, "allowed: a path starting with '/'")
    segments = [segment for segment in path.split("/") if segment]
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if not (_SEGMENT.match(segment) or (last and _GREEDY.match(segment))):
            raise InvalidPropError(
                owner,
                "path",
                path,
                "allowed: segments of letters, digits, '.', '_', '-', or '{name}' (and '{name+}' "
                "as the last segment)",
            )
    return segments


def check_schema(owner: str, schema: Any, where: str = "request_schema") -> None:
    """Reject what API Gateway would not accept as a JSON Schema (draft 4) request model."""

    def fail(reason: str) -> InvalidPropError:
        return InvalidPropError(
            owner,
            "request_schema",
            schema if where == "request_schema" else where,
            f"allowed: a JSON Schema object; {reason}",
        )

    if not isinstance(schema, Mapping):
        raise fail(f"{where} is not a mapping")
    if where == "request_schema" and schema.get("type") != "object":
        raise fail('the top level needs "type": "object"')
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for entry in kinds:
        if entry not in _SCHEMA_TYPES:
            raise fail(f"{where}.type {entry!r} is not one of {', '.join(_SCHEMA_TYPES)}")
    properties = schema.get("properties", {})
    if not isinstance(properties, Mapping):
        raise fail(f"{where}.properties is not a mapping")
    for name, sub in properties.items():
        check_schema(owner, sub, f"{where}.properties.{name}")
    if "items" in schema:
        check_schema(owner, schema["items"], f"{where}.items")
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        raise fail(f"{where}.required is not a list of names")
    try:
        json.dumps(schema)
    except (TypeError, ValueError) as error:
        raise fail(f"{where} is not JSON-serialisable") from error
