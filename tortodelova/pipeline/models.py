"""Model files on disk: what the pipeline needs, what is there, and how to fetch the rest.

No torch here: the web process calls :func:`check_models` / :func:`ensure_models` at start. ``huggingface_hub`` is
imported only when something is actually downloaded.
"""

import fnmatch
import logging
import posixpath
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

TRANSLATOR_DIR = "opus-mt-ru-en"
GENERATOR_DIR = "dreamshaper-8"
LCM_LORA_DIR = "lcm-lora-sdv1-5"
DRAFT_LORA_DIR = "hyper-sd15-1step"
TAESD_DIR = "taesd"
# The OpenVINO IR components one converted folder each holds (openvino_cache names them, openvino_convert
# writes them, openvino_backend compiles them).
UNET, UNET_LCM, TEXT_ENCODER, VAE_DECODER, TAESD_DECODER = "unet", "unet-lcm", "text-encoder", "vae-decoder", "taesd"
UNET_LORA = "unet-lora"  # the UNet with every quality's LoRA as switchable branches (openvino_lora): what runs

LCM_LORA_WEIGHTS = "pytorch_lora_weights.safetensors"
# ByteDance/Hyper-SD publishes its SD 1.5 LoRAs as single safetensors files (kohya-style keys) at the repository root;
# the draft quality («Черновик») uses the 1-step one with the TCD scheduler.
DRAFT_LORA_WEIGHTS = "Hyper-SD15-1step-lora.safetensors"
# The qualities' LoRA adapters by name, and where each one's file lies under MODELS_DIR (both backends load them).
LCM_ADAPTER, DRAFT_ADAPTER = "lcm", "draft"
ADAPTER_FILES = {LCM_ADAPTER: (LCM_LORA_DIR, LCM_LORA_WEIGHTS), DRAFT_ADAPTER: (DRAFT_LORA_DIR, DRAFT_LORA_WEIGHTS)}


@dataclass(frozen=True)
class ModelSpec:
    """One model directory under MODELS_DIR and the hub repository it comes from.

    ``files`` are fnmatch patterns of the small files the loaders read (configs, tokenizers). ``weight_dirs`` are the
    folders that hold weights: in each one exactly one weights file is taken, the fp16 safetensors variant when the
    repository has it (half the download; the loader upcasts on CPU), else plain safetensors, else ``.bin``.
    ``needed`` are the paths that must exist locally for the model to count as present.
    """

    name: str
    repo_id: str
    required: bool
    files: tuple[str, ...]
    weight_dirs: tuple[str, ...] = ()
    needed: tuple[str, ...] = ()
    weight_names: tuple[str, ...] = ("diffusion_pytorch_model", "model", "pytorch_model")


MODEL_SPECS: dict[str, ModelSpec] = {
    TRANSLATOR_DIR: ModelSpec(
        name=TRANSLATOR_DIR,
        repo_id="Helsinki-NLP/opus-mt-ru-en",
        required=True,
        files=("config.json", "generation_config.json", "tokenizer_config.json", "vocab.json", "*.spm"),
        weight_dirs=("",),
        needed=("config.json", "source.spm", "target.spm", "vocab.json"),
    ),
    GENERATOR_DIR: ModelSpec(
        name=GENERATOR_DIR,
        repo_id="Lykon/dreamshaper-8",
        required=True,
        # The safety checker (1.2 GB) is not used by the service: it is never downloaded.
        files=(
            "model_index.json",
            "scheduler/scheduler_config.json",
            "text_encoder/config.json",
            "tokenizer/*",
            "unet/config.json",
            "vae/config.json",
            "feature_extractor/preprocessor_config.json",
        ),
        weight_dirs=("text_encoder", "unet", "vae"),
        needed=(
            "model_index.json",
            "scheduler/scheduler_config.json",
            "text_encoder/config.json",
            "tokenizer/vocab.json",
            "tokenizer/merges.txt",
            "unet/config.json",
            "vae/config.json",
        ),
    ),
    LCM_LORA_DIR: ModelSpec(
        name=LCM_LORA_DIR,
        repo_id="latent-consistency/lcm-lora-sdv1-5",
        required=False,
        files=(LCM_LORA_WEIGHTS,),
        needed=(LCM_LORA_WEIGHTS,),
    ),
    DRAFT_LORA_DIR: ModelSpec(
        name=DRAFT_LORA_DIR,
        repo_id="ByteDance/Hyper-SD",
        required=False,
        files=(DRAFT_LORA_WEIGHTS,),
        needed=(DRAFT_LORA_WEIGHTS,),
    ),
    TAESD_DIR: ModelSpec(
        name=TAESD_DIR,
        repo_id="madebyollin/taesd",
        required=False,
        files=("config.json",),
        weight_dirs=("",),
        needed=("config.json",),
    ),
}


