"""Property overrides: defaults < the user's overrides < what safety requires."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ._validation import InvalidPropError

__all__ = ["merge_overrides"]


def merge_overrides(
    owner: str,
    prop: str,
    target: Callable[..., Any],
    defaults: Mapping[str, Any],
    overrides: Mapping[str, Any] | None,
    protected: Mapping[str, str],
) -> dict[str, Any]:
    """Merge ``overrides`` into ``defaults`` for a call to ``target`` (an L2 constructor).

    Every problem is reported at once: keys ``target`` does not take, and keys that safety
    owns (``protected`` maps each to the reason).

    Raises:
        InvalidPropError: naming the offending keys and what is allowed.
    """
    given = dict(overrides or {})
    accepted = set(inspect.signature(target).parameters) - {"self", "scope", "id"}
    unknown = sorted(key for key in given if key not in accepted)
    locked = sorted(key for key in given if key in protected)
    problems = []
    if unknown:
        problems.append(f"unknown keys {unknown} ({target.__qualname__.split('.')[0]} takes none)")
    if locked:
        reasons = "; ".join(f"{key}: {protected[key]}" for key in locked)
        problems.append(f"keys the construct sets for safety {locked} ({reasons})")
    if problems:
        raise InvalidPropError(
            owner,
            prop,
            given,
            "allowed: other keyword arguments of the underlying construct; not "
            + " and not ".join(problems),
        )
    return {**defaults, **given}
