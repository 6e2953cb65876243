"""Build and persist the index: passages, their vectors and a manifest.

Layout under ``var/knowledge/``: ``meta.json`` (model, dimension, chunking,
per-document content hashes and passage counts), one
``vectors/<content>.npy``/``.jsonl`` per document version, keyed by a hash of
the model and the passages, and ``sentences.npz`` (``knowledge.sentence_store``). A document whose file hash is unchanged is not even
re-read; one that changed (or new cleaning code) is re-chunked, and re-embedded
only if its passages differ, so a build with nothing changed only reads files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.settings import Settings
from knowledge import sentence_store
from knowledge.chunk import Passage, chunk_text
from knowledge.clean import clean_text
from knowledge.ingest import IngestError, file_hash, load_manifest, read_document

logger = logging.getLogger(__name__)

FORMAT = 5


@dataclass
class BuildReport:
    """What a build did."""

    embedded: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    passages: int = 0
    sentences_embedded: int = 0
    seconds: float = 0.0


def index_dir(settings: Settings) -> Path:
    """Where the index lives."""
    return settings.var_dir / "knowledge"


def _chunk_key(settings: Settings, model: str) -> str:
    return hashlib.sha256(
        f"{FORMAT}|{model}|{settings.knowledge_chunk_chars}".encode()
    ).hexdigest()[:16]


def read_meta(settings: Settings) -> dict[str, Any]:
    """The manifest, or an empty dict when the index was never built."""
    path = index_dir(settings) / "meta.json"
    if not path.exists():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")))


def build(settings: Settings, *, embedder: Any = None, model: str = "") -> BuildReport:
    """Build or update the index incrementally.

    Args:
        settings: corpus folder, var dir and chunking.
        embedder: an ``Embedder``; created lazily only when something must be embedded.
        model: the model name recorded in the manifest (default: the embedder's).

    Returns:
        A report naming re-embedded, reused and failed documents.
    """
    from knowledge.embed import (
        Embedder,
        ensure_model,
        model_ref,
        recorded_model_matches,
    )

    started = time.perf_counter()
    report = BuildReport()
    # where the model loads from (absolute) vs how the manifest names it (portable)
    location = model or (
        embedder.name if embedder is not None else ensure_model(settings)
    )
    model = model or (embedder.name if embedder is not None else model_ref(settings))
    key = _chunk_key(settings, model)
    out = index_dir(settings)
    (out / "vectors").mkdir(parents=True, exist_ok=True)
    old = read_meta(settings)
    old_model = old.get("model", "")
    same_chunks = old.get("key") == key or (
        # an index whose manifest names this model by an old absolute path:
        # its vectors are still valid, only the name is rewritten
        embedder is None
        and recorded_model_matches(settings, old_model)
        and old.get("key") == _chunk_key(settings, old_model)
    )
    old_docs = old.get("documents", {}) if same_chunks else {}

    def encoder() -> Any:
        """The embedder, made on first need (a build with nothing new loads no model)."""
        nonlocal embedder
        if embedder is None:
            embedder = Embedder(location, threads=0)  # a batch job: every core
        return embedder

    corpus = settings.knowledge_corpus_dir
    docs_meta: dict[str, Any] = {}
    all_rows: list[str] = []
    for meta in load_manifest(corpus):
        path = corpus / meta.file
        try:
            digest = file_hash(path)
        except OSError as exc:
            report.failed[meta.file] = f"{meta.file}: cannot open ({exc.strerror})"
            continue
        prior = old_docs.get(meta.file)
        if (
            prior
            and prior.get("hash") == digest
            and _stored(out, prior.get("content", ""))
        ):
            content = prior["content"]
            report.reused.append(meta.file)
        else:
            try:
                text = clean_text(read_document(path))
            except IngestError as exc:
                logger.error("skipping document: %s", exc)
                report.failed[meta.file] = str(exc)
                continue
            passages = chunk_text(
                meta.file, text, max_chars=settings.knowledge_chunk_chars
            )
            inputs = [embedding_text(meta.title, p) for p in passages]
            content = hashlib.sha256("\n".join([model, *inputs]).encode()).hexdigest()
            if _stored(out, content):
                report.reused.append(meta.file)
            else:
                np.save(out / "vectors" / f"{content}.npy", encoder().passages(inputs))
                (out / "vectors" / f"{content}.jsonl").write_text(
                    "".join(
                        json.dumps(asdict(p), ensure_ascii=False) + "\n"
                        for p in passages
                    ),
                    "utf-8",
                )
                report.embedded.append(meta.file)
        rows = (out / "vectors" / f"{content}.jsonl").read_text("utf-8").splitlines()
        docs_meta[meta.file] = {
            **meta.as_dict(),
            "hash": digest,
            "content": content,
            "passages": len(rows),
        }
        all_rows.extend(rows)
    report.passages = len(all_rows)
    report.sentences_embedded, _ = sentence_store.update(
        out, model, (json.loads(r)["text"] for r in all_rows), encoder
    )
    report.seconds = time.perf_counter() - started
    new_meta = {
        "format": FORMAT,
        "key": key,
        "model": model,
        "dim": int(embedder.dim) if embedder is not None else old.get("dim", 0),
        "chunk_chars": settings.knowledge_chunk_chars,
        "documents": docs_meta,
        "failed": report.failed,
        "build_seconds": round(report.seconds, 2),
        # the time of the last build that embedded every document (for make bench)
        "full_build_seconds": round(report.seconds, 2)
        if report.embedded and not report.reused
        else old.get("full_build_seconds"),
    }
    if (
        report.embedded
        or new_meta["documents"] != old.get("documents")
        or (new_meta["key"], new_meta["model"]) != (old.get("key"), old_model)
        or not old
    ):
        (out / "meta.json").write_text(
            json.dumps(new_meta, ensure_ascii=False, indent=2), "utf-8"
        )
    _prune(out, docs_meta)
    return report


def embedding_text(title: str, passage: Passage) -> str:
    """What the encoder sees: the section path gives a short passage its topic."""
    head = passage.section[-1] if passage.section else title
    return f"{head}：{passage.text}"


def _stored(out: Path, content: str) -> bool:
    """Whether vectors and passages of this content key are on disk."""
    base = out / "vectors" / content
    return (
        bool(content)
        and base.with_suffix(".npy").exists()
        and base.with_suffix(".jsonl").exists()
    )


def _prune(out: Path, docs_meta: dict[str, Any]) -> None:
    """Delete vectors of document versions no longer in the manifest."""
    keep = {d["content"] for d in docs_meta.values()}
    for path in (out / "vectors").iterdir():
        if path.stem not in keep:
            path.unlink(missing_ok=True)


def load_index(settings: Settings) -> tuple[dict[str, Any], list[Passage], np.ndarray]:
    """Manifest, passages and vectors of the built index.

    Raises:
        FileNotFoundError: the index was never built.
    """
    meta = read_meta(settings)
    if not meta:
        raise FileNotFoundError(
            f"no index in {index_dir(settings)}: run `python -m knowledge build`"
        )
    vec_dir = index_dir(settings) / "vectors"
    passages: list[Passage] = []
    blocks = []
    for doc in meta["documents"].values():
        rows = (vec_dir / f"{doc['content']}.jsonl").read_text("utf-8").splitlines()
        passages.extend(Passage(**json.loads(r)) for r in rows)
        blocks.append(np.load(vec_dir / f"{doc['content']}.npy"))
    dim = int(meta.get("dim") or 0)
    vectors = np.concatenate(blocks) if blocks else np.zeros((0, dim), np.float32)
    return meta, passages, vectors
