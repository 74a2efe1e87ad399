"""Working days by the official calendar (holidays, make-up days), later years from the
admin's override, Monday to Friday with a note when a year has no data."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from callcenter.ticketflow.workdays import Calendar, Year


def test_national_day_2026_and_its_make_up_saturday() -> None:
    calendar = Calendar.of()
    # 1–7 October off; Saturday 10 October is a make-up working day (调休)
    assert [calendar.is_workday(date(2026, 10, d)) for d in range(1, 11)] == [
        False] * 7 + [True, True, True]
    assert calendar.add(date(2026, 9, 30), 3) == date(2026, 10, 10)
    assert calendar.add(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert calendar.add(date(2026, 9, 11), 1) == date(2026, 9, 14)  # Friday → Monday
    assert calendar.add(date(2026, 9, 18), 1) == date(2026, 9, 20)  # Sunday 20th: 调休
    assert calendar.add(date(2026, 9, 30), 0) == date(2026, 9, 30)
    assert calendar.guessed == set()


def test_a_year_without_data_is_monday_to_friday_and_said() -> None:
    calendar = Calendar.of()
    # 2027-01-01 is a Friday: without the override it is counted a working day
    assert calendar.add(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert calendar.guessed == {2027}


def test_the_override_file_adds_a_year() -> None:
    new_year = Year(holidays=frozenset({date(2027, 1, 1)}),
                    workdays=frozenset({date(2027, 1, 2)}))  # an imagined make-up Saturday
    calendar = Calendar.of({2027: new_year})
    assert calendar.add(date(2026, 12, 31), 1) == date(2027, 1, 2)
    assert calendar.add(date(2026, 12, 31), 2) == date(2027, 1, 4)
    assert calendar.guessed == set()


def test_a_deadline_ends_at_midnight_after_its_last_working_day() -> None:
    calendar = Calendar.of()
    start = datetime(2026, 9, 30, 16, 45).timestamp()
    assert calendar.due(start, 3) == datetime(2026, 10, 11).timestamp()
    assert calendar.due(start, 1) == datetime(2026, 10, 9).timestamp()


def test_a_limit_that_is_no_limit_is_refused() -> None:
    with pytest.raises(ValueError):
        Calendar.of().add(date(2026, 1, 5), -1)
    with pytest.raises(ValueError):
        Calendar.of().add(date(2026, 1, 5), 10_000)
