"""The order an API client submits, its validation, and the ``OrderPlaced`` event built from it.

Shared by the ``create_order`` and ``bulk_intake`` handlers, which are deployed from this one
asset directory.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any

EVENT_TYPE = "OrderPlaced"
CURRENCIES = ("EUR", "USD", "GBP")
MAX_ITEMS = 50
MAX_QUANTITY = 100
_SKU = re.compile(r"^[A-Z0-9-]{3,32}$")


@dataclass(frozen=True)
class Item:
    """One line of an order."""

    sku: str
    quantity: int


@dataclass(frozen=True)
class Order:
    """A validated order."""

    customer_id: str
    items: tuple[Item, ...]
    currency: str


class InvalidOrderError(ValueError):
    """The order is not acceptable; ``problems`` says why, one entry per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_order(document: Any) -> Order:
    """Validate a decoded JSON document as an order.

    Raises:
        InvalidOrderError: listing every problem found.
    """
    if not isinstance(document, dict):
        raise InvalidOrderError(["the order must be a JSON object"])
    problems: list[str] = []
    customer_id = document.get("customer_id")
    if not isinstance(customer_id, str) or not 1 <= len(customer_id) <= 64:
        problems.append("customer_id must be a string of 1 to 64 characters")
    currency = document.get("currency", "EUR")
    if currency not in CURRENCIES:
        problems.append(f"currency must be one of {', '.join(CURRENCIES)}")
    raw_items = document.get("items")
    items: list[Item] = []
    if not isinstance(raw_items, list) or not 1 <= len(raw_items) <= MAX_ITEMS:
        problems.append(f"items must be a list of 1 to {MAX_ITEMS} items")
    else:
        for index, raw in enumerate(raw_items):
            sku = raw.get("sku") if isinstance(raw, dict) else None
            quantity = raw.get("quantity") if isinstance(raw, dict) else None
            if not isinstance(sku, str) or not _SKU.match(sku):
                problems.append(f"items[{index}].sku must match {_SKU.pattern}")
            if (
                isinstance(quantity, bool)
                or not isinstance(quantity, int)
                or not 1 <= quantity <= MAX_QUANTITY
            ):
                problems.append(
                    f"items[{index}].quantity must be an integer from 1 to {MAX_QUANTITY}"
                )
            if not problems:
                items.append(Item(sku=str(sku), quantity=int(str(quantity))))
    if problems:
        raise InvalidOrderError(problems)
    return Order(customer_id=str(customer_id), items=tuple(items), currency=str(currency))


def order_placed(
    order: Order, *, order_id: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The ``OrderPlaced`` event for ``order``."""
    placed_at = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return {
        "event_type": EVENT_TYPE,
        "order_id": order_id or str(uuid.uuid4()),
        "customer_id": order.customer_id,
        "items": [asdict(item) for item in order.items],
        "currency": order.currency,
        "placed_at": placed_at,
    }


def sns_message(event: dict[str, Any]) -> dict[str, Any]:
    """SNS ``Publish`` arguments for an event (the type as a filterable attribute)."""
    return {
        "Message": json.dumps(event, sort_keys=True),
        "MessageAttributes": {
            "event_type": {"DataType": "String", "StringValue": event["event_type"]}
        },
    }
