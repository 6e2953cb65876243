"""The station's own facts: opening hours, prices, hotline, where to apply.

Policy documents never say when the local station opens or what lunch costs,
yet elders ask exactly that. Staff keep these few facts in a small YAML file
beside the corpus (``station_facts.yml``, empty by default) through the staff
console; answers quote them as "本驿站信息". They are, with the documents, the
only source of times, prices and numbers the assistant may say.

The file is rewritten atomically (temporary file, fsync, rename), so a reader
never sees half a file, and re-read when its modification time changes, so an
edit in the console reaches the next answer without a restart.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SOURCE = "本驿站信息"
# Field → how the reply names it. Order is the order facts are read out.
LABELS: dict[str, str] = {
    "opening_hours": "开放时间",
    "address": "地址",
    "hotline": "电话",
    "application_window": "办理地点和时间",
    "meal_prices": "助餐价格",
    "meal_menu": "菜单",
    "service_fees": "服务收费",
}
_PHONE = re.compile(r"^[0-9０-９+\-－—()（）转 、/,，]{3,60}$")
_HEADER = (
    "# 本驿站信息：工作人员在管理页面（工作人员 → 驿站信息）填写，助手回答时照读，注明“本驿站信息”。\n"
    "# 留空的项，助手会请老人问驿站工作人员，不会自己编。\n"
)


class StationFactsError(ValueError):
    """The facts file exists but cannot be read as station facts."""


class StationFacts(BaseModel):
    """What staff may set; every field is optional plain text (empty = not set)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    opening_hours: str = Field(
        "", max_length=200, description="开放时间，如 每天8:00—17:30"
    )
    address: str = Field("", max_length=200, description="驿站地址")
    hotline: str = Field("", max_length=60, description="驿站电话，只写号码")
    application_window: str = Field(
        "", max_length=300, description="补贴、证件等去哪里、什么时间办理"
    )
    meal_prices: str = Field("", max_length=300, description="助餐价格")
    meal_menu: str = Field("", max_length=500, description="本周或今天的菜单")
    service_fees: str = Field("", max_length=500, description="理疗、助浴等服务收费")

    @field_validator("hotline")
    @classmethod
    def _phone_only(cls, value: str) -> str:
        if value and not _PHONE.match(value):
            raise ValueError("电话只能写号码（数字、-、空格、“转”）")
        if value and sum(c.isdigit() for c in value) < 3:
            raise ValueError("电话号码太短")
        return value

    def is_empty(self) -> bool:
        """Whether staff have set nothing."""
        return not any(self.model_dump().values())


class StationRecord(BaseModel):
    """The facts with who changed them last and when."""

    facts: StationFacts = Field(default_factory=StationFacts)
    updated_by: str = ""
    updated_at: str = ""


_LOCK = threading.Lock()
_CACHE: dict[Path, tuple[float, StationRecord]] = {}


def load(path: Path) -> StationRecord:
    """The station's facts (all empty when the file is missing or empty).

    Raises:
        StationFactsError: the file is not valid YAML or holds unknown or bad fields.
    """
    try:
        mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        return StationRecord()
    with _LOCK:
        cached = _CACHE.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise StationFactsError(f"{path}: expected a mapping of facts")
        meta = {
            k: str(data.pop(k) or "") for k in ("updated_by", "updated_at") if k in data
        }
        facts = StationFacts.model_validate(
            {k: "" if v is None else str(v) for k, v in data.items()}
        )
    except (yaml.YAMLError, ValidationError) as exc:
        raise StationFactsError(f"{path}: {exc}") from exc
    record = StationRecord(facts=facts, **meta)
    with _LOCK:
        _CACHE[path] = (mtime, record)
    return record


def save(path: Path, facts: StationFacts, *, staff: str) -> StationRecord:
    """Write the facts atomically and return the stored record."""
    record = StationRecord(
        facts=facts,
        updated_by=staff,
        updated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    body = facts.model_dump() | {
        "updated_by": record.updated_by,
        "updated_at": record.updated_at,
    }
    text = _HEADER + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        fd, tmp = tempfile.mkstemp(prefix=".station_facts.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _CACHE.pop(path, None)
    return record


def citation(field: str, value: str) -> dict[str, Any]:
    """A citation of one station fact, shaped like a document citation."""
    return {
        "doc": "station_facts",
        "title": SOURCE,
        "issuer": "",
        "date": "",
        "section": LABELS[field],
        "status": "station",
        "quote": value,
    }
