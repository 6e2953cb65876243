"""FAISS inner-product index over normalised passage vectors.

Exact ``IndexFlatIP`` (cosine on normalised vectors) for the corpus sizes met
here; an HNSW graph above ``approx_above`` vectors, where exact search would
cost more than the rest of a query.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)


class DenseIndex:
    """Nearest passages by cosine similarity."""

    def __init__(self, vectors: np.ndarray, *, approx_above: int = 50_000) -> None:
        import faiss

        data = np.ascontiguousarray(vectors, dtype=np.float32)
        self.dim = int(data.shape[1]) if data.ndim == 2 and data.shape[0] else 0
        self.size = int(data.shape[0])
        if self.size == 0:
            self._index = None
            return
        faiss.normalize_L2(data)
        index: Any
        if self.size > approx_above:
            index = faiss.IndexHNSWFlat(self.dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = 128
        else:
            index = faiss.IndexFlatIP(self.dim)
        index.add(data)
        self._index = index

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Top-k (row, cosine) pairs, best first; FAISS pads misses with -1."""
        if self._index is None or k <= 0:
            return []
        import faiss

        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        faiss.normalize_L2(q)
        scores, rows = self._index.search(q, min(k, self.size))
        return [
            (int(r), float(s))
            for r, s in zip(rows[0], scores[0], strict=True)
            if r != -1
        ]
