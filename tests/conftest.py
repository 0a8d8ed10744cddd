"""Session-wide fixtures: the tiny models, built once through the same code as `download_models.py --tiny`."""

import hashlib
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TINY_SOURCES = ("tortodelova/pipeline/tiny.py", "tortodelova/pipeline/tiny_translator.py")


def tiny_models_key() -> str:
    digest = hashlib.sha256()
    for source in TINY_SOURCES:
        digest.update((ROOT / source).read_bytes())
    return digest.hexdigest()[:16]


@pytest.fixture(scope="session")
def tiny_models_dir() -> Path:
    """All tiny models (translator, DreamShaper look-alike, LCM LoRA, TAESD) in the real on-disk layout.

    Cached under .cache/tiny-models/<hash of the builders' source>, so a session only rebuilds them after tiny.py or
    tiny_translator.py changed. Built in a private folder and renamed into place: parallel sessions never see a
    half-written cache.
    """
    from download_models import main as download_models_main

    cache = ROOT / ".cache" / "tiny-models"
    target = cache / tiny_models_key()
    if not target.is_dir():
        building = cache / f"{target.name}.building-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        assert download_models_main(["--tiny", "--models-dir", str(building)]) == 0
        try:
            building.rename(target)
        except OSError:  # another session finished first
            shutil.rmtree(building, ignore_errors=True)
    return target
