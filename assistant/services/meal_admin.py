"""Meal orders as the station runs them: lists by meal and station, the kitchen
list, CSV export, delivered, cancelled with a reason (the elder is told), and
confirming orders from unverified profiles by phone.

The caller owns the transaction; every change here is audited by the route.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db import Elder, MealOrder, utcnow
from assistant.services.meals import (
    MEAL_LABELS,
    MEAL_ORDER,
    MODE_LABELS,
    day_label,
    describe,
    local_now,
)
from assistant.services.outbox import enqueue
from assistant.services.timefmt import iso_utc, station_text
from assistant.settings import Settings

NO_STATION = "未分配驿站"
NO_DIET = "无特殊要求"
STATUS_LABELS = {"booked": "已预订", "cancelled": "已取消"}
CHANNEL_LABELS = {"web": "网上聊天", "phone": "电话", "staff": "工作人员"}
CSV_COLUMNS = [
    "日期",
    "餐次",
    "驿站",
    "老人",
    "电话",
    "地址",
    "份数",
    "用餐方式",
    "饮食要求",
    "状态",
    "需电话确认",
    "订餐渠道",
    "下单时间",
]


def diet_key(notes: str | None) -> str:
    """The diet note as the kitchen groups it."""
    text = (notes or "").strip()
    return NO_DIET if text in ("", "无", "没有", "none") else text


def needs_confirmation(order: MealOrder, elder: Elder | None) -> bool:
    """Booked for nobody staff have verified, and nobody has phoned to confirm yet."""
    unverified = elder is None or elder.verified is False
    return order.status == "booked" and unverified and order.confirmed_at is None


def orders_for(
    session: Session, *, day: dt.date
) -> list[tuple[MealOrder, Elder | None]]:
    """All orders of a day with their elder, in meal then station order."""
    rows = session.execute(
        select(MealOrder, Elder)
        .outerjoin(Elder, Elder.id == MealOrder.elder_id)
        .where(MealOrder.meal_date == day)
        .order_by(MealOrder.id)
    ).all()
    pairs: list[tuple[MealOrder, Elder | None]] = [(o, e) for o, e in rows]
    meal_rank = {m: i for i, m in enumerate(MEAL_ORDER)}
    pairs.sort(
        key=lambda p: (
            meal_rank.get(p[0].meal_type, 9),
            (p[1].station if p[1] and p[1].station else NO_STATION),
            p[0].id,
        )
    )
    return pairs


def order_public(order: MealOrder, elder: Elder | None) -> dict[str, Any]:
    """JSON shape of one order for the console, labels included."""
    mode_done = "已送达" if order.service_mode == "delivery" else "已用餐"
    return {
        "id": order.id,
        "meal_date": order.meal_date.isoformat(),
        "meal_type": order.meal_type,
        "meal_label": MEAL_LABELS.get(order.meal_type, order.meal_type),
        "count": order.count,
        "service_mode": order.service_mode,
        "mode_label": MODE_LABELS.get(order.service_mode, order.service_mode),
        "diet_notes": diet_key(order.diet_notes),
        "status": order.status,
        "status_label": (
            mode_done
            if order.delivered_at and order.status == "booked"
            else STATUS_LABELS.get(order.status, order.status)
        ),
        "channel": order.channel,
        "channel_label": CHANNEL_LABELS.get(order.channel, order.channel),
        "created_at": iso_utc(order.created_at),
        "delivered_at": iso_utc(order.delivered_at),
        "delivered_by": order.delivered_by,
        "cancelled_at": iso_utc(order.cancelled_at),
        "cancelled_by": order.cancelled_by,
        "cancel_reason": order.cancel_reason,
        "confirmed_at": iso_utc(order.confirmed_at),
        "confirmed_by": order.confirmed_by,
        "needs_confirmation": needs_confirmation(order, elder),
        "station": (elder.station if elder and elder.station else NO_STATION),
        "elder": None
        if elder is None
        else {
            "id": elder.id,
            "name": elder.name,
            "phone": elder.phone or elder.claimed_phone,
            "address": elder.address,
            "verified": elder.verified,
        },
    }


def day_view(session: Session, settings: Settings, *, day: dt.date) -> dict[str, Any]:
    """One day's orders grouped by meal, then station; plus the kitchen list."""
    today = local_now(settings).date()
    groups: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    pairs = orders_for(session, day=day)
    for order, elder in pairs:
        public = order_public(order, elder)
        groups[order.meal_type].setdefault(public["station"], []).append(public)
    return {
        "day": day.isoformat(),
        "day_label": day_label(day, today=today),
        "meals": [
            {
                "meal": meal,
                "meal_label": MEAL_LABELS.get(meal, meal),
                "stations": [
                    {"station": station, "orders": orders}
                    for station, orders in stations.items()
                ],
            }
            for meal, stations in groups.items()
        ],
        "kitchen": kitchen_list(pairs),
    }


