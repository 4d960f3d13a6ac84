"""Synth-time validation helpers shared by every construct.

Every check raises :class:`InvalidPropError` (a ``ValueError``) that names the construct, the
prop, the value given and what is allowed. Values that are unresolved CDK tokens are skipped:
they are only known at deploy time.
"""

from __future__ import annotations

import inspect
import math
import re
import typing
from collections.abc import Iterable
from typing import Any

import aws_cdk as cdk

__all__ = [
    "InvalidPropError",
    "InvalidPropTypeError",
    "check_choice",
    "check_int_range",
    "check_positive_duration",
    "check_tag_value",
    "check_whole_seconds",
    "implements",
    "is_token",
]

_MISSING = object()
# What AWS accepts in a tag value (letters, numbers, spaces and _ . : / = + - @).
_TAG_VALUE = re.compile(r"^[\w\s.:/=+\-@]*$", re.UNICODE)


class InvalidPropError(ValueError):
    """A construct prop was given a value the construct (or AWS) does not accept.

    Attributes:
        owner: the construct class and id the prop belongs to, e.g. ``CanaryFunction 'Api'``.
        prop: the prop's name.
        value: the value given.
        allowed: what would have been accepted.
    """

    def __init__(self, owner: str, prop: str, value: Any, allowed: str) -> None:
        self.owner = owner
        self.prop = prop
        self.value = value
        self.allowed = allowed
        super().__init__(f"{owner}: invalid {prop}={value!r}; {allowed}")


class InvalidPropTypeError(InvalidPropError, TypeError):
    """A construct prop was given a value of the wrong type.

    Both a :class:`TypeError` and an :class:`InvalidPropError` (so a ``ValueError``): catch
    either. ``allowed`` says what type is expected, what was given, and a hint where one helps.
    """


def implements(value: Any, kind: type) -> bool:
    """Whether ``value`` is a ``kind``: a class, or a jsii interface such as ``lambda_.IFunction``.

    jsii interfaces are protocols that ``isinstance`` refuses; an object implements one when its
    class (or, for an imported resource, one of its delegates) declares it or a sub-interface.
    """
    if getattr(kind, "_is_runtime_protocol", False):
        # members looked up without evaluating them: properties may create constructs
        members = getattr(kind, "__protocol_attrs__", None) or typing._get_protocol_attrs(kind)  # type: ignore[attr-defined]
        return all(
            inspect.getattr_static(value, member, _MISSING) is not _MISSING for member in members
        )
    try:
        return isinstance(value, kind)
    except TypeError:  # a protocol that refuses isinstance: a jsii interface
        proxy = kind.__jsii_proxy_class__()  # type: ignore[attr-defined]
    # jsii hands back an imported resource of an unknown class as a proxy with delegates
    candidates = getattr(value, "_delegates", None) or [value]
    for candidate in candidates:
        if isinstance(candidate, proxy):
            return True
        for klass in type(candidate).__mro__:
            for interface in getattr(klass, "__jsii_ifaces__", None) or ():
                if kind in interface.__mro__:
                    return True
    return False


def is_token(value: Any) -> bool:
    """Whether ``value`` is (or contains) an unresolved CDK token.

    NaN and infinity are never tokens (and must not reach the jsii kernel, which cannot
    serialise them).
    """
    if isinstance(value, float) and not math.isfinite(value):
        return False
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return bool(cdk.Token.is_unresolved(value))
    return False


def check_int_range(
    owner: str, prop: str, value: int | None, low: int, high: int, *, unit: str = ""
) -> None:
    """Reject an integer outside ``low..high`` (inclusive); ``None`` and tokens pass."""
    if value is None or is_token(value):
        return
    suffix = f" {unit}" if unit else ""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidPropError(
            owner, prop, value, f"allowed: an integer from {low} to {high}{suffix}"
        )


def check_choice(owner: str, prop: str, value: Any, choices: Iterable[Any]) -> None:
    """Reject a value that is not one of ``choices``."""
    options = list(choices)
    if value not in options:
        listed = ", ".join(repr(option) for option in options)
        raise InvalidPropError(owner, prop, value, f"allowed: one of {listed}")


def check_tag_value(owner: str, prop: str, value: Any, *, required: bool = True) -> None:
    """Reject a value AWS would refuse as a tag value (1..256 tag-safe characters)."""
    if value is None and not required:
        return
    if not isinstance(value, str) or not value.strip():
        raise InvalidPropError(owner, prop, value, "allowed: a non-empty string")
    if is_token(value):
        return
    if len(value) > 256 or not _TAG_VALUE.match(value):
        raise InvalidPropError(
            owner,
            prop,
            value,
            "allowed: at most 256 letters, digits, spaces and _ . : / = + - @",
        )


def _milliseconds(value: cdk.Duration | None) -> float | None:
    """``value`` in milliseconds; ``None`` for no value or one jsii cannot convert (a token)."""
    if value is None:
        return None
    try:
        return float(value.to_milliseconds())
    except Exception:  # jsii's errors for unresolved durations are plain RuntimeErrors
        return None


def check_positive_duration(owner: str, prop: str, value: cdk.Duration | None) -> None:
    """Reject a zero duration (an alarm threshold of 0 fires on every datapoint)."""
    millis = _milliseconds(value)
    if millis is not None and millis <= 0 and value is not None:
        raise InvalidPropError(
            owner,
            prop,
            value.to_human_string(),
            "allowed: more than 0 (a threshold of 0 is crossed by every request, so the alarm "
            "is always in ALARM and rolls back every deployment)",
        )


def check_whole_seconds(owner: str, prop: str, value: cdk.Duration | None) -> None:
    """Reject a duration that is not a whole number of seconds (AWS counts these in seconds)."""
    millis = _milliseconds(value)
    if millis is not None and millis % 1000:
        raise InvalidPropError(
            owner,
            prop,
            f"{millis:g} milliseconds",
            "allowed: a whole number of seconds (e.g. cdk.Duration.seconds(2))",
        )
