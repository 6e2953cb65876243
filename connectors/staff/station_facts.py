"""Staff API for the station's own facts (opening hours, prices, hotline, window).

``GET`` shows them with their labels and who changed them last; ``PUT``
replaces them (validated by ``knowledge.station.StationFacts``: unknown fields
or a hotline that is not a number give 422) and writes the YAML atomically.
Both need a staff login; the same-origin middleware guards the PUT.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, HTTPException

from assistant.deps import SettingsDep
from connectors.staff.auth import CurrentStaff
from knowledge import station

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/staff", tags=["staff"])


def _body(record: station.StationRecord) -> dict[str, Any]:
    return {
        "facts": record.facts.model_dump(),
        "labels": station.LABELS,
        "source": station.SOURCE,
        "updated_by": record.updated_by,
        "updated_at": record.updated_at,
    }


@router.get("/station-facts")
def get_station_facts(settings: SettingsDep, _staff: CurrentStaff) -> dict[str, Any]:
    """The station's facts as the assistant reads them."""
    try:
        record = station.load(settings.effective_station_facts_file)
    except station.StationFactsError as exc:
        logger.error("station facts unreadable: %s", exc)
        raise HTTPException(500, detail="驿站信息文件格式不对，请联系管理员") from exc
    return _body(record)


@router.put("/station-facts")
def put_station_facts(
    facts: station.StationFacts, settings: SettingsDep, staff: CurrentStaff
) -> dict[str, Any]:
    """Replace the station's facts (empty text clears a fact)."""
    record = station.save(settings.effective_station_facts_file, facts, staff=staff)
    logger.info("station facts updated by %s", staff)
    return _body(record)
