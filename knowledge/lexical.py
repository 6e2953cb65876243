"""BM25 over jieba tokens with the domain dictionary and synonym folding.

Words of a synonym group (长护险 = 长期护理保险, 饭堂/食堂 = 助餐 …) are folded
onto one token in questions and passages alike; Chinese character bigrams are
added so that speech-recogniser slips and unusual compounds still match. The
scorer is a sparse matrix of BM25 weights: one query costs a column sum.
"""

from __future__ import annotations

import functools
import logging
import re
from collections import Counter
from pathlib import Path

import numpy as np
import stopwordsiso
import yaml
from scipy import sparse

logger = logging.getLogger(__name__)

LEXICON = Path(__file__).resolve().parent / "data" / "lexicon.yml"
# Function words carry no topic: stopwords-iso's Chinese list, plus how people
# ask (这种, 有没有, 能不能) and whom they ask for (我妈, 老伴), which a question
# holds and a policy text never does; left in, they outweigh the topic words.
# ...but words that carry a rule's condition stay (80岁以上, 本人申请, 不得收费).
_KEEP = frozenset("以上 以下 以内 本人 不得 开始 有关".split())
_STOP = (frozenset(stopwordsiso.stopwords("zh")) - _KEEP) | frozenset(
    "的 了 吗 呢 啊 吧 呀 嘛 哦 嗯 那个 这个 我 我们 你 你们 他 她 我家 我妈 我爸 咱 是 在 有 "
    "和 与 及 或 都 也 就 还 要 会 能 可以 怎么 怎么样 什么 哪些 哪里 如何 多少 几 吗 么 "
    "请问 一下 帮 给 想 问 知道 到底 现在 那 这 里 个 上 下 对 把 被 让 说 问问 么样 "
    "这种 那种 这样 那样 有没有 能不能 是不是 会不会 要不要 有啥 没有 没 有人 这边 那边 这儿 "
    "那儿 妈 爸 俺妈 俺爸 我奶奶 我爷爷 老伴 家里 真的 听说 来着 一个 一些 咋样 咋办 怎么办".split()
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]")
_CJK = re.compile(r"[\u4e00-\u9fff]")


class Tokenizer:
    """jieba with the domain words; synonyms folded; CJK bigrams added."""

    def __init__(self, lexicon: Path = LEXICON) -> None:
        import jieba

        data = yaml.safe_load(lexicon.read_text(encoding="utf-8"))
        self._jieba = jieba.Tokenizer()
        self._fold: dict[str, str] = {}
        for group in data.get("synonyms", []):
            for word in group:
                self._fold[str(word)] = str(group[0])
        for word in [*data.get("words", []), *self._fold]:
            self._jieba.add_word(str(word), freq=20000)

    def words(self, text: str) -> list[str]:
        """Content words of ``text``, synonyms folded."""
        out = []
        for word in self._jieba.lcut(text.lower(), HMM=False):
            word = word.strip()
            if not word or word in _STOP or not _TOKEN_OK.search(word):
                continue
            out.append(self._fold.get(word, word))
        return out

    def __call__(self, text: str) -> list[str]:
        """Words plus ``#``-marked Chinese character bigrams."""
        tokens = self.words(text)
        chars = "".join(c for c in text if _CJK.match(c))
        tokens.extend("#" + chars[i : i + 2] for i in range(len(chars) - 1))
        return tokens


@functools.cache
def get_tokenizer() -> Tokenizer:
    """The process-wide tokenizer (jieba's dictionary loads once)."""
    return Tokenizer()


class BM25:
    """Okapi BM25 over pre-tokenised passages."""

    def __init__(
        self, docs: list[list[str]], *, k1: float = 1.2, b: float = 0.75
    ) -> None:
        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for i, tokens in enumerate(docs):
            lengths[i] = len(tokens)
            for token, tf in Counter(tokens).items():
                rows.append(i)
                cols.append(self.vocab.setdefault(token, len(self.vocab)))
                vals.append(tf)
        n_docs = max(len(docs), 1)
        tf_matrix = sparse.csr_matrix(
            (np.array(vals, dtype=np.float32), (rows, cols)),
            shape=(len(docs), max(len(self.vocab), 1)),
        )
        df = np.bincount(cols, minlength=tf_matrix.shape[1]).astype(np.float32)
        idf = np.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))
        avg = float(lengths.mean()) if len(docs) else 1.0
        norm = k1 * (1.0 - b + b * lengths / max(avg, 1.0))
        coo = tf_matrix.tocoo()
        weights = coo.data * (k1 + 1.0) / (coo.data + norm[coo.row]) * idf[coo.col]
        self._idf = idf
        self._max_idf = float(np.log(1.0 + (n_docs + 0.5) / 0.5))
        self._weights = sparse.csc_matrix(
            (weights.astype(np.float32), (coo.row, coo.col)), shape=tf_matrix.shape
        )
        self.size = len(docs)

    def idf_of(self, token: str) -> float:
        """IDF of a token; one the corpus never uses gets the largest value."""
        col = self.vocab.get(token)
        return self._max_idf if col is None else float(self._idf[col])

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every passage for the query tokens."""
        counts = Counter(t for t in tokens if t in self.vocab)
        if not counts or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        cols = [self.vocab[t] for t in counts]
        qw = np.array(list(counts.values()), dtype=np.float32)
        return np.asarray(self._weights[:, cols] @ qw).ravel()
