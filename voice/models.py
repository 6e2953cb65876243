"""Vosk model management: install (download or offline ZIP), list, remove, resolve.

Models live in ``var/models/vosk/<folder>/`` with a ``meta.json`` saying where
they came from; ``var/models/vosk/active.json`` names the one the app loads
unless ``ASSISTANT_ASR_MODEL_PATH`` points elsewhere.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from assistant.settings import Settings

logger = logging.getLogger(__name__)

# Files every Kaldi/Vosk model directory has; the graph differs by model kind.
REQUIRED = ("am/final.mdl", "conf/mfcc.conf")
GRAPHS = ("graph/HCLG.fst", "graph/HCLr.fst")


@dataclass(frozen=True)
class CatalogEntry:
    """A downloadable Vosk model."""

    name: str
    folder: str
    url: str
    size_mb: int
    lang: str
    note: str


CATALOG: dict[str, CatalogEntry] = {
    "small-cn": CatalogEntry(
        "small-cn",
        "vosk-model-small-cn-0.22",
        "https://alphacephei.com/vosk/models/vosk-model-small-cn-0.22.zip",
        42,
        "zh",
        "small Mandarin model, 8/16 kHz, fast; recommended for phones",
    ),
    "cn": CatalogEntry(
        "cn",
        "vosk-model-cn-0.22",
        "https://alphacephei.com/vosk/models/vosk-model-cn-0.22.zip",
        1300,
        "zh",
        "large Mandarin model, more accurate, needs ~3 GB RAM",
    ),
}


class ModelError(RuntimeError):
    """A model archive or directory is unusable."""


def models_dir(settings: Settings) -> Path:
    """Where installed models live."""
    return settings.var_dir / "models" / "vosk"


def check_model_dir(path: Path) -> None:
    """Raise ModelError unless ``path`` looks like a Vosk model directory."""
    if not path.is_dir():
        raise ModelError(f"model directory not found: {path}")
    missing = [name for name in REQUIRED if not (path / name).is_file()]
    if not any((path / name).is_file() for name in GRAPHS):
        missing.append(" or ".join(GRAPHS))
    if missing:
        raise ModelError(f"not a Vosk model ({path}): missing {', '.join(missing)}")


def _model_root(names: list[str]) -> str:
    """The folder inside an archive that holds ``am/final.mdl``."""
    for name in names:
        parts = PurePosixPath(name).parts
        if ".." in parts or name.startswith("/"):
            raise ModelError(f"unsafe path in archive: {name}")
    roots = [n[: -len("am/final.mdl")] for n in names if n.endswith("am/final.mdl")]
    if len(roots) != 1:
        raise ModelError("archive does not hold exactly one Vosk model (am/final.mdl)")
    return roots[0]


def install_zip(settings: Settings, *, zip_path: Path, name: str) -> Path:
    """Check and unpack a model archive, record its meta.json and make it active.

    Raises:
        ModelError: the file is not a ZIP or does not hold a Vosk model.
    """
    if not zipfile.is_zipfile(zip_path):
        raise ModelError(f"not a ZIP archive: {zip_path}")
    entry = CATALOG.get(name)
    target_root = models_dir(settings)
    target_root.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as archive:
        bad = archive.testzip()
        if bad is not None:
            raise ModelError(f"corrupt member in archive: {bad}")
        root = _model_root(archive.namelist())
        folder = entry.folder if entry else (PurePosixPath(root).name or name)
        with tempfile.TemporaryDirectory(dir=target_root) as tmp:
            archive.extractall(tmp)
            unpacked = Path(tmp) / root
            check_model_dir(unpacked)
            target = target_root / folder
            if target.exists():
                shutil.rmtree(target)
            unpacked.rename(target)
    meta = {
        "name": name,
        "folder": folder,
        "lang": entry.lang if entry else _guess_lang(folder),
        "source": entry.url if entry else str(zip_path),
        "archive_bytes": zip_path.stat().st_size,
    }
    (target / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    (target_root / "active.json").write_text(json.dumps({"folder": folder}))
    logger.info("installed Vosk model %s into %s", name, target)
    return target


def download(entry: CatalogEntry, dest: Path) -> None:
    """Fetch a catalogue model archive (needs the internet)."""
    logger.info("downloading %s (%d MB) from %s", entry.name, entry.size_mb, entry.url)
    with (
        urllib.request.urlopen(entry.url, timeout=60) as response,
        open(dest, "wb") as out,
    ):
        shutil.copyfileobj(response, out, length=1 << 20)


def install(settings: Settings, *, name: str, from_file: Path | None = None) -> Path:
    """Install catalogue model ``name`` (downloaded, or from a local ZIP copy).

    Raises:
        ModelError: unknown name without a file, or a bad archive.
    """
    if from_file is not None:
        return install_zip(settings, zip_path=from_file, name=name)
    entry = CATALOG.get(name)
    if entry is None:
        raise ModelError(f"unknown model {name!r}; known: {', '.join(CATALOG)}")
    models_dir(settings).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir(settings)) as tmp:
        archive = Path(tmp) / f"{entry.folder}.zip"
        try:
            download(entry, archive)
        except OSError as exc:
            raise ModelError(
                f"download failed ({exc}); fetch {entry.url} elsewhere and run "
                f"`python -m voice models install {name} --from-file FILE.zip`"
            ) from exc
        return install_zip(settings, zip_path=archive, name=name)


def installed(settings: Settings) -> list[dict[str, object]]:
    """Installed models with their meta data and whether each is active."""
    root = models_dir(settings)
    if not root.is_dir():
        return []
    active = _active_folder(settings)
    rows: list[dict[str, object]] = []
    for meta_file in sorted(root.glob("*/meta.json")):
        meta = json.loads(meta_file.read_text())
        meta["active"] = meta_file.parent.name == active
        meta["path"] = str(meta_file.parent)
        rows.append(meta)
    return rows


def remove(settings: Settings, *, name: str) -> bool:
    """Delete an installed model by catalogue name or folder; True if one was removed."""
    entry = CATALOG.get(name)
    folder = entry.folder if entry else name
    target = models_dir(settings) / folder
    if not (target / "meta.json").is_file():
        return False
    shutil.rmtree(target)
    if _active_folder(settings) == folder:
        (models_dir(settings) / "active.json").unlink(missing_ok=True)
    return True


def _active_folder(settings: Settings) -> str | None:
    path = models_dir(settings) / "active.json"
    try:
        return str(json.loads(path.read_text())["folder"])
    except (OSError, ValueError, KeyError):
        return None


def _guess_lang(folder: str) -> str:
    lowered = folder.lower()
    return "zh" if "-cn" in lowered or "-zh" in lowered else ""


def resolve(settings: Settings) -> tuple[Path | None, str]:
    """The model directory the app should load and its language ("" if unknown)."""
    if settings.asr_model_path:
        path = Path(settings.asr_model_path)
        return path, settings.asr_model_lang or _guess_lang(path.name)
    folder = _active_folder(settings)
    if folder is None:
        return None, ""
    path = models_dir(settings) / folder
    try:
        lang = str(json.loads((path / "meta.json").read_text()).get("lang", ""))
    except (OSError, ValueError):
        lang = _guess_lang(folder)
    return path, lang
