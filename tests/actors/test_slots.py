"""`next_slot`: the rules of local time the README states, zone by zone."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest

from actors import NewSchedule, next_slot

BERLIN = ZoneInfo("Europe/Berlin")


def _rule(times: tuple[str, ...], weekdays: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7),
          *, enabled: bool = True) -> NewSchedule:
    return NewSchedule(name="r", enabled=enabled, weekdays=weekdays, times=times,
                       script_name="follow", script_config={})


def _at(text: str) -> float:
    return datetime.datetime.fromisoformat(text).timestamp()


@pytest.mark.parametrize(("rule", "after", "slot"), [
    # the same day, later; strictly after: a slot at `after` itself is the next one's
    (_rule(("09:00", "18:00")), "2027-06-02T09:00+02:00", "2027-06-02T18:00+02:00"),
    # weekdays: Friday 18:01 -> Monday 09:00
    (_rule(("09:00", "18:00"), (1,)), "2027-06-04T18:01+02:00", "2027-06-07T09:00+02:00"),
    # a week ahead: Monday only, on a Monday past its time
    (_rule(("09:00",), (1,)), "2027-06-07T09:30+02:00", "2027-06-14T09:00+02:00"),
    # Berlin, 2027-03-28: 02:00 CET becomes 03:00 CEST; 02:30 runs at 03:30 CEST
    (_rule(("02:30",)), "2027-03-28T00:00+01:00", "2027-03-28T03:30+02:00"),
    # Berlin, 2027-10-31: 03:00 CEST becomes 02:00 CET; 02:30 runs once, the first time
    (_rule(("02:30",)), "2027-10-31T00:00+02:00", "2027-10-31T02:30+02:00"),
    (_rule(("02:30",)), "2027-10-31T02:30+02:00", "2027-11-01T02:30+01:00"),
    # 02:30 and 03:00 on the day clocks go forward: 03:00 comes first, then 02:30 (at
    # 03:30): neither is lost
    (_rule(("02:30", "03:00")), "2027-03-28T00:00+01:00", "2027-03-28T03:00+02:00"),
    (_rule(("02:30", "03:00")), "2027-03-28T03:00+02:00", "2027-03-28T03:30+02:00"),
])
def test_next_slot(rule: NewSchedule, after: str, slot: str) -> None:
    assert next_slot(rule, _at(after), BERLIN) == _at(slot)


def test_none_when_disabled() -> None:
    assert next_slot(_rule(("09:00",), enabled=False), 0.0, BERLIN) is None
