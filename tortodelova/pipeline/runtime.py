"""Where and how the generator runs: device and dtype, backend (torch | OpenVINO), threads, output checks."""

import importlib.util
import os
from pathlib import Path

import torch

BACKENDS = ("auto", "torch", "openvino")


def cpu_has_fast_bf16() -> bool:
    """AMX or AVX512-BF16: there the benchmark measured bf16 UNet steps 3-9x faster than fp32 (README)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_device(device: str = "auto", dtype: torch.dtype | None = None) -> tuple[torch.device, torch.dtype]:
    """CUDA in bf16 (fp16 on GPUs without bf16) when there is one; else the CPU, in bf16 where the CPU has native
    bf16 matrix units (AMX / AVX512-BF16) and fp32 elsewhere."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(device)
    if dtype is None:
        if device.type == "cuda":
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            dtype = torch.bfloat16 if cpu_has_fast_bf16() else torch.float32
    return device, dtype


def resolve_backend(backend: str | None, device: torch.device) -> str:
    """"openvino" or "torch" for a GENERATION_BACKEND setting (auto: OpenVINO on CPU when it is installed)."""
    backend = backend or os.environ.get("GENERATION_BACKEND", "auto")
    if backend not in BACKENDS:
        raise ValueError(f"GENERATION_BACKEND has to be one of {BACKENDS} but is {backend!r}")
    if backend == "auto":
        openvino_installed = importlib.util.find_spec("openvino") is not None
        backend = "openvino" if device.type == "cpu" and openvino_installed else "torch"
    if backend == "openvino" and device.type != "cpu":
        raise ValueError(f"the OpenVINO backend runs on the CPU, not on {device}")
    return backend


def physical_cores() -> int:
    import psutil

    cores = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    return max(1, min(cores, len(os.sched_getaffinity(0))))


def bad_images(images: torch.Tensor) -> list[int]:
    """Indices of decoded images (in [-1, 1]) that contain NaN/inf or are black all over."""
    images = images.float()
    not_finite = ~torch.isfinite(images).flatten(1).all(dim=1)
    black = ((images + 1) / 2).flatten(1).amax(dim=1) < 2 / 255
    return torch.nonzero(not_finite | black).flatten().tolist()
