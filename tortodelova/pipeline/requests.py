"""What one generator call is asked for and what it gives back; the PNG with its metadata.

Plain data (no torch), so the worker's orchestration and storing read them without loading the ML stack.
"""
import io
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from tortodelova.vocabulary import SIZES as SIZE_NAMES

SIZES = tuple((size.width, size.height) for size in SIZE_NAMES.values())  # (width, height)
MAX_IMAGES = 16  # one batch: up to BATCH_MAX_JOBS jobs of up to 4 variants each
MAX_SEED = 2**63 - 1

StepCallback = Callable[[int, int, "Image.Image | None"], None]


@dataclass
class ImageRequest:
    prompt: str | list[str]  # one prompt for all images, or one per image (a batch across jobs)
    negative_prompt: str | list[str]
    width: int
    height: int
    seeds: list[int]  # one image per seed
    quality: str = "standard"  # "draft" | "fast" | "standard"
    init_image: Image.Image | None = None  # a "variation of this design": img2img from this picture
    strength: float | None = None  # how far the variation may move away from init_image
    steps: int | None = None  # override of the quality's step count (tests, benchmarks)
    # Images to preview during denoising; when given, the callback gets a list of previews in this order
    # (a batch across jobs previews each job's first image). None: a single preview of the first image.
    preview_indices: list[int] | None = None


@dataclass
class ImageResult:
    images: list[Image.Image]
    seeds: list[int]
    steps: int
    guidance: float
    model: str
    scheduler: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds: encode, denoise, decode


@dataclass(frozen=True)
class Sampling:
    """How one quality is sampled with the models that are present."""

    scheduler: str  # key of CakeGenerator.schedulers
    steps: int
    guidance: float
    adapter: str | None  # the LoRA switched on for this quality ("lcm", "draft") or None (the plain UNet)
    decoder: str  # "vae" | "taesd"
    timesteps: tuple[int, ...] | None = None  # an explicit schedule (Hyper-SD 1-step: [800]), txt2img only
    eta: float | None = None  # TCD's stochasticity (gamma); None for the other schedulers


def png_bytes(image: Image.Image, metadata: dict[str, str]) -> bytes:
    """PNG with ``metadata`` as text chunks (tEXt; iTXt for non-Latin-1 values such as the Russian prompt)."""
    info = PngInfo()
    for key, value in metadata.items():
        info.add_text(key, str(value))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()
