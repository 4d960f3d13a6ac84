"""Where generated alarms go: one value, decided once on the environment.

cdk-monitoring-constructs lets the caller choose alarm actions (``IAlarmActionStrategy``); here
the environment holds an :class:`AlarmActions` and every generated alarm is bound to it, so a
platform team routes every service's alarms (to an incident tool's topic, an SSM OpsItem, ...)
without touching a construct.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_sns as sns

from ._typecheck import check_field_types

__all__ = ["AlarmActions"]


@dataclass(frozen=True)
class AlarmActions:
    """The actions every generated alarm gets, per state it enters.

    Build it with :meth:`to_topic` (what environments do by default) or list the actions, e.g.
    ``AlarmActions(on_alarm=[cloudwatch_actions.SsmAction(OpsItemSeverity.HIGH)])``.

    Attributes:
        on_alarm: actions when an alarm enters ALARM. Default: none.
        on_ok: actions when it returns to OK. Default: none.
        on_insufficient_data: actions when it has too little data. Default: none.
    """

    on_alarm: Sequence[cloudwatch.IAlarmAction] = ()
    on_ok: Sequence[cloudwatch.IAlarmAction] = ()
    on_insufficient_data: Sequence[cloudwatch.IAlarmAction] = ()

    def __post_init__(self) -> None:
        check_field_types(self)

    @staticmethod
    def to_topic(topic: sns.ITopic) -> AlarmActions:
        """Notify ``topic`` of ALARM and of the return to OK (the environments' default)."""
        action = cloudwatch_actions.SnsAction(topic)
        return AlarmActions(on_alarm=(action,), on_ok=(action,))

    @staticmethod
    def none() -> AlarmActions:
        """No actions: the alarms are on dashboards only (standalone constructs)."""
        return AlarmActions()

    @property
    def notifies_anyone(self) -> bool:
        """Whether any state change reaches an action."""
        return bool(self.on_alarm or self.on_ok or self.on_insufficient_data)

    def bind(self, alarm: cloudwatch.Alarm) -> None:
        """Add the actions to ``alarm``."""
        alarm.add_alarm_action(*self.on_alarm)
        alarm.add_ok_action(*self.on_ok)
        alarm.add_insufficient_data_action(*self.on_insufficient_data)
