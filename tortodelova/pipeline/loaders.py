"""The steps of loading the torch pipeline, each a named function as diffusers composes its loaders: the pipeline
itself, the qualities' LoRA adapters, the TAESD decoder, then memory layout and compilation. `CakeGenerator.
from_pretrained` calls them in that order (the OpenVINO backend has its own loader, `openvino_backend.load_pipeline`).
"""
from __future__ import annotations

import logging
from pathlib import Path

import torch

from tortodelova.pipeline.models import ADAPTER_FILES, GENERATOR_DIR, LCM_ADAPTER, TAESD_DIR, is_present

logger = logging.getLogger(__name__)
# Below this much GPU memory, attention slicing trades speed for fitting 4 images at 768 px in memory.
LOW_VRAM_BYTES = 6 * 1024**3


def load_pipeline(models_dir: Path, *, device: torch.device, dtype: torch.dtype, vae_dtype: torch.dtype):
    """DreamShaper 8 as a diffusers StableDiffusionPipeline on `device` (the fp16 variant files when present)."""
    from diffusers import StableDiffusionPipeline

    generator_dir = models_dir / GENERATOR_DIR
    has_fp16 = any((generator_dir / "unet").glob("*.fp16.safetensors"))
    pipe = StableDiffusionPipeline.from_pretrained(
        generator_dir,
        dtype=dtype,
        variant="fp16" if has_fp16 else None,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    if vae_dtype != dtype:
        pipe.vae.to(vae_dtype)
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    if device.type == "cuda" and torch.cuda.get_device_properties(device).total_memory < LOW_VRAM_BYTES:
        pipe.enable_attention_slicing()
    return pipe


def load_adapters(pipe, models_dir: Path, *, dtype: torch.dtype) -> list[str]:
    """Every quality's LoRA found on disk, loaded by name and switched off; the names of those loaded."""
    loaded = []
    for adapter, (folder, weights) in ADAPTER_FILES.items():
        if is_present(models_dir, folder):
            pipe.load_lora_weights(models_dir / folder, weight_name=weights, adapter_name=adapter)
            loaded.append(adapter)
        else:
            logger.warning("%s is missing: %s quality falls back (see CakeGenerator.sampling)", folder,
                           "fast" if adapter == LCM_ADAPTER else "draft")  # fmt: skip
    if loaded:
        pipe.unet.to(dtype)  # the adapters' weights arrive in the file's fp32; keep one dtype in the UNet
        pipe.unet.disable_lora()
    return loaded


def load_taesd(models_dir: Path, *, device: torch.device, dtype: torch.dtype):
    """The tiny decoder of the fast qualities, or None (they then decode with the full VAE)."""
    from diffusers import AutoencoderTiny

    if not is_present(models_dir, TAESD_DIR):
        logger.warning("%s is missing: fast quality decodes with the full VAE", TAESD_DIR)
        return None
    return AutoencoderTiny.from_pretrained(models_dir / TAESD_DIR, dtype=dtype).to(device)


def optimise(pipe, taesd, *, device: torch.device, channels_last: bool | None, compile: bool) -> None:
    """channels_last (default: on CUDA) for the UNet and both decoders; `torch.compile` of the UNet when asked."""
    if channels_last is None:
        channels_last = device.type == "cuda"
    if channels_last:
        for model in (pipe.unet, pipe.vae, taesd):
            if model is not None:
                model.to(memory_format=torch.channels_last)
    if compile:
        pipe.unet.compile()
