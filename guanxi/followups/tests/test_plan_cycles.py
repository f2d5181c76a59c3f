"""A plan's dates (pure functions)."""

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from guanxi.followups.models import Cycle
from guanxi.followups.plans.cycles import CycleSpec, dates_between, first_after, first_on_or_after

D = dt.date


def spec(**kwargs) -> CycleSpec:
    return CycleSpec(**{"start": D(2024, 6, 1), **kwargs})


def test_every_n_days_counts_from_the_start():
    every_two_weeks = spec(cycle=Cycle.EVERY_N_DAYS, interval_days=14)
    assert dates_between(every_two_weeks, D(2024, 5, 1), D(2024, 7, 15)) == [
        D(2024, 6, 1), D(2024, 6, 15), D(2024, 6, 29), D(2024, 7, 13),
    ]  # fmt: skip
    assert first_on_or_after(every_two_weeks, D(2024, 6, 2)) == D(2024, 6, 15)
    assert first_on_or_after(every_two_weeks, D(2024, 6, 15)) == D(2024, 6, 15)


def test_weekly_falls_on_the_weekday():
    mondays = spec(cycle=Cycle.WEEKLY, weekday=0)
    assert dates_between(mondays, D(2024, 6, 1), D(2024, 6, 20)) == [
        D(2024, 6, 3), D(2024, 6, 10), D(2024, 6, 17),
    ]  # fmt: skip
    assert first_after(mondays, D(2024, 6, 3)) == D(2024, 6, 10)


def test_monthly_day_past_the_month_end_falls_on_its_last_day():
    on_31st = spec(cycle=Cycle.MONTHLY, day_of_month=31, start=D(2024, 1, 1))
    assert dates_between(on_31st, D(2024, 1, 1), D(2024, 4, 30)) == [
        D(2024, 1, 31), D(2024, 2, 29), D(2024, 3, 31), D(2024, 4, 30),
    ]  # fmt: skip


def test_quarterly_steps_three_months_from_the_start_month():
    quarterly = spec(cycle=Cycle.QUARTERLY, day_of_month=20, start=D(2024, 2, 25))
    assert dates_between(quarterly, D(2024, 1, 1), D(2025, 3, 1)) == [
        D(2024, 5, 20), D(2024, 8, 20), D(2024, 11, 20), D(2025, 2, 20),
    ]  # fmt: skip


def test_nothing_after_the_end():
    ended = spec(cycle=Cycle.WEEKLY, weekday=0, end=D(2024, 6, 10))
    assert first_after(ended, D(2024, 6, 3)) == D(2024, 6, 10)
    assert first_after(ended, D(2024, 6, 10)) is None
    assert dates_between(ended, D(2024, 6, 1), D(2024, 12, 31)) == [D(2024, 6, 3), D(2024, 6, 10)]


@given(
    cycle=st.sampled_from(Cycle.values),
    interval=st.integers(1, 60),
    weekday=st.integers(0, 6),
    day=st.integers(1, 31),
    start=st.dates(D(2020, 1, 1), D(2030, 1, 1)),
    probe=st.dates(D(2019, 1, 1), D(2031, 1, 1)),
)
def test_first_on_or_after_is_a_plan_date_not_before_the_probe(
    cycle, interval, weekday, day, start, probe
):
    plan = CycleSpec(
        cycle=cycle, start=start, interval_days=interval, weekday=weekday, day_of_month=day
    )
    found = first_on_or_after(plan, probe)
    assert found >= max(probe, start)
    assert dates_between(plan, found, found) == [found]
    following = first_after(plan, found)
    assert following > found
    # No plan date between the two.
    assert dates_between(plan, found, following) == [found, following]
