"""OpenVINO IR of the generator's components, converted once from the torch checkpoints and cached under MODELS_DIR.

Layout: ``MODELS_DIR/openvino/<component>-<key>/{model.xml, model.bin, manifest.json}``. The key hashes everything
the IR is made from: the source files' contents (config and weights; the LoRA files for ``unet-lora``, the LCM-LoRA
file for ``unet-lcm``), the OpenVINO version, :data:`CONVERSION_VERSION` and the int8 variant. So replacing a
checkpoint or a LoRA, upgrading OpenVINO or changing the conversion makes a new folder (the old one is removed).
``manifest.json`` is written last and lists the size and sha256 of every IR file; a folder whose manifest is missing
or does not match (a crash mid-write, a truncated or altered file) is converted again. Folders are built under a
private name and renamed into place, so parallel processes sharing MODELS_DIR never see half a model.

Source hashes are memoised in ``openvino/sources.json`` by (size, mtime), so a start does not re-read 2 GB of
checkpoints; the IR files themselves are hashed on every load (a few seconds for the full-size models).
"""

import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from tortodelova.pipeline.models import (  # the component names are re-exported: `cache.UNET` reads well at the call
    GENERATOR_DIR,
    LCM_LORA_DIR,
    LCM_LORA_WEIGHTS,
    TAESD_DECODER,
    TAESD_DIR,
    TEXT_ENCODER,
    UNET,
    UNET_LCM,
    UNET_LORA,
    VAE_DECODER,
    is_present,
)
from tortodelova.pipeline.openvino_lora import GRAPH_VERSION, adapter_files, write_adapted

logger = logging.getLogger(__name__)

CACHE_DIR = "openvino"
CONVERSION_VERSION = 1
CALIBRATION_VERSION = 2  # the calibration set of full int8 (openvino_convert.calibration): only those folders change
INT8_MODES = ("off", "weights", "full")
IR_FILES = ("model.xml", "model.bin")
UNETS = (UNET, UNET_LCM, UNET_LORA)  # the components that have int8 variants


def components(models_dir: Path, *, fused_lcm: bool = False) -> list[str]:
    """The components to convert for the models present: TAESD only when its files are there; ``unet-lora`` (the
    UNet with the qualities' LoRAs as switchable branches, see openvino_lora) when a LoRA is there, built from the
    ``unet`` IR. A UNet with the LCM-LoRA fused in is built only on request (``fused_lcm``: the benchmark's
    comparison with the pre-issue-20 layout)."""
    names = [UNET, TEXT_ENCODER, VAE_DECODER]
    if adapter_files(models_dir):
        names.insert(1, UNET_LORA)
    if fused_lcm and is_present(models_dir, LCM_LORA_DIR):
        names.insert(1, UNET_LCM)
    if is_present(models_dir, TAESD_DIR):
        names.append(TAESD_DECODER)
    return names


def _weights(folder: Path) -> list[Path]:
    found = sorted(p for p in folder.glob("*") if p.suffix in (".safetensors", ".bin") and p.is_file())
    preferred = [p for p in found if p.name.endswith(".fp16.safetensors")] or found
    return [folder / "config.json", *preferred[:1]]


def source_files(models_dir: Path, component: str) -> list[Path]:
    generator = models_dir / GENERATOR_DIR
    if component in (UNET, UNET_LCM, UNET_LORA):
        files = _weights(generator / "unet")
        if component == UNET_LORA:
            return files + list(adapter_files(models_dir).values())
        return files + [models_dir / LCM_LORA_DIR / LCM_LORA_WEIGHTS] if component == UNET_LCM else files
    if component == TEXT_ENCODER:
        return _weights(generator / "text_encoder")
    if component == VAE_DECODER:
        return _weights(generator / "vae")
    if component == TAESD_DECODER:
        return _weights(models_dir / TAESD_DIR)
    raise ValueError(f"unknown component {component!r}")


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _write_json(path: Path, data) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True))
    temporary.replace(path)


class SourceHashes:
    """sha256 of source files, memoised by (size, mtime_ns) in ``openvino/sources.json``."""

    def __init__(self, root: Path):
        self.path = root / "sources.json"
        try:
            self.known = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def __call__(self, path: Path) -> str:
        stat = path.stat()
        stamp = [stat.st_size, stat.st_mtime_ns]
        entry = self.known.get(str(path.resolve()))
        if entry and entry["stamp"] == stamp:
            return entry["sha256"]
        digest = file_sha256(path)
        self.known[str(path.resolve())] = {"stamp": stamp, "sha256": digest}
        self.changed = True
        return digest

    def save(self) -> None:
        if self.changed:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            _write_json(self.path, self.known)


