"""Read policy documents of any shipped format and the corpus manifest.

Supports plain text, Markdown, HTML, PDF and DOCX. A file that cannot be read
raises ``IngestError`` naming the file and the reason, so a build can report it
and still index the rest of the corpus.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge.regions import REGIONS

logger = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
STATUSES = ("in_force", "draft", "repealed")


class IngestError(Exception):
    """A document could not be read or described."""


@dataclass
class DocumentMeta:
    """What the manifest says about one document."""

    file: str
    title: str
    region: str
    issuer: str = ""
    doc_number: str = ""
    date: str = ""
    period: str = ""
    status: str = "in_force"

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable metadata."""
        return asdict(self)


def load_manifest(corpus_dir: Path) -> list[DocumentMeta]:
    """Documents listed in ``corpus_dir/manifest.yml``.

    Raises:
        IngestError: a missing field or an unknown region or status.
    """
    path = corpus_dir / "manifest.yml"
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    docs = []
    for entry in data.get("documents", []):
        meta = DocumentMeta(
            file=str(entry["file"]),
            title=str(entry.get("title") or entry["file"]),
            region=str(entry.get("region", "")),
            issuer=str(entry.get("issuer") or ""),
            doc_number=str(entry.get("doc_number") or ""),
            date=str(entry.get("date") or ""),
            period=str(entry.get("period") or ""),
            status=str(entry.get("status") or "in_force"),
        )
        validate_meta(meta)
        docs.append(meta)
    return docs


def validate_meta(meta: DocumentMeta) -> None:
    """Raise ``IngestError`` for bad region, status or file type."""
    if meta.region not in REGIONS:
        raise IngestError(
            f"{meta.file}: unknown region {meta.region!r}; valid: {', '.join(REGIONS)}"
        )
    if meta.status not in STATUSES:
        raise IngestError(
            f"{meta.file}: unknown status {meta.status!r}; valid: {', '.join(STATUSES)}"
        )
    if Path(meta.file).suffix.lower() not in SUFFIXES:
        raise IngestError(
            f"{meta.file}: unsupported type; valid: {', '.join(SUFFIXES)}"
        )


def add_to_manifest(corpus_dir: Path, meta: DocumentMeta) -> None:
    """Add or replace ``meta``'s entry in the manifest."""
    path = corpus_dir / "manifest.yml"
    data: dict[str, Any] = {"documents": []}
    if path.exists():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or data
    entries = [e for e in data.get("documents", []) if e.get("file") != meta.file]
    entries.append({k: v for k, v in meta.as_dict().items() if v})
    data["documents"] = entries
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")


def file_hash(path: Path) -> str:
    """SHA-256 of the file's bytes (decides whether a document is re-embedded)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_document(path: Path) -> str:
    """Raw text of a document, by its suffix.

    Raises:
        IngestError: unreadable, corrupt, empty or of an unsupported type.
    """
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".md", ".markdown"):
            text = path.read_text(encoding="utf-8-sig")
        elif suffix in (".html", ".htm"):
            text = _read_html(path)
        elif suffix == ".pdf":
            text = _read_pdf(path)
        elif suffix == ".docx":
            text = _read_docx(path)
        else:
            raise IngestError(
                f"{path.name}: unsupported type; valid: {', '.join(SUFFIXES)}"
            )
    except IngestError:
        raise
    except Exception as exc:  # parsers raise many types for damaged files
        raise IngestError(f"{path.name}: cannot read {suffix} file ({exc})") from exc
    if not text.strip():
        raise IngestError(f"{path.name}: no text could be extracted")
    return text


def _read_html(path: Path) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(path.read_bytes(), "html.parser")
    for tag in soup(["script", "style", "nav", "header", "footer", "img"]):
        tag.decompose()
    blocks = []
    for tag in soup.find_all(["h1", "h2", "h3", "h4", "p", "li", "tr", "div"]):
        if tag.name == "div" and tag.find(["p", "div", "li", "table"]):
            continue
        if tag.name == "tr":
            blocks.append(
                " ".join(
                    c.get_text(" ", strip=True) for c in tag.find_all(["td", "th"])
                )
            )
        else:
            blocks.append(tag.get_text("", strip=True))
    return "\n".join(b for b in blocks if b)


def _read_pdf(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(str(path), strict=False)
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _read_docx(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" ".join(cell.text.strip() for cell in row.cells))
    return "\n".join(lines)
