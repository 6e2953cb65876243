"""The knowledge base of one app: loaded on first use, then kept.

The app makes one ``KnowledgeProvider`` for its Settings (``app.state.knowledge``)
and hands it to routes (``KnowledgeDep``) and to actions (``ActionContext``), so a
test gives both the base it wants instead of patching a process-wide cache.
Importing this module loads nothing: the model and index load on ``get()``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from assistant.settings import Settings

if TYPE_CHECKING:
    from knowledge.base import KnowledgeBase


class KnowledgeProvider:
    """The knowledge base for ``settings``, loaded once on first ``get()``."""

    def __init__(self, settings: Settings, base: KnowledgeBase | None = None) -> None:
        self.settings = settings
        self._base = base
        self._lock = threading.Lock()

    @classmethod
    def of(cls, base: KnowledgeBase) -> KnowledgeProvider:
        """A provider for an already loaded base (tests, CLIs)."""
        return cls(base.settings, base)

    def get(self) -> KnowledgeBase:
        """The loaded base; the first caller loads it (~10 s), others wait on the lock.

        Raises:
            OSError, ValueError, RuntimeError: index or model missing or mismatched
            (tried again on the next call).
        """
        with self._lock:
            if self._base is None:
                from knowledge.base import KnowledgeBase

                self._base = KnowledgeBase(self.settings)
            return self._base
