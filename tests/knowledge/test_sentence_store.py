"""Sentence vectors are made at build time and reused, never per question."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from knowledge import sentence_store
from knowledge.sentences import SentencePicker
from tests.knowledge.conftest import FakeEmbedder

PASSAGES = [
    "高龄津贴按月发放。八十周岁以上的老年人可以申请。",
    "居家养老服务包括助餐、助浴和助洁。服务由社区驿站提供。",
]


def test_build_embeds_each_sentence_once_then_reuses(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    embedded, reused = sentence_store.update(
        tmp_path, "m1", PASSAGES, lambda: fake_embedder
    )
    sentences = sentence_store.corpus_sentences(PASSAGES)
    assert (embedded, reused) == (len(sentences), 0) and len(sentences) == 4
    assert sorted(fake_embedder.embedded) == sorted(sentences)

    fake_embedder.embedded.clear()
    again = sentence_store.update(tmp_path, "m1", PASSAGES, lambda: fake_embedder)
    assert again == (0, 4) and fake_embedder.embedded == []

    # a changed passage: only its new sentence is embedded, the gone one dropped
    changed = [PASSAGES[0], "居家养老服务包括助餐、助浴和助洁。服务每天上午九点开始。"]
    counts = sentence_store.update(tmp_path, "m1", changed, lambda: fake_embedder)
    assert counts == (1, 3)
    stored = sentence_store.load(tmp_path, "m1")
    assert "服务由社区驿站提供。" not in stored and "服务每天上午九点开始。" in stored


def test_vectors_of_another_model_are_not_used(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    sentence_store.update(tmp_path, "m1", PASSAGES, lambda: fake_embedder)
    assert sentence_store.load(tmp_path, "m2") == {}
    (tmp_path / sentence_store.FILE).write_bytes(b"not a numpy file")
    assert sentence_store.load(tmp_path, "m1") == {}


def test_picker_reads_known_vectors_without_encoding(
    tmp_path: Path, fake_embedder: FakeEmbedder
) -> None:
    sentence_store.update(tmp_path, "m1", PASSAGES, lambda: fake_embedder)
    known = sentence_store.load(tmp_path, "m1")
    fake_embedder.embedded.clear()
    picker = SentencePicker(
        lambda text: list(text), lambda token: 1.0, fake_embedder, known=known
    )
    sentences = list(known)
    vectors = picker._vectors(sentences)
    assert fake_embedder.embedded == []
    assert np.allclose(vectors, np.stack([known[s] for s in sentences]))
    picker._vectors(["一个语料里没有的新句子。"])
    assert fake_embedder.embedded == ["一个语料里没有的新句子。"]
