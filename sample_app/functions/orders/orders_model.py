"""The order an API client submits, its validation, and the ``OrderPlaced`` event built from it.

Shared by the ``create_order`` and ``bulk_intake`` handlers, which are deployed from this one
asset directory (each Lambda asset is a directory of its own, so sharing means living together).
Plain Python: nothing beyond the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, TypeGuard

__all__ = [
    "CURRENCIES",
    "DEFAULT_CURRENCY",
    "EVENT_TYPE",
    "MAX_BULK_ORDERS",
    "MAX_ITEMS",
    "MAX_JSON_DEPTH",
    "MAX_QUANTITY",
    "InvalidOrderError",
    "Item",
    "Order",
    "load_json",
    "order_placed",
    "parse_bulk",
    "parse_order",
    "sns_message",
    "utc_now",
]

EVENT_TYPE = "OrderPlaced"
CURRENCIES = ("EUR", "USD", "GBP")
DEFAULT_CURRENCY = "EUR"
MAX_CUSTOMER_ID = 64
MAX_ITEMS = 50
MAX_QUANTITY = 100
MAX_BULK_ORDERS = 100
#: The deepest nesting of objects and arrays a request body may have (an order needs 3, a bulk 5).
MAX_JSON_DEPTH = 16
SKU_PATTERN = re.compile(r"^[A-Z0-9-]{3,32}$")


@dataclass(frozen=True)
class Item:
    """One line of an order.

    Attributes:
        sku: The stock-keeping unit, e.g. ``TEA-GREEN-100``.
        quantity: How many units, 1 to ``MAX_QUANTITY``.
    """

    sku: str
    quantity: int


@dataclass(frozen=True)
class Order:
    """A validated order.

    Attributes:
        customer_id: Who orders (1 to 64 characters).
        items: The order lines (1 to ``MAX_ITEMS``).
        currency: One of ``CURRENCIES``.
    """

    customer_id: str
    items: tuple[Item, ...]
    currency: str


class InvalidOrderError(ValueError):
    """The input is not an acceptable order (or bulk of orders).

    Attributes:
        problems: Every problem found, one human-readable entry each, naming the field.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


def _is_int(value: Any) -> TypeGuard[int]:
    """Whether ``value`` is a JSON integer (``bool`` is an ``int`` in Python, not in JSON)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _order_problems(document: Any, where: str) -> list[str]:
    """Every problem of one order document; ``where`` prefixes field names (``orders[3].``)."""
    if not isinstance(document, dict):
        return [f"{where.rstrip('.') or 'the order'} must be a JSON object"]
    problems: list[str] = []
    customer_id = document.get("customer_id")
    if not isinstance(customer_id, str) or not 1 <= len(customer_id) <= MAX_CUSTOMER_ID:
        problems.append(f"{where}customer_id must be a string of 1 to {MAX_CUSTOMER_ID} characters")
    currency = document.get("currency", DEFAULT_CURRENCY)
    if not isinstance(currency, str) or currency not in CURRENCIES:
        problems.append(f"{where}currency must be one of {', '.join(CURRENCIES)}")
    items = document.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        problems.append(f"{where}items must be a list of 1 to {MAX_ITEMS} items")
        return problems
    for index, item in enumerate(items):
        line = f"{where}items[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{line} must be an object with sku and quantity")
            continue
        sku = item.get("sku")
        if not isinstance(sku, str) or not SKU_PATTERN.fullmatch(sku):
            problems.append(f"{line}.sku must match {SKU_PATTERN.pattern}")
        quantity = item.get("quantity")
        if not _is_int(quantity) or not 1 <= quantity <= MAX_QUANTITY:
            problems.append(f"{line}.quantity must be an integer from 1 to {MAX_QUANTITY}")
    return problems


def _to_order(document: dict[str, Any]) -> Order:
    """Build an ``Order`` from a document that has no problems."""
    return Order(
        customer_id=document["customer_id"],
        items=tuple(Item(sku=item["sku"], quantity=item["quantity"]) for item in document["items"]),
        currency=document.get("currency", DEFAULT_CURRENCY),
    )


def parse_order(document: Any) -> Order:
    """Validate a decoded JSON document as an order.

    Unknown fields are ignored; ``currency`` defaults to ``EUR``.

    Args:
        document: The decoded request body.

    Returns:
        The validated order.

    Raises:
        InvalidOrderError: Listing every problem found.
    """
    problems = _order_problems(document, "")
    if problems:
        raise InvalidOrderError(problems)
    return _to_order(document)


def parse_bulk(document: Any) -> list[Order]:
    """Validate a decoded JSON document as a bulk of orders: ``{"orders": [<order>, ...]}``.

    Args:
        document: The decoded request body.

    Returns:
        The validated orders, in request order.

    Raises:
        InvalidOrderError: Listing every problem found, in every order.
    """
    orders = document.get("orders") if isinstance(document, dict) else None
    if not isinstance(orders, list) or not 1 <= len(orders) <= MAX_BULK_ORDERS:
        raise InvalidOrderError([f"orders must be a list of 1 to {MAX_BULK_ORDERS} orders"])
    problems = [
        problem
        for index, order in enumerate(orders)
        for problem in _order_problems(order, f"orders[{index}].")
    ]
    if problems:
        raise InvalidOrderError(problems)
    return [_to_order(order) for order in orders]


def json_depth(text: str) -> int:
    """The deepest nesting of objects and arrays in JSON ``text``, without parsing it.

    Brackets inside strings do not count, so the scan cannot be fooled by a string value.

    Args:
        text: The JSON text.

    Returns:
        0 for a scalar, 1 for a flat object or array, and so on.
    """
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_json(text: str) -> Any:
    """Decode a request body, refusing nesting deeper than ``MAX_JSON_DEPTH``.

    Python's decoder recurses once per level: a body of a few thousand ``[`` would raise
    ``RecursionError``. The depth is checked before decoding, so it never does.

    Args:
        text: The body.

    Returns:
        The decoded document.

    Raises:
        InvalidOrderError: The body is not JSON or is nested too deeply.
    """
    if json_depth(text) > MAX_JSON_DEPTH:
        raise InvalidOrderError([f"the body nests deeper than {MAX_JSON_DEPTH} levels"])
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise InvalidOrderError([f"the body is not valid JSON: {error}"]) from error


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)


def order_placed(order: Order, *, order_id: str, placed_at: datetime) -> dict[str, Any]:
    """The ``OrderPlaced`` event for ``order``.

    Args:
        order: The validated order.
        order_id: The id the order is known by from now on.
        placed_at: When the order was placed (timezone-aware; rendered in UTC).

    Returns:
        The event, ready to be serialized as JSON.
    """
    return {
        "event_type": EVENT_TYPE,
        "order_id": order_id,
        "customer_id": order.customer_id,
        "items": [asdict(item) for item in order.items],
        "currency": order.currency,
        "placed_at": placed_at.astimezone(timezone.utc).isoformat(timespec="milliseconds"),
    }


def sns_message(event: dict[str, Any]) -> dict[str, Any]:
    """The SNS message of an event: JSON body, and its type as a filterable attribute.

    Args:
        event: An event built by :func:`order_placed`.

    Returns:
        ``Message`` and ``MessageAttributes``, as ``Publish`` and ``PublishBatch`` entries take
        them.
    """
    return {
        "Message": json.dumps(event, separators=(",", ":")),
        "MessageAttributes": {
            "event_type": {"DataType": "String", "StringValue": event["event_type"]}
        },
    }
