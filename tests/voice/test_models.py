from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from assistant.settings import Settings
from tests.utils.cli import run_module
from voice import models
from voice.status import asr_status


def fake_model_zip(path: Path, root: str = "vosk-model-small-cn-0.22/") -> Path:
    """A ZIP with the layout of a Vosk model (the files are placeholders)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name in (
            "am/final.mdl",
            "conf/mfcc.conf",
            "conf/model.conf",
            "graph/HCLG.fst",
        ):
            archive.writestr(root + name, b"x")
    return path


def test_catalogue_knows_both_chinese_models() -> None:
    assert models.CATALOG["small-cn"].folder == "vosk-model-small-cn-0.22"
    assert models.CATALOG["small-cn"].size_mb == 42
    assert models.CATALOG["cn"].url.endswith("vosk-model-cn-0.22.zip")


def test_install_from_file_list_and_remove(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")
    target = models.install(
        settings, name="small-cn", from_file=fake_model_zip(tmp_path / "m.zip")
    )
    assert target == tmp_path / "var/models/vosk/vosk-model-small-cn-0.22"
    assert models.resolve(settings) == (target, "zh")
    assert asr_status(settings)["chinese"] is True
    [row] = models.installed(settings)
    assert row["active"] and row["name"] == "small-cn"
    assert models.remove(settings, name="small-cn")
    assert models.resolve(settings) == (None, "") and models.installed(settings) == []
    assert not models.remove(settings, name="small-cn")


@pytest.mark.parametrize("kind", ["not-zip", "no-model", "traversal"])
def test_bad_archives_are_refused(tmp_path: Path, kind: str) -> None:
    archive = tmp_path / "bad.zip"
    if kind == "not-zip":
        archive.write_bytes(b"<html>404</html>")
    elif kind == "no-model":
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("readme.txt", "hi")
    else:
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("../evil/am/final.mdl", "x")
    settings = Settings(var_dir=tmp_path / "var")
    with pytest.raises(models.ModelError):
        models.install(settings, name="small-cn", from_file=archive)
    assert models.resolve(settings) == (None, "")


def test_unknown_model_name(tmp_path: Path) -> None:
    with pytest.raises(models.ModelError, match="small-cn"):
        models.install(Settings(var_dir=tmp_path), name="huge-en")


def test_cli_models(tmp_path: Path) -> None:
    env = {"ASSISTANT_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return run_module("voice", "models", *args, env=env)

    zip_path = str(fake_model_zip(tmp_path / "m.zip"))
    assert run("install", "small-cn", "--from-file", zip_path).returncode == 0
    listing = run("list")
    assert "42 MB" in listing.stdout and "* small-cn" in listing.stdout
    assert run("remove", "small-cn").returncode == 0
    assert run("remove", "small-cn").returncode == 1
