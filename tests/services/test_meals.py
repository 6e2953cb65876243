"""Station rules: meal times, cut-off, days ahead, capacity, nearest alternative."""

from __future__ import annotations

import datetime as dt

from assistant.db import session_scope
from assistant.services import meals
from assistant.settings import Settings


def _at(settings: Settings, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour, minute), tzinfo=meals.station_tz(settings)
    )


DAY = dt.date(2026, 11, 23)


def test_order_before_cutoff_is_ok(settings: Settings) -> None:
    with session_scope(settings.effective_database_url) as s:
        verdict = meals.check_order(
            s, settings, day=DAY, meal="lunch", count=2, now=_at(settings, DAY, 8)
        )
    assert verdict.ok


def test_cutoff_offers_the_next_meal(settings: Settings) -> None:
    with session_scope(settings.effective_database_url) as s:
        verdict = meals.check_order(
            s, settings, day=DAY, meal="lunch", count=1, now=_at(settings, DAY, 10)
        )
    assert (verdict.ok, verdict.reason) == (False, "past_cutoff")
    assert verdict.alternative == (DAY, "dinner")


def test_unserved_meal_and_too_far(settings: Settings) -> None:
    now = _at(settings, DAY, 6)
    with session_scope(settings.effective_database_url) as s:
        breakfast = meals.check_order(
            s, settings, day=DAY, meal="breakfast", count=1, now=now
        )
        far = meals.check_order(
            s, settings, day=DAY + dt.timedelta(days=30), meal="lunch", count=1, now=now
        )
    assert breakfast.reason == "not_served" and breakfast.alternative == (DAY, "lunch")
    assert far.reason == "too_far"
    assert far.alternative == (
        DAY + dt.timedelta(days=settings.meal_days_ahead),
        "dinner",
    )


def test_capacity_full(settings: Settings) -> None:
    settings = settings.model_copy(update={"meal_capacity": 3})
    now = _at(settings, DAY, 6)
    with session_scope(settings.effective_database_url) as s:
        meals.create_order(
            s,
            elder_id=None,
            user_id="u",
            channel="web",
            day=DAY,
            meal="lunch",
            count=3,
            mode="delivery",
            diet=None,
        )
        verdict = meals.check_order(
            s, settings, day=DAY, meal="lunch", count=1, now=now
        )
    assert verdict.reason == "full" and verdict.alternative == (DAY, "dinner")


def test_cancel_honours_cutoff(settings: Settings) -> None:
    with session_scope(settings.effective_database_url) as s:
        order = meals.create_order(
            s,
            elder_id=None,
            user_id="u",
            channel="web",
            day=DAY,
            meal="lunch",
            count=1,
            mode="dine_in",
            diet="少盐",
        )
    assert meals.can_cancel(settings, order, now=_at(settings, DAY, 9))
    assert not meals.can_cancel(settings, order, now=_at(settings, DAY, 10))


def test_describe_in_one_sentence() -> None:
    text = meals.describe(
        DAY + dt.timedelta(days=1), "lunch", 2, "delivery", "少盐", today=DAY
    )
    assert text == "明天11月24日（周二）午餐2份，送餐到家，少盐"
