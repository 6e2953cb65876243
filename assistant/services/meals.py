"""Meal orders and the station's rules: meal times, cut-off, days ahead, capacity.

Database functions take keyword arguments only (``session=``, ``settings=``), as
the FastAPI template's crud does; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.db import MealOrder, utcnow
from assistant.settings import Settings

MEAL_ORDER = ("breakfast", "lunch", "dinner")
MEAL_LABELS = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}
MODE_LABELS = {"delivery": "送餐到家", "dine_in": "到驿站吃", "pickup": "到驿站自取"}
WEEKDAY_LABELS = "一二三四五六日"


def station_tz(settings: Settings) -> dt.tzinfo:
    """The station's time zone (UTC+8 when the zone database is missing)."""
    try:
        return ZoneInfo(settings.station_timezone)
    except ZoneInfoNotFoundError:
        return dt.timezone(dt.timedelta(hours=8))


def local_now(settings: Settings) -> dt.datetime:
    """Now at the station."""
    return utcnow().astimezone(station_tz(settings))


def meal_start(settings: Settings, day: dt.date, meal: str) -> dt.datetime:
    """When a meal is served on a day, station time."""
    hour, minute = (int(x) for x in settings.meal_times[meal].split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=station_tz(settings))


def served_meals(settings: Settings) -> list[str]:
    """The meals the station serves, in the order of a day."""
    return [m for m in MEAL_ORDER if m in settings.meal_times]


@dataclass(frozen=True)
class Verdict:
    """Whether an order may be placed; if not, why and the nearest alternative."""

    ok: bool
    reason: str | None = None  # not_served | past_cutoff | too_far | full | too_many
    alternative: tuple[dt.date, str] | None = None


def booked_count(*, session: Session, day: dt.date, meal: str) -> int:
    """Portions already booked for one meal."""
    total = session.scalar(
        select(func.coalesce(func.sum(MealOrder.count), 0)).where(
            MealOrder.meal_date == day,
            MealOrder.meal_type == meal,
            MealOrder.status == "booked",
        )
    )
    return int(total or 0)


def _blocker(
    session: Session,
    settings: Settings,
    day: dt.date,
    meal: str,
    count: int,
    now: dt.datetime,
) -> str | None:
    if count > settings.meal_max_count or count < 1:
        return "too_many"
    if meal not in settings.meal_times:
        return "not_served"
    if day > now.date() + dt.timedelta(days=settings.meal_days_ahead):
        return "too_far"
    cutoff = meal_start(settings, day, meal) - dt.timedelta(
        minutes=settings.meal_cutoff_minutes
    )
    if now > cutoff:
        return "past_cutoff"
    if (
        booked_count(session=session, day=day, meal=meal) + count
        > settings.meal_capacity
    ):
        return "full"
    return None


def check_order(
    *,
    session: Session,
    settings: Settings,
    day: dt.date,
    meal: str,
    count: int,
    now: dt.datetime | None = None,
) -> Verdict:
    """Apply the station rules; on refusal find the bookable meal nearest in time."""
    now = now or local_now(settings)
    reason = _blocker(session, settings, day, meal, count, now)
    if reason is None:
        return Verdict(ok=True)
    if reason == "too_many":
        return Verdict(ok=False, reason=reason)
    wanted = (
        meal_start(settings, day, meal)
        if meal in settings.meal_times
        else dt.datetime.combine(day, dt.time(12), tzinfo=station_tz(settings))
    )
    best: tuple[float, tuple[dt.date, str]] | None = None
    for offset in range(settings.meal_days_ahead + 1):
        cand_day = now.date() + dt.timedelta(days=offset)
        for cand_meal in served_meals(settings):
            if _blocker(session, settings, cand_day, cand_meal, count, now):
                continue
            gap = abs(
                (meal_start(settings, cand_day, cand_meal) - wanted).total_seconds()
            )
            if best is None or gap < best[0]:
                best = (gap, (cand_day, cand_meal))
    return Verdict(ok=False, reason=reason, alternative=best[1] if best else None)


def day_label(day: dt.date, *, today: dt.date) -> str:
    """今天/明天/后天 or 12月5日（周六）."""
    names = {0: "今天", 1: "明天", 2: "后天"}
    delta = (day - today).days
    base = f"{day.month}月{day.day}日（周{WEEKDAY_LABELS[day.weekday()]}）"
    return f"{names[delta]}{base}" if delta in names else base


def meal_label(day: dt.date, meal: str, *, today: dt.date) -> str:
    """明天11月24日（周二）午餐."""
    return day_label(day, today=today) + MEAL_LABELS.get(meal, meal)


def create_order(
    *,
    session: Session,
    elder_id: int | None,
    user_id: str,
    channel: str,
    day: dt.date,
    meal: str,
    count: int,
    mode: str,
    diet: str | None,
) -> MealOrder:
    """Save a confirmed order (the caller commits)."""
    order = MealOrder(
        elder_id=elder_id,
        user_id=user_id,
        channel=channel,
        meal_date=day,
        meal_type=meal,
        count=count,
        service_mode=mode,
        diet_notes=diet,
    )
    session.add(order)
    session.flush()
    return order


def upcoming_orders(
    *, session: Session, settings: Settings, user_id: str, elder_id: int | None
) -> list[MealOrder]:
    """Booked orders from today on, for the user or their elder, soonest first."""
    owner = MealOrder.elder_id == elder_id if elder_id else MealOrder.user_id == user_id
    return list(
        session.scalars(
            select(MealOrder)
            .where(owner, MealOrder.status == "booked")
            .where(MealOrder.meal_date >= local_now(settings).date())
            .order_by(MealOrder.meal_date, MealOrder.id)
        )
    )


def can_cancel(
    *, settings: Settings, order: MealOrder, now: dt.datetime | None = None
) -> bool:
    """Cancellation closes at the same cut-off as ordering."""
    now = now or local_now(settings)
    if order.meal_type not in settings.meal_times:
        return True
    cutoff = meal_start(settings, order.meal_date, order.meal_type) - dt.timedelta(
        minutes=settings.meal_cutoff_minutes
    )
    return now <= cutoff


@dataclass(frozen=True)
class Cancellation:
    """What became of a request to cancel one order."""

    outcome: str  # cancelled | not_found | too_late
    order: MealOrder | None = None


def cancel_order(
    *,
    session: Session,
    settings: Settings,
    order_id: int,
    now: dt.datetime | None = None,
) -> Cancellation:
    """Cancel a booked order now, unless it is gone or past the cut-off."""
    order = session.get(MealOrder, order_id)
    if order is None or order.status != "booked":
        return Cancellation("not_found")
    if not can_cancel(settings=settings, order=order, now=now):
        return Cancellation("too_late", order)
    order.status = "cancelled"
    order.cancelled_at = utcnow()
    session.flush()
    return Cancellation("cancelled", order)


def describe(
    order_day: dt.date,
    meal: str,
    count: int,
    mode: str,
    diet: str | None,
    *,
    today: dt.date,
) -> str:
    """One-sentence Chinese description of an order."""
    notes = f"，{diet}" if diet and diet != "无" else ""
    return (
        f"{day_label(order_day, today=today)}{MEAL_LABELS.get(meal, meal)}{count}份，"
        f"{MODE_LABELS.get(mode, mode)}{notes}"
    )
