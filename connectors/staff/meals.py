"""Staff JSON API for meal orders: a day's orders and kitchen list, CSV export,
delivered, cancel with a reason (the elder is told), confirm by phone."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.db import Elder, MealOrder
from assistant.deps import SessionDep, SettingsDep
from assistant.services import meal_admin
from assistant.services.meals import local_now
from connectors.staff.audit import Trail
from connectors.staff.auth import CurrentStaff

router = APIRouter(prefix="/api/staff/meals", tags=["staff"])


class CancelIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


def _day(settings: SettingsDep, day: dt.date | None) -> dt.date:
    return day or local_now(settings).date()


def _order(session: SessionDep, order_id: int) -> tuple[MealOrder, Elder | None]:
    order = session.get(MealOrder, order_id)
    if order is None:
        raise HTTPException(status_code=404, detail="没有这张订单")
    elder = session.get(Elder, order.elder_id) if order.elder_id else None
    return order, elder


@router.get("")
def day_orders(
    session: SessionDep,
    settings: SettingsDep,
    staff: CurrentStaff,
    day: Annotated[dt.date | None, Query(description="station date")] = None,
) -> dict[str, Any]:
    """A day's orders grouped by meal and station, with the kitchen list."""
    return meal_admin.day_view(session, settings, day=_day(settings, day))


@router.get("/export.csv")
def export_csv(
    session: SessionDep,
    settings: SettingsDep,
    staff: CurrentStaff,
    day: Annotated[list[dt.date] | None, Query()] = None,
) -> Response:
    """Booked orders as CSV (UTF-8 with BOM), today and tomorrow by default."""
    today = local_now(settings).date()
    days = day or [today, today + dt.timedelta(days=1)]
    name = f"meals-{days[0].isoformat()}.csv"
    return Response(
        content=meal_admin.csv_text(session, settings, days=days).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.post("/{order_id}/delivered")
def delivered(
    order_id: int, session: SessionDep, staff: CurrentStaff, trail: Trail
) -> dict[str, Any]:
    """Mark an order delivered (or served at the station)."""
    order, elder = _order(session, order_id)
    if order.status != "booked":
        raise HTTPException(status_code=409, detail="这张订单已经取消了")
    meal_admin.mark_delivered(order, staff=staff)
    trail("deliver", "meal_order", order.id, meal_admin.order_summary(order, elder))
    return meal_admin.order_public(order, elder)


@router.post("/{order_id}/confirm")
def confirm(
    order_id: int, session: SessionDep, staff: CurrentStaff, trail: Trail
) -> dict[str, Any]:
    """Record that staff phoned and the order from an unverified profile stands."""
    order, elder = _order(session, order_id)
    meal_admin.confirm(order, staff=staff)
    trail("confirm", "meal_order", order.id, meal_admin.order_summary(order, elder))
    return meal_admin.order_public(order, elder)


@router.post("/{order_id}/cancel")
def cancel(
    order_id: int,
    body: CancelIn,
    session: SessionDep,
    settings: SettingsDep,
    staff: CurrentStaff,
    trail: Trail,
) -> dict[str, Any]:
    """Cancel with a reason; the elder is told by SMS and/or chat."""
    order, elder = _order(session, order_id)
    if order.status != "booked":
        raise HTTPException(status_code=409, detail="这张订单已经取消了")
    reason = body.reason.strip()
    if not reason:
        raise HTTPException(status_code=422, detail="请写上取消的原因")
    queued = meal_admin.cancel_by_staff(
        session, settings, order=order, elder=elder, staff=staff, reason=reason
    )
    summary = meal_admin.order_summary(order, elder)
    trail("cancel", "meal_order", order.id, f"{summary}：{reason}")
    return meal_admin.order_public(order, elder) | {"told": queued}
