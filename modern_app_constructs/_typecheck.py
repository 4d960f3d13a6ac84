"""Wrong types rejected at the door, naming the construct, the prop and what is expected.

``@check_prop_types`` reads the type hints of a public constructor or ``add_*`` method (the one
source of what a prop accepts) and checks every argument given against them before the body
runs, so ``timeout=30`` is an ``InvalidPropTypeError`` naming ``timeout`` and suggesting
``cdk.Duration.seconds(30)`` — not an ``AttributeError`` from deep inside the construct.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import functools
import inspect
import math
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs

from ._validation import InvalidPropError, InvalidPropTypeError, implements, is_token

__all__ = ["check_field_types", "check_prop_types"]

F = TypeVar("F", bound=Callable[..., Any])

#: How to make a value of a type users often get wrong.
_HINTS: dict[type, str] = {
    cdk.Duration: "cdk.Duration.seconds(30)",
    lambda_.Code: 'asset_code("functions/orders")',
    ecs.ContainerImage: 'ecs.ContainerImage.from_registry("public.ecr.aws/...")',
    sns.ITopic: "an ITopic such as sns.Topic(...) or sns.Topic.from_topic_arn(...), not an ARN",
    sqs.IQueue: "an IQueue such as sqs.Queue.from_queue_arn(...), not a URL or an ARN",
    lambda_.IFunction: "an IFunction such as lambda_.Function.from_function_arn(...)",
}


def _name(kind: Any) -> str:
    """``cdk.Duration``, ``aws_lambda.IFunction``, ``int``, ``Mapping[str, str]``, ..."""
    if kind is type(None):
        return "None"
    origin = typing.get_origin(kind)
    if origin is not None:
        args = ", ".join("..." if arg is Ellipsis else _name(arg) for arg in typing.get_args(kind))
        return f"{getattr(origin, '__name__', str(origin))}[{args}]"
    module = getattr(kind, "__module__", "")
    name = getattr(kind, "__name__", repr(kind))
    if module == "aws_cdk":
        return f"cdk.{name}"
    if module.startswith("aws_cdk."):
        return f"{module.split('.', 1)[1]}.{name}"
    return str(name)


def _matches(value: Any, kind: Any) -> bool:
    """Whether ``value`` fits ``kind`` (unions, optionals, mappings, sequences, classes)."""
    if kind is Any or kind is object:
        return True
    if kind is None or kind is type(None):
        return value is None
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, arg) for arg in args)
    if origin is typing.Literal:
        return value in args
    if origin in (collections.abc.Mapping, dict):
        if not isinstance(value, collections.abc.Mapping):
            return False
        key_kind, value_kind = args if args else (Any, Any)
        return all(_matches(k, key_kind) and _matches(v, value_kind) for k, v in value.items())
    if origin in (collections.abc.Sequence, list, tuple):
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            return False
        item_kind = args[0] if args else Any
        return all(_matches(item, item_kind) for item in value)
    if origin is collections.abc.Callable or kind is collections.abc.Callable:
        return callable(value)
    if origin is not None:  # another generic: its origin decides
        return isinstance(value, origin)
    if kind is int:  # a number token (CfnParameter.value_as_number) is a float in Python
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and math.isfinite(value) and is_token(value)
        )
    if kind is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return implements(value, kind)


def _expected(kind: Any) -> tuple[str, str | None]:
    """What a prop of ``kind`` takes, in words, and a hint to make one."""
    options = [
        arg
        for arg in (
            typing.get_args(kind)
            if typing.get_origin(kind) in (typing.Union, types.UnionType)
            else (kind,)
        )
        if arg is not type(None)
    ]
    hint = next((_HINTS[option] for option in options if option in _HINTS), None)
    return " or ".join(_name(option) for option in options), hint


def _value_problem(prop: str, value: Any, *, durations: bool = True) -> tuple[Any, str] | None:
    """What is wrong with a well-typed value that AWS (or the jsii kernel) cannot take, if any.

    NaN and infinity anywhere a number is accepted (jsii cannot even serialise them: the kernel
    dies), and a duration that is not a whole number of seconds where AWS counts in seconds
    (every duration prop but the ``*_threshold`` ones, which alarms compare in milliseconds;
    with ``durations=False`` the owner checks them itself, under its own prop names).
    Returns the offending value and what is allowed.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return value, "allowed: a finite number (not NaN or infinity)"
    if isinstance(value, cdk.Duration) and durations and not prop.endswith("_threshold"):
        try:
            millis = value.to_milliseconds()
        except Exception:
            return None
        if not math.isfinite(millis):
            return value.to_human_string(), "allowed: a finite duration"
        if millis % 1000:
            return (
                f"{millis:g} milliseconds",
                "allowed: a whole number of seconds (e.g. cdk.Duration.seconds(2))",
            )
        return None
    if isinstance(value, collections.abc.Mapping):
        items: Any = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        problem = _value_problem(prop, item, durations=durations)
        if problem is not None:
            return problem
    return None


def _check_value(owner: str, prop: str, value: Any, *, durations: bool = True) -> None:
    problem = _value_problem(prop, value, durations=durations)
    if problem is not None:
        raise InvalidPropError(owner, prop, *problem)


@functools.cache
def _hints(annotated: Callable[..., Any] | type) -> dict[str, Any]:
    return typing.get_type_hints(annotated)


def check_prop_types(function: F) -> F:
    """Check the arguments of a constructor or method against its type hints, then call it.

    Raises:
        InvalidPropTypeError: naming the construct (``Class 'id'``), the prop, the value, what
            is expected and, for common mistakes, how to make one.
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def checked(self: Any, *args: Any, **kwargs: Any) -> Any:
        hints = _hints(function)
        bound = signature.bind(self, *args, **kwargs)
        owner = _owner(self, bound.arguments)
        for prop, value in bound.arguments.items():
            if prop == "self" or prop not in hints:
                continue
            parameter = signature.parameters[prop]
            values = value if parameter.kind is inspect.Parameter.VAR_POSITIONAL else (value,)
            for item in values:
                if not _matches(item, hints[prop]):
                    expected, hint = _expected(hints[prop])
                    suffix = f" (e.g. {hint})" if hint else ""
                    raise InvalidPropTypeError(
                        owner,
                        prop,
                        item,
                        f"expected {expected}, got {type(item).__name__}{suffix}",
                    )
                _check_value(owner, prop, item)
        return function(self, *args, **kwargs)

    return typing.cast(F, checked)


def check_field_types(instance: Any) -> None:
    """Check a props dataclass's fields against its type hints (call from ``__post_init__``).

    Raises:
        InvalidPropTypeError: naming the class, the field, what was given and what is expected.
    """
    hints = _hints(typing.cast(type, type(instance)))
    for field in dataclasses.fields(instance):
        value = getattr(instance, field.name)
        if field.name in hints and not _matches(value, hints[field.name]):
            expected, hint = _expected(hints[field.name])
            suffix = f" (e.g. {hint})" if hint else ""
            raise InvalidPropTypeError(
                type(instance).__name__,
                field.name,
                value,
                f"expected {expected}, got {type(value).__name__}{suffix}",
            )
        # option values are checked again by the construct that takes them, naming it
        _check_value(type(instance).__name__, field.name, value, durations=False)


def _owner(self: Any, arguments: dict[str, Any]) -> str:
    """``Class 'id'`` for a constructor (before the construct exists) or a method."""
    construct_id = arguments.get("construct_id")
    if construct_id is None:
        node = getattr(self, "node", None)
        construct_id = node.id if node is not None else "?"
    return f"{type(self).__name__} '{construct_id}'"