@dataclass
class ModelStatus:
    """``ok`` when every required model is present; optional ones only enable extras (fast mode, TAESD)."""

    ok: bool
    missing: list[str]
    present: list[str]
    optional_missing: list[str] = field(default_factory=list)


def _weight_file(directory: Path, spec: ModelSpec) -> Path | None:
    for suffix in (".fp16.safetensors", ".safetensors", ".bin"):
        for stem in spec.weight_names:
            candidate = directory / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def is_present(models_dir: str | Path, name: str) -> bool:
    spec = MODEL_SPECS[name]
    root = Path(models_dir) / name
    if not all((root / path).is_file() for path in spec.needed):
        return False
    return all(_weight_file(root / folder, spec) is not None for folder in spec.weight_dirs)


def check_models(models_dir: str | Path) -> ModelStatus:
    present, missing, optional_missing = [], [], []
    for name, spec in MODEL_SPECS.items():
        if is_present(models_dir, name):
            present.append(name)
        elif spec.required:
            missing.append(name)
        else:
            optional_missing.append(name)
    return ModelStatus(ok=not missing, missing=missing, present=present, optional_missing=optional_missing)


def select_files(spec: ModelSpec, repo_files: list[str]) -> list[str]:
    """The files of ``repo_files`` (a repository listing) that the pipeline loads.

    Pure function, so the choice (fp16 variant, safetensors over pickles, no safety checker) is testable offline.
    """
    chosen = [path for path in repo_files if any(fnmatch.fnmatch(path, pattern) for pattern in spec.files)]
    for folder in spec.weight_dirs:
        in_folder = {posixpath.basename(p): p for p in repo_files if posixpath.dirname(p) == folder}
        weight = next(
            (
                in_folder[f"{stem}{suffix}"]
                for suffix in (".fp16.safetensors", ".safetensors", ".bin")
                for stem in spec.weight_names
                if f"{stem}{suffix}" in in_folder
            ),
            None,
        )
        if weight is None:
            raise FileNotFoundError(f"{spec.repo_id} has no weights in folder {folder or '.'!r}: {sorted(in_folder)}")
        chosen.append(weight)
    return sorted(set(chosen))


def download_model(models_dir: str | Path, name: str) -> Path:
    """Download one model into ``models_dir/name`` (resumable: files already complete are skipped)."""
    from huggingface_hub import HfApi, snapshot_download

    spec = MODEL_SPECS[name]
    target = Path(models_dir) / name
    files = select_files(spec, HfApi().list_repo_files(spec.repo_id))
    logger.info("downloading %s (%s): %s", name, spec.repo_id, ", ".join(files))
    snapshot_download(spec.repo_id, local_dir=target, allow_patterns=files)
    return target


def ensure_models(
    models_dir: str | Path, *, offline: bool, names: list[str] | None = None
) -> ModelStatus:
    """Download what is missing (all models, or ``names``) unless ``offline``; return the resulting status."""
    status = check_models(models_dir)
    if not offline:
        for name in names or list(MODEL_SPECS):
            if name not in status.present:
                download_model(models_dir, name)
        status = check_models(models_dir)
    for name in status.missing:
        logger.error("required model %s is missing in %s", name, models_dir)
    for name in status.optional_missing:
        logger.warning("optional model %s is missing in %s", name, models_dir)
    return status
