"""The state of one call, as the call flow keeps it between turns.

Stream mode holds it in the ``StreamCall`` for the whole call; gather mode
writes it into the query of the next webhook URL (``query`` / ``from_query``),
which Twilio signs with the rest of the request, so any app worker can take
the next turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode


@dataclass
class CallState:
    """What the flow knows about one call; the transport keeps it between turns."""

    call_sid: str
    caller: str
    elder: bool = True
    rate: int | None = None  # chosen by key 9 or a reply's ``custom.voice``
    volume: float | None = None
    reprompts: int = 0
    expect_digits: bool = False  # the last reply asked for a keypad number
    last_said: str = ""

    def query(self, **extra: str) -> str:
        """The state as the query of a webhook URL (Twilio signs it with the rest)."""
        params: dict[str, Any] = {
            "n": self.reprompts,
            "e": int(self.elder),
            "d": int(self.expect_digits),
        }
        if self.rate is not None:
            params["r"] = self.rate
        if self.volume is not None:
            params["v"] = self.volume
        return urlencode({**params, **extra})

    @classmethod
    def from_query(
        cls, call_sid: str, caller: str, query: Mapping[str, str]
    ) -> CallState:
        """The state ``query()`` wrote; odd values fall back to the defaults."""
        rate = _number(query.get("r"), int, 80, 300)
        volume = _number(query.get("v"), float, 0.0, 1.0)
        return cls(
            call_sid,
            caller,
            elder=query.get("e", "1") != "0",
            rate=int(rate) if rate is not None else None,
            volume=volume,
            reprompts=int(_number(query.get("n"), int, 0, 100) or 0),
            expect_digits=query.get("d") == "1",
        )

    @property
    def voice(self) -> dict[str, Any]:
        """Overrides of the voice settings for this call (``TtsEngine.params``)."""
        out: dict[str, Any] = {}
        if self.rate is not None:
            out["rate"] = self.rate
        if self.volume is not None:
            out["volume"] = self.volume
        return out


def _number(
    raw: str | None, kind: type[int] | type[float], low: float, high: float
) -> float | None:
    try:
        value = kind(raw) if raw is not None else None
    except ValueError:
        return None
    return None if value is None else max(low, min(high, value))
