"""Station rules: meal times, cut-off, days ahead, capacity, nearest alternative."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from assistant.db import MealOrder, session_scope
from assistant.services import meals
from assistant.settings import Settings


def _at(settings: Settings, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        day, dt.time(hour, minute), tzinfo=meals.station_tz(settings)
    )


DAY = dt.date(2026, 11, 23)


def _check(
    settings: Settings, *, day: dt.date, meal: str, count: int, now: dt.datetime
) -> meals.Verdict:
    with session_scope(settings.effective_database_url) as s:
        return meals.check_order(
            session=s, settings=settings, day=day, meal=meal, count=count, now=now
        )


def test_order_before_cutoff_is_ok(settings: Settings) -> None:
    now = _at(settings, DAY, 8)
    assert _check(settings, day=DAY, meal="lunch", count=2, now=now).ok


def test_cutoff_offers_the_next_meal(settings: Settings) -> None:
    now = _at(settings, DAY, 10)
    verdict = _check(settings, day=DAY, meal="lunch", count=1, now=now)
    assert (verdict.ok, verdict.reason) == (False, "past_cutoff")
    assert verdict.alternative == (DAY, "dinner")


def test_unserved_meal_and_too_far(settings: Settings) -> None:
    now = _at(settings, DAY, 6)
    breakfast = _check(settings, day=DAY, meal="breakfast", count=1, now=now)
    far_day = DAY + dt.timedelta(days=30)
    far = _check(settings, day=far_day, meal="lunch", count=1, now=now)
    assert breakfast.reason == "not_served" and breakfast.alternative == (DAY, "lunch")
    assert far.reason == "too_far"
    assert far.alternative == (
        DAY + dt.timedelta(days=settings.meal_days_ahead),
        "dinner",
    )


def _lunch(session: Session, *, count: int, mode: str, diet: str | None) -> MealOrder:
    """A web user's lunch order on ``DAY``."""
    return meals.create_order(
        session=session,
        elder_id=None,
        user_id="u",
        channel="web",
        day=DAY,
        meal="lunch",
        count=count,
        mode=mode,
        diet=diet,
    )


def test_capacity_full(settings: Settings) -> None:
    settings = settings.model_copy(update={"meal_capacity": 3})
    now = _at(settings, DAY, 6)
    with session_scope(settings.effective_database_url) as s:
        _lunch(s, count=3, mode="delivery", diet=None)
        verdict = meals.check_order(
            session=s, settings=settings, day=DAY, meal="lunch", count=1, now=now
        )
    assert verdict.reason == "full" and verdict.alternative == (DAY, "dinner")


def test_cancel_honours_cutoff(settings: Settings) -> None:
    with session_scope(settings.effective_database_url) as s:
        order = _lunch(s, count=1, mode="dine_in", diet="少盐")
        order_id = order.id
    assert meals.can_cancel(settings=settings, order=order, now=_at(settings, DAY, 9))
    with session_scope(settings.effective_database_url) as s:
        late = meals.cancel_order(
            session=s, settings=settings, order_id=order_id, now=_at(settings, DAY, 10)
        )
        assert late.outcome == "too_late"
        done = meals.cancel_order(
            session=s, settings=settings, order_id=order_id, now=_at(settings, DAY, 9)
        )
        assert done.outcome == "cancelled" and done.order is not None
        assert done.order.status == "cancelled" and done.order.cancelled_at
        again = meals.cancel_order(session=s, settings=settings, order_id=order_id)
        assert again.outcome == "not_found"


def test_describe_in_one_sentence() -> None:
    text = meals.describe(
        DAY + dt.timedelta(days=1), "lunch", 2, "delivery", "少盐", today=DAY
    )
    assert text == "明天11月24日（周二）午餐2份，送餐到家，少盐"
