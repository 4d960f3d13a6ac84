"""The price table: a dated JSON file of list prices per region, each with its source.

The shipped table is ``modern_app_constructs/data/prices.json``; a user's own table (negotiated
prices, another region) has the same schema and is checked the same way.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from ._model import CostInputError

__all__ = [
    "INSTANCE_PREFIX",
    "REQUIRED_PRICES",
    "PriceEntry",
    "PriceTable",
    "RegionPrices",
    "load_price_table",
    "shipped_price_table",
]

#: Every price the command uses; a table must give each of them for a region to be usable there.
REQUIRED_PRICES = (
    "nat_gateway_hour",
    "public_ipv4_hour",
    "interface_endpoint_hour",
    "alb_hour",
    "alb_lcu_hour",
    "nlb_hour",
    "nlb_lcu_hour",
    "fargate_x86_vcpu_hour",
    "fargate_x86_gb_hour",
    "fargate_arm_vcpu_hour",
    "fargate_arm_gb_hour",
    "kms_key_month",
    "kms_million_requests",
    "alarm_standard_metric_month",
    "alarm_high_resolution_metric_month",
    "alarm_composite_month",
    "dashboard_month",
    "logs_ingestion_gb",
    "logs_storage_gb_month",
    "waf_web_acl_month",
    "waf_rule_month",
    "waf_million_requests",
    "secret_month",
    "codepipeline_v1_month",
    "codepipeline_v2_action_minute",
    "ssm_advanced_parameter_month",
    "apigateway_rest_million_requests",
    "lambda_million_requests",
    "lambda_x86_gb_second",
    "lambda_arm_gb_second",
    "sns_million_publishes",
    "sqs_standard_million_requests",
    "sqs_fifo_million_requests",
    "xray_million_traces",
    "ebs_gp3_gb_month",
)
#: Optional per-instance-type prices: ``ec2_hour:<instance type>`` (e.g. ``ec2_hour:t4g.nano``).
INSTANCE_PREFIX = "ec2_hour:"


@dataclass(frozen=True)
class PriceEntry:
    """One price of the table.

    Attributes:
        unit: what the figure is per (``USD per NAT gateway-hour``).
        source: the pricing page it comes from.
        regions: the figure per region.
    """

    unit: str
    source: str
    regions: Mapping[str, float]


@dataclass(frozen=True)
class RegionPrices:
    """The table's prices for one region.

    Attributes:
        region: the region.
        price_date: the date of the table.
        values: every price of the table the region has, by key.
    """

    region: str
    price_date: date
    values: Mapping[str, float]

    def __getitem__(self, key: str) -> float:
        return self.values[key]

    def instance_hour(self, instance_type: str) -> float | None:
        """The hourly price of ``instance_type``, or ``None`` when the table has none."""
        return self.values.get(INSTANCE_PREFIX + instance_type)


@dataclass(frozen=True)
class PriceTable:
    """A dated price table.

    Attributes:
        price_date: when the prices were read.
        max_age_days: how old the table may get before it must be refreshed.
        entries: every price by key.
        origin: where the table was read from (for messages).
    """

    price_date: date
    max_age_days: int
    entries: Mapping[str, PriceEntry]
    origin: str

    @property
    def regions(self) -> tuple[str, ...]:
        """The regions that have every required price, sorted."""
        found: set[str] | None = None
        for key in REQUIRED_PRICES:
            have = set(self.entries[key].regions)
            found = have if found is None else found & have
        return tuple(sorted(found or ()))

    def for_region(self, region: str) -> RegionPrices:
        """The prices of ``region``.

        Raises:
            CostInputError: the table lacks a required price in ``region``.
        """
        if region not in self.regions:
            missing = sorted(k for k in REQUIRED_PRICES if region not in self.entries[k].regions)
            if len(missing) < len(REQUIRED_PRICES):  # the region is there, but incomplete
                raise CostInputError(
                    f"the price table {self.origin} has no {region} price for "
                    f"{', '.join(missing)}; add it, or pass --prices with a table that has it"
                )
            raise CostInputError(
                f"region {region!r} is not in the price table {self.origin} (it has "
                f"{', '.join(self.regions) or 'no complete region'}); pass --prices with a table "
                "that has it"
            )
        values = {
            key: entry.regions[region]
            for key, entry in self.entries.items()
            if region in entry.regions
        }
        return RegionPrices(region=region, price_date=self.price_date, values=values)


def shipped_price_table() -> PriceTable:
    """The table shipped with the library."""
    text = resources.files("modern_app_constructs").joinpath("data/prices.json").read_text()
    return parse_price_table(json.loads(text), origin="shipped with modern-app-constructs")


def load_price_table(path: str | Path) -> PriceTable:
    """A user's price table.

    Raises:
        CostInputError: the file cannot be read or does not follow the schema.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise CostInputError(f"cannot read the price table {path}: {error.strerror}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CostInputError(f"the price table {path} is not JSON: {error}") from error
    return parse_price_table(document, origin=str(path))


def parse_price_table(document: Any, *, origin: str) -> PriceTable:
    """Check ``document`` against the schema and return the table.

    Raises:
        CostInputError: naming the first thing that is wrong.
    """

    def fail(what: str) -> CostInputError:
        return CostInputError(f"the price table {origin} is not usable: {what}")

    if not isinstance(document, dict):
        raise fail("expected a JSON object")
    if document.get("schema_version") != 1:
        raise fail(f"schema_version must be 1, got {document.get('schema_version')!r}")
    if document.get("currency") != "USD":
        raise fail(f"currency must be 'USD', got {document.get('currency')!r}")
    try:
        price_date = date.fromisoformat(str(document.get("price_date")))
    except ValueError as error:
        raise fail(
            f"price_date must be a date like 2026-12-07, got {document.get('price_date')!r}"
        ) from error
    max_age = document.get("max_age_days", 200)
    if not isinstance(max_age, int) or isinstance(max_age, bool) or max_age <= 0:
        raise fail(f"max_age_days must be a positive whole number, got {max_age!r}")
    prices = document.get("prices")
    if not isinstance(prices, dict):
        raise fail("'prices' must be an object of price entries")
    missing = [key for key in REQUIRED_PRICES if key not in prices]
    if missing:
        raise fail(f"missing prices: {', '.join(missing)}")
    entries: dict[str, PriceEntry] = {}
    for key, entry in prices.items():
        if key not in REQUIRED_PRICES and not key.startswith(INSTANCE_PREFIX):
            raise fail(
                f"unknown price {key!r} (known: the shipped table's keys, and "
                f"{INSTANCE_PREFIX}<instance type>)"
            )
        entries[key] = _entry(key, entry, fail)
    return PriceTable(price_date=price_date, max_age_days=max_age, entries=entries, origin=origin)


def _entry(key: str, entry: Any, fail: Any) -> PriceEntry:
    if not isinstance(entry, dict):
        raise fail(f"{key}: expected an object with unit, source and regions")
    for field in ("unit", "source"):
        if not isinstance(entry.get(field), str) or not entry[field].strip():
            raise fail(f"{key}: {field} must be a non-empty string")
    regions = entry.get("regions")
    if not isinstance(regions, dict) or not regions:
        raise fail(f"{key}: regions must be an object of region -> price")
    values: dict[str, float] = {}
    for region, value in regions.items():
        number_like = isinstance(value, int | float) and not isinstance(value, bool)
        if not number_like or not math.isfinite(value) or value < 0:
            raise fail(f"{key}: the price in {region} must be a number >= 0, got {value!r}")
        values[str(region)] = float(value)
    return PriceEntry(unit=entry["unit"], source=entry["source"], regions=values)