def kitchen_list(pairs: list[tuple[MealOrder, Elder | None]]) -> list[dict[str, Any]]:
    """Portions per meal, per service mode and per diet note (booked orders only)."""
    totals: dict[str, Counter[str]] = defaultdict(Counter)
    modes: dict[str, Counter[str]] = defaultdict(Counter)
    diets: dict[str, Counter[str]] = defaultdict(Counter)
    for order, _elder in pairs:
        if order.status != "booked":
            continue
        totals[order.meal_type]["all"] += order.count
        modes[order.meal_type][order.service_mode] += order.count
        diets[order.meal_type][diet_key(order.diet_notes)] += order.count
    return [
        {
            "meal": meal,
            "meal_label": MEAL_LABELS.get(meal, meal),
            "portions": totals[meal]["all"],
            "by_mode": [
                {"mode": m, "label": MODE_LABELS.get(m, m), "portions": n}
                for m, n in sorted(modes[meal].items())
            ],
            "by_diet": [
                {"diet": d, "portions": n} for d, n in sorted(diets[meal].items())
            ],
        }
        for meal in MEAL_ORDER
        if meal in totals
    ]


def csv_text(session: Session, settings: Settings, *, days: list[dt.date]) -> str:
    """The booked orders of ``days`` as CSV, UTF-8 with a BOM so Excel reads it."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for day in days:
        for order, elder in orders_for(session, day=day):
            if order.status != "booked":
                continue
            public = order_public(order, elder)
            writer.writerow(
                [
                    order.meal_date.isoformat(),
                    public["meal_label"],
                    public["station"],
                    elder.name if elder else "",
                    (public["elder"] or {}).get("phone") or "",
                    (elder.address if elder else "") or "",
                    order.count,
                    public["mode_label"],
                    public["diet_notes"],
                    public["status_label"],
                    "是" if public["needs_confirmation"] else "",
                    public["channel_label"],
                    station_text(settings, order.created_at),
                ]
            )
    return out.getvalue()


def order_summary(order: MealOrder, elder: Elder | None) -> str:
    """'李桂芬 2026-12-01 午餐2份' for the audit trail."""
    name = elder.name if elder else "未登记"
    meal = MEAL_LABELS.get(order.meal_type, order.meal_type)
    return f"{name} {order.meal_date.isoformat()} {meal}{order.count}份"


def mark_delivered(order: MealOrder, *, staff: str) -> None:
    """Record that the meal reached the elder (or was served at the station)."""
    if order.delivered_at is None:
        order.delivered_at = utcnow()
        order.delivered_by = staff


def confirm(order: MealOrder, *, staff: str) -> None:
    """Staff phoned the elder and the order stands."""
    if order.confirmed_at is None:
        order.confirmed_at = utcnow()
        order.confirmed_by = staff


def cancellation_text(settings: Settings, order: MealOrder, reason: str) -> str:
    """What the elder is told when staff cancel an order."""
    today = local_now(settings).date()
    what = describe(
        order.meal_date,
        order.meal_type,
        order.count,
        order.service_mode,
        None,
        today=today,
    )
    ask = (
        f"有问题请打{settings.duty_phone}。"
        if settings.duty_phone
        else "有问题请联系驿站。"
    )
    return f"【{settings.station_name}】您订的{what}已经取消。原因：{reason}。{ask}"


def cancel_by_staff(
    session: Session,
    settings: Settings,
    *,
    order: MealOrder,
    elder: Elder | None,
    staff: str,
    reason: str,
) -> int:
    """Cancel the order and tell the elder through the outbox; the messages queued."""
    order.status = "cancelled"
    order.cancelled_at = utcnow()
    order.cancelled_by = staff
    order.cancel_reason = reason[:256]
    text = cancellation_text(settings, order, reason)
    recipients: list[tuple[str, str]] = []
    if elder is not None and elder.phone:
        recipients.append(("sms", elder.phone))
    if order.channel == "web":
        recipients.append(("chat", order.user_id))
    for channel, recipient in recipients:
        enqueue(
            session,
            channel=channel,
            recipient=recipient,
            body=text,
            related_kind="meal_order",
            related_id=order.id,
        )
    session.flush()
    return len(recipients)
