"""Incremental indexing, formats and bad documents, on a small corpus of real text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from assistant.settings import PROJECT_ROOT, Settings
from knowledge.index import build, load_index, read_meta
from knowledge.ingest import IngestError, read_document

SOURCE = PROJECT_ROOT / "knowledge" / "corpus" / "002_c3b82f257e2a781a.txt"


def _corpus(tmp_path: Path) -> Settings:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = SOURCE.read_text(encoding="utf-8")
    (corpus / "a.txt").write_text(text[:3000], encoding="utf-8")
    (corpus / "b.md").write_text("# 标题\n\n" + text[3000:5000], encoding="utf-8")
    manifest = {
        "documents": [
            {"file": "a.txt", "title": "甲", "region": "chaoyang"},
            {"file": "b.md", "title": "乙", "region": "beijing", "status": "draft"},
        ]
    }
    (corpus / "manifest.yml").write_text(yaml.safe_dump(manifest, allow_unicode=True))
    return Settings(var_dir=tmp_path / "var", knowledge_corpus_dir=corpus)


def test_only_changed_documents_are_re_embedded(tmp_path: Path, fake_embedder) -> None:
    settings = _corpus(tmp_path)
    first = build(settings, embedder=fake_embedder)
    assert sorted(first.embedded) == ["a.txt", "b.md"] and not first.failed
    meta = read_meta(settings)
    assert meta["model"] == "fake-embedder" and set(meta["documents"]) == {
        "a.txt",
        "b.md",
    }

    fake_embedder.embedded.clear()
    again = build(settings, embedder=fake_embedder)
    assert again.embedded == [] and sorted(again.reused) == ["a.txt", "b.md"]
    assert fake_embedder.embedded == []

    path = settings.knowledge_corpus_dir / "b.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n新增一段关于助餐服务的内容。\n", "utf-8"
    )
    changed = build(settings, embedder=fake_embedder)
    assert changed.embedded == ["b.md"] and changed.reused == ["a.txt"]
    _, passages, vectors = load_index(settings)
    assert len(passages) == vectors.shape[0]
    assert any("新增一段" in p.text for p in passages)


def test_corrupt_pdf_is_reported_and_the_rest_still_indexes(
    tmp_path: Path, fake_embedder
) -> None:
    settings = _corpus(tmp_path)
    corpus = settings.knowledge_corpus_dir
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4\n%garbage that is not a pdf\n")
    manifest = yaml.safe_load((corpus / "manifest.yml").read_text())
    manifest["documents"].append(
        {"file": "broken.pdf", "title": "坏", "region": "national"}
    )
    (corpus / "manifest.yml").write_text(yaml.safe_dump(manifest, allow_unicode=True))
    report = build(settings, embedder=fake_embedder)
    assert "broken.pdf" in report.failed and "broken.pdf" in report.failed["broken.pdf"]
    assert sorted(report.embedded) == ["a.txt", "b.md"]
    with pytest.raises(IngestError, match="broken.pdf"):
        read_document(corpus / "broken.pdf")


def test_html_and_docx_are_read(tmp_path: Path) -> None:
    html = tmp_path / "p.html"
    html.write_text(
        "<html><body><h1>一、总体要求</h1><p>建立老年人助餐服务网络。</p>"
        "<table><tr><td>指标</td><td>2025年</td></tr></table><script>x()</script></body></html>",
        encoding="utf-8",
    )
    text = read_document(html)
    assert (
        "一、总体要求" in text
        and "建立老年人助餐服务网络。" in text
        and "x()" not in text
    )
    docx_lib = pytest.importorskip("docx")
    doc = docx_lib.Document()
    doc.add_paragraph("（一）指导思想")
    doc.add_paragraph("推进医养结合。")
    path = tmp_path / "p.docx"
    doc.save(str(path))
    assert "推进医养结合。" in read_document(path)
    empty = tmp_path / "e.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(IngestError, match="no text"):
        read_document(empty)


def test_unknown_region_in_manifest_is_refused(tmp_path: Path, fake_embedder) -> None:
    settings = _corpus(tmp_path)
    manifest = settings.knowledge_corpus_dir / "manifest.yml"
    manifest.write_text(manifest.read_text().replace("beijing", "mars"))
    with pytest.raises(IngestError, match="mars"):
        build(settings, embedder=fake_embedder)


def test_the_shipped_corpus_copy_matches_the_manifest() -> None:
    corpus = PROJECT_ROOT / "knowledge" / "corpus"
    files = {
        e["file"]
        for e in yaml.safe_load((corpus / "manifest.yml").read_text())["documents"]
    }
    beside = {"manifest.yml", "station_facts.yml"}  # not documents
    assert files == {p.name for p in corpus.iterdir() if p.name not in beside}
