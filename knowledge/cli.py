"""Command line: build, ingest, search, ask, eval (``python -m knowledge ...``)."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import time
from pathlib import Path

from assistant.settings import get_settings
from knowledge.regions import REGIONS

logger = logging.getLogger(__name__)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge", description="政策知识库"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("build", help="convert the model if missing, update the index")
    ingest = sub.add_parser("ingest", help="add a document to the corpus and index it")
    ingest.add_argument("path", type=Path)
    ingest.add_argument("--title", required=True)
    ingest.add_argument("--region", required=True, choices=sorted(REGIONS))
    ingest.add_argument("--issuer", default="")
    ingest.add_argument("--date", default="")
    ingest.add_argument(
        "--status", default="in_force", choices=["in_force", "draft", "repealed"]
    )
    search = sub.add_parser("search", help="JSONL questions on stdin → hits on stdout")
    search.add_argument("--top-k", type=int, default=5)
    search.add_argument(
        "--jsonl", action="store_true", help="read JSONL from stdin (default)"
    )
    ask = sub.add_parser("ask", help="the answer an elder would hear")
    ask.add_argument("question")
    ask.add_argument("--region", choices=sorted(REGIONS))
    ask.add_argument("--full", action="store_true", help="staff rendering")
    ev = sub.add_parser("eval", help="recall, MRR, abstention and latency figures")
    ev.add_argument("file", type=Path)
    ev.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser


def cmd_build() -> int:
    from knowledge.index import build

    report = build(get_settings())
    print(
        f"index: {report.passages} passages; embedded {len(report.embedded)}, "
        f"reused {len(report.reused)}, failed {len(report.failed)}; "
        f"{report.sentences_embedded} new sentences embedded "
        f"({report.seconds:.1f} s)"
    )
    for message in report.failed.values():
        print(f"error: {message}", file=sys.stderr)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from knowledge.index import build
    from knowledge.ingest import (
        DocumentMeta,
        IngestError,
        add_to_manifest,
        read_document,
        validate_meta,
    )

    settings = get_settings()
    meta = DocumentMeta(
        file=args.path.name,
        title=args.title,
        region=args.region,
        issuer=args.issuer,
        date=args.date,
        status=args.status,
    )
    try:
        validate_meta(meta)
        read_document(args.path)  # fail before touching the corpus
    except (IngestError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    target = settings.knowledge_corpus_dir / args.path.name
    if args.path.resolve() != target.resolve():
        shutil.copyfile(args.path, target)
    add_to_manifest(settings.knowledge_corpus_dir, meta)
    report = build(settings)
    print(f"ingested {meta.file}; index has {report.passages} passages")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from knowledge.base import KnowledgeBase

    kb = KnowledgeBase(get_settings())
    for line in sys.stdin:
        if not line.strip():
            continue
        record = json.loads(line)
        try:
            result = kb.search(
                record["question"], region=record.get("region"), k=args.top_k
            )
            hits = [h.as_dict() for h in result.hits]
            out = {"id": record.get("id"), "abstained": result.abstained, "hits": hits}
        except ValueError as exc:
            out = {
                "id": record.get("id"),
                "abstained": True,
                "hits": [],
                "error": str(exc),
            }
        print(json.dumps(out, ensure_ascii=False), flush=True)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from knowledge.base import KnowledgeBase

    answer = KnowledgeBase(get_settings()).answer(
        args.question, region=args.region, style="full" if args.full else "short"
    )
    print(answer.text)
    for cite in answer.citations[:1] if not args.full else []:
        section = f" {cite['section']}" if cite["section"] else ""
        print(f"来源：《{cite['title']}》{section}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from knowledge.base import KnowledgeBase
    from knowledge.evaluate import evaluate, format_table, load_questions
    from knowledge.index import build

    settings = get_settings()
    report = build(settings)
    kb = KnowledgeBase(settings)
    questions = load_questions(args.file)
    figures = evaluate(kb, questions)
    figures["build_seconds"] = kb.meta.get("build_seconds", round(report.seconds, 2))
    figures["full_build_seconds"] = kb.meta.get("full_build_seconds")
    figures["unchanged_build_seconds"] = round(build(settings).seconds, 2)
    kb.searcher.embedder.clear_cache()
    warm = []
    for q in questions:  # models loaded, questions not seen before (cache cleared)
        started = time.perf_counter()
        kb.search(q["question"], region=q.get("region"))
        warm.append((time.perf_counter() - started) * 1000)
    warm.sort()
    figures["warm_query_p50_ms"] = round(warm[len(warm) // 2], 1)
    figures["warm_query_p95_ms"] = round(warm[int(len(warm) * 0.95) - 1], 1)
    print(format_table(figures))
    if args.json:
        flat = {
            f"{s}_{k}": v
            for s in ("bm25", "dense", "hybrid")
            for k, v in figures[s].items()
            if k != "groups"
        }
        flat.update({k: v for k, v in figures.items() if not isinstance(v, dict)})
        flat["hybrid_by_group"] = {
            g: f"{v['r1']}/{v['r5']}" for g, v in figures["hybrid"]["groups"].items()
        }
        args.json.write_text(json.dumps(flat, ensure_ascii=False, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, stream=sys.stderr)
    if args.command == "build":
        return cmd_build()
    if args.command == "ingest":
        return cmd_ingest(args)
    if args.command == "search":
        return cmd_search(args)
    if args.command == "ask":
        return cmd_ask(args)
    return cmd_eval(args)
