"""Policy knowledge base: ingest, hybrid FAISS + BM25 search, cited answers.

Public names are imported lazily so that ``import knowledge`` does no work.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.answer import Answer
    from knowledge.base import KnowledgeBase
    from knowledge.ingest import IngestError
    from knowledge.provider import KnowledgeProvider
    from knowledge.search import Hit, SearchResult

__all__ = [
    "Answer",
    "Hit",
    "IngestError",
    "KnowledgeBase",
    "KnowledgeProvider",
    "SearchResult",
]
_WHERE = {
    "Answer": "knowledge.answer",
    "Hit": "knowledge.search",
    "IngestError": "knowledge.ingest",
    "KnowledgeBase": "knowledge.base",
    "KnowledgeProvider": "knowledge.provider",
    "SearchResult": "knowledge.search",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'knowledge' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_WHERE[name]), name)
