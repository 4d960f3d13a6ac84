"""ServiceOwnership: who owns an attached service, applied as its own tags."""

from __future__ import annotations

from dataclasses import dataclass

from ._typecheck import check_field_types
from ._validation import check_tag_value

__all__ = ["ServiceOwnership"]


@dataclass(frozen=True)
class ServiceOwnership:
    """The service team's ownership tags on an attached service's resources.

    Given to :meth:`PlatformEnvironment.from_published` (``ownership=``): every construct of
    the library in the service's stack is tagged ``team`` with the service team (instead of the
    platform's team, which stays on the platform's own resources) and ``service`` with the
    service's name, beside the platform's ``application``, ``profile`` and ``cost-center``.

    Args:
        team: the team that owns the service, applied as the ``team`` tag. Required, a valid
            tag value.
        service: the service's name, applied as the ``service`` tag. Required, a valid tag
            value.

    Raises:
        InvalidPropError: an empty or invalid tag value.
    """

    team: str
    service: str

    def __post_init__(self) -> None:
        check_field_types(self)
        owner = "ServiceOwnership"
        check_tag_value(owner, "team", self.team)
        check_tag_value(owner, "service", self.service)

    @property
    def tags(self) -> dict[str, str]:
        """The tags it applies: ``team`` and ``service``."""
        return {"team": self.team, "service": self.service}
