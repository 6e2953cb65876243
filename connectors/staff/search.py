"""Staff console policy search: cited passages as JSON."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from assistant.deps import KnowledgeDep, SettingsDep
from connectors.staff.auth import require_staff
from knowledge.provider import KnowledgeProvider

logger = logging.getLogger(__name__)
# The index or model is missing or does not match: staff see why, not a 500.
NOT_READY = "资料库还没准备好，现在查不了。请稍后再试，或请管理员重建资料库。"

router = APIRouter(
    prefix="/api/staff", tags=["staff"], dependencies=[Depends(require_staff)]
)


def _search(
    knowledge: KnowledgeProvider, q: str, region: str | None, k: int
) -> dict[str, Any]:
    try:
        base = knowledge.get()
    except (OSError, ValueError, RuntimeError):
        logger.error("knowledge base unavailable for staff search", exc_info=True)
        raise HTTPException(status_code=503, detail=NOT_READY) from None
    answer = base.answer(q, region=region, style="full", k=k)
    result = answer.result
    if result is None:  # only for an empty question, refused above
        raise HTTPException(status_code=422, detail="请输入要查的问题")
    return {
        "query": q,
        "region": result.region,
        "uncovered_region": result.uncovered_region,
        "abstained": result.abstained,
        "answer": answer.text,
        "results": [h.as_dict() | {"citation": _cite(h)} for h in result.hits],
    }


def _cite(hit: Any) -> dict[str, Any]:
    from knowledge.answer import citation

    return citation(hit, hit.text)


@router.get("/search")
async def search(
    settings: SettingsDep,
    knowledge: KnowledgeDep,
    q: str = Query("", description="问题或关键词"),
    region: str | None = Query(None),
    k: int = Query(5, ge=1, le=20),
) -> dict[str, Any]:
    """Cited policy passages for a staff query."""
    from knowledge.regions import REGIONS

    q = q.strip()
    if not q:
        raise HTTPException(status_code=422, detail="请输入要查的问题")
    if len(q) > settings.knowledge_max_query_chars:
        raise HTTPException(status_code=422, detail="问题太长了，请简短一些")
    if region and region not in REGIONS:
        raise HTTPException(status_code=422, detail=f"未知地区：{region}")
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, _search, knowledge, q, region or None, k)