def cache_key(models_dir: Path, component: str, int8: str, hashes: SourceHashes) -> str:
    import openvino

    digest = hashlib.sha256()
    int8 = int8 if component in UNETS else "off"
    digest.update(f"{component}|{int8}|{CONVERSION_VERSION}|".encode())
    if int8 == "full":
        digest.update(f"calibration {CALIBRATION_VERSION}|".encode())
    if component == UNET_LORA:
        digest.update(f"lora graph {GRAPH_VERSION}|".encode())
    digest.update(openvino.__version__.encode())
    for path in source_files(models_dir, component):
        digest.update(f"|{path.relative_to(models_dir)}|{hashes(path)}".encode())
    return digest.hexdigest()[:16]


def is_valid(folder: Path, key: str) -> bool:
    """The manifest is there, has this key, and every IR file has the size and sha256 it lists."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return False
    if manifest.get("key") != key:
        return False
    for name in IR_FILES:
        entry = manifest.get("files", {}).get(name)
        path = folder / name
        if not entry or not path.is_file() or path.stat().st_size != entry["size"]:
            return False
        if file_sha256(path) != entry["sha256"]:
            return False
    return True


def ensure_converted(
    models_dir: str | Path, *, int8: str = "off", progress: Callable[[str], None] | None = None,
    fused_lcm: bool = False,
) -> dict[str, Path]:
    """The IR folder of every component, converting (once) those missing, stale or corrupt; returns {name: folder}."""
    if int8 not in INT8_MODES:
        raise ValueError(f"OPENVINO_INT8 has to be one of {INT8_MODES} but is {int8!r}")
    models_dir = Path(models_dir)
    root = models_dir / CACHE_DIR
    plain = (ensure_converted(models_dir, progress=progress, fused_lcm=fused_lcm)
             if int8 != "off" else None)  # int8 starts from these  # fmt: skip
    hashes = SourceHashes(root)
    say = progress or logger.warning
    folders, todo = {}, []
    for component in components(models_dir, fused_lcm=fused_lcm):
        key = cache_key(models_dir, component, int8, hashes)
        variant = {"weights": "-int8w", "full": "-int8"}.get(int8, "") if component in UNETS else ""
        folder = root / f"{component}{variant}-{key}"
        folders[component] = folder
        if not is_valid(folder, key):
            todo.append((component, key, folder))
    hashes.save()
    if todo:
        names = ", ".join(component for component, _, _ in todo)
        say(f"OpenVINO: converting {names} once into {root} (minutes for the full-size models)...")
        from tortodelova.pipeline.openvino_convert import Converter

        converter = Converter(models_dir)
        for component, key, folder in todo:  # unet before unet-lora: the branches are added to the unet's IR
            started = time.perf_counter()
            if component == UNET_LORA:
                unet, files = folders[UNET] / "model.xml", adapter_files(models_dir)
                _build(folder, key, lambda target, u=unet, f=files: write_adapted(u, f, target))
            else:
                source = plain[component] if plain and component in (UNET, UNET_LCM) else None
                _build(folder, key, lambda target, c=component, s=source: converter.convert(c, target, int8=int8,
                                                                                             source=s))  # fmt: skip
            say(f"OpenVINO: {component} ready in {time.perf_counter() - started:.0f} s")
            _remove_stale(root, folder.name[: -len(key) - 1], keep=folder)
        converter.close()
    return folders


def _build(folder: Path, key: str, write: Callable[[Path], None]) -> None:
    building = folder.with_name(f".{folder.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    write(building / "model.xml")
    files = {name: {"size": (building / name).stat().st_size, "sha256": file_sha256(building / name)}
             for name in IR_FILES}  # fmt: skip
    _write_json(building / "manifest.json", {"key": key, "files": files})
    if folder.exists():  # corrupt or half-written: replace it
        shutil.rmtree(folder, ignore_errors=True)
    try:
        building.rename(folder)
    except OSError:  # another process finished the same folder first
        shutil.rmtree(building, ignore_errors=True)


def _remove_stale(root: Path, component: str, *, keep: Path) -> None:
    for other in root.glob(f"{component}-*"):
        suffix = other.name[len(component) + 1 :]
        if other != keep and other.is_dir() and len(suffix) == 16 and "-" not in suffix:
            shutil.rmtree(other, ignore_errors=True)
